"""PMKSA decisions, PMKIDs and RSN element hexdumps, both daemons (DOMAIN §7)."""

from __future__ import annotations

import re
from typing import Any

from analyzer.logs.lines import AP_RULES, classify, hex_bytes, mac, rsne_from_element
from analyzer.logs.records import Decision
from analyzer.logs.state import Builder, add_decision, add_event

# --- PMKSA decisions -----------------------------------------------------------------------


def _decide(kind: str, side: str = "sta") -> Any:
    def handle(b: Builder, m: re.Match[str]) -> None:
        groups = m.groupdict()
        pmkid = hex_bytes(groups.get("hex"))
        bssid = mac(groups["mac"]) if groups.get("mac") else b.search_bssid
        d = Decision(b.ts_ns, b.line, side, kind, m.group(0).strip(), b.own_addr, bssid,
                     pmkid.hex() if pmkid and len(pmkid) == 16 else None, b.path)
        add_decision(b, d)
    return handle


def _search_bssid(b: Builder, m: re.Match[str]) -> None:
    b.search_bssid = mac(m["mac"])


def _cache_search(b: Builder, m: re.Match[str]) -> None:
    b.search_bssid = None
    _decide("cache_search")(b, m)


def _pmkid(b: Builder, m: re.Match[str]) -> None:
    pmkid = hex_bytes(m["hex"])
    if pmkid and len(pmkid) == 16:
        b.pending["pmkid"] = pmkid.hex()


def _rsne(key: str) -> Any:
    def handle(b: Builder, m: re.Match[str]) -> None:
        rsne = rsne_from_element(hex_bytes(m["hex"]))
        if rsne is None:
            return
        b.pending[key] = rsne
        if key == "rsne" and rsne.pmkids:
            b.pending["pmkid"] = rsne.pmkids[0].hex()
    return handle


def _sta_pmkid(b: Builder, m: re.Match[str]) -> None:
    pmkid = hex_bytes(m["hex"])
    add_decision(b, Decision(b.ts_ns, b.line, "ap", "sta_pmkid", m.group(0).strip(), b.last_ap_sta,
                        ap_bssid(b), pmkid.hex() if pmkid and len(pmkid) == 16 else None,
                        b.path))


def ap_bssid(b: Builder) -> str | None:
    """The BSSID of the hostapd interface the current line names (or the only one)."""
    if b.iface and b.iface in b.ap_addrs:
        return b.ap_addrs[b.iface]
    return next(iter(b.ap_addrs.values())) if len(b.ap_addrs) == 1 else None


def _hostapd_sta(b: Builder, m: re.Match[str]) -> None:
    sta = mac(m["mac"])
    b.last_ap_sta = sta
    hit = classify(m["msg"], AP_RULES)
    if hit is None:
        return
    tag, sub = hit
    if tag == "ap_event":
        # "IEEE 802.1X: authenticated" is the EAP success (eapol_auth_sm.c), not the
        # 802.11 authentication the HOSTAPD events anchor the AP's decisions on
        name = "HOSTAPD-8021X" if m["module"] == "IEEE 802.1X" else "HOSTAPD"
        add_event(b, name, m["msg"], sta, ap_bssid(b))
        return
    add_decision(b, Decision(b.ts_ns, b.line, "ap", tag, m["msg"].strip(), sta, ap_bssid(b),
                        None, b.path))


def _preauth(kind: str) -> Any:
    """A supplicant pre-authentication line (src/rsn_supp/preauth.c): recorded with the
    target as BSSID, never attached to an attempt (the station stays where it is)."""
    def handle(b: Builder, m: re.Match[str]) -> None:
        result = m.groupdict().get("result")
        k = kind if result is None else (
            "preauth_done" if result == "completed successfully" else "preauth_failed")
        b.decisions.append(Decision(b.ts_ns, b.line, "sta", k, m.group(0).strip(), b.own_addr,
                                    mac(m["mac"]), None, b.path))
    return handle


HANDLERS: dict[str, Any] = {
    "cache_search": _cache_search,
    "search_bssid": _search_bssid,
    "entry_found": _decide("entry_found"),
    "no_entry": _decide("no_entry"),
    "use_cached": _decide("use_cached"),
    "okc_candidate": _decide("okc_candidate"),
    "okc_added": _decide("added"),
    "pmkid": _pmkid,
    "pmkid_from_ap": _decide("pmkid_from_ap"),
    "matched_pmkid": _decide("matched_pmkid"),
    "no_matching_pmkid": _decide("no_matching_pmkid"),
    "ap_refused_pmkid": _decide("ap_refused_pmkid"),
    "added": _decide("added"),
    "sae_fallback": _decide("sae_fallback"),
    "pmkid_mismatch": _decide("pmkid_mismatch"),
    "preauth_start": _preauth("preauth_start"),
    "preauth_result": _preauth("preauth_done"),
    "ap_rsne": _rsne("ap_rsne"),
    "own_rsne": _rsne("rsne"),
    "sta_pmkid": _sta_pmkid,
    "hostapd_sta": _hostapd_sta,
}
