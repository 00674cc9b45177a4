"""(Re)association flows: method choice, the PMKSA caches, authentication and (re)association.

Both caches are modelled here (DOMAIN §7): the STA offers the PMKID it cached for the target
AA (``pmksa``) or one recomputed for the new AA from the ESS PMK (``okc``); the AP looks the
offered PMKIDs up in its own cache, and with ``okc=True`` in the PMK its ESS shares.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analyzer.crypto.keys import pmkid, sae_pmkid

from . import elements, fils, handshake, steps
from .actions import ft_request, ft_response, sa_query
from .elements import PSK_AKMS
from .frames import action, assoc_req, assoc_resp, auth, capabilities, deauth, mac
from .handshake import Attempt
from .model import ApSpec, Record, StaSpec
from .sae import P256_ORDER, owe_public_x, sae_commit, sae_confirm

if TYPE_CHECKING:
    from .scenario import Scenario

ALG_OPEN, ALG_FT, ALG_SAE = 0, 2, 3
STATUS_INVALID_PMKID = 53
FT_ROAMS = ("ft_over_air", "ft_over_ds")
METHODS = {
    "psk": ("psk", "ft_over_air", "ft_over_ds"),
    "ft-psk": ("psk", "ft_over_air", "ft_over_ds"),
    "8021x": ("full", "pmksa", "okc"),
    "ft-8021x": ("full", "ft_over_air", "ft_over_ds"),
    "sae": ("sae", "pmksa"),
    "owe": ("owe",),
    "fils-sha256": ("full", "pmksa", "okc", "fils"),
    "psk-sha256": ("psk",),
    "8021x-sha256": ("full", "pmksa", "okc"),
    "suite-b": ("full", "pmksa"),  # no OKC: the PMKID comes from a handshake's KCK
    "suite-b-192": ("full", "pmksa"),
}


def join(sc: Scenario, sta: StaSpec, ap: ApSpec, kind: str, opts: dict[str, Any]) -> None:
    """One connection attempt; the outcome and every frame go to a new truth record."""
    unknown = set(opts) - handshake.OPTIONS
    if unknown:
        raise TypeError(f"unknown {kind} options: {sorted(unknown)}")
    old = sc.links.get(sta.mac)
    method = choose_method(sc, sta, ap, opts.pop("method", None), old is not None)
    rec = Record(
        kind,
        sta.mac,
        old.ap.bssid if old else None,
        ap.bssid,
        ap.ssid,
        method,
        ap.akm_suite,
        trigger=opts.pop("trigger", ""),
    )
    rec.last_old_data_ns = sc.last_data_ns.get(sta.mac) if old else None
    sc.records.append(rec)
    sc.rec = rec
    try:
        _run(sc, Attempt(sta, ap, old, method, rec, opts))
    finally:
        sc.rec = None


def choose_method(sc: Scenario, sta: StaSpec, ap: ApSpec, method: str | None, roaming: bool) -> str:
    if method is None:
        method = _default_method(sc, sta, ap, roaming)
    if method not in METHODS[ap.akm]:
        raise ValueError(f"method {method!r} does not fit akm {ap.akm!r}")
    if method in FT_ROAMS and (sta.mac, ap.mdid) not in sc.ft_roots:
        raise ValueError(f"{method}: {sta.name!r} has no PMK-R0 in mobility domain {ap.mdid}")
    return method


def _default_method(sc: Scenario, sta: StaSpec, ap: ApSpec, roaming: bool) -> str:
    cached = (sta.mac, ap.bssid) in sc.sta_pmksa
    if ap.is_ft:
        in_md = roaming and (sta.mac, ap.mdid) in sc.ft_roots
        return "ft_over_air" if in_md else ("psk" if ap.akm == "ft-psk" else "full")
    if ap.is_eap:
        return "pmksa" if cached else "full"
    return {"psk": "psk", "psk-sha256": "psk", "owe": "owe",
            "sae": "pmksa" if cached else "sae"}[ap.akm]


def _run(sc: Scenario, at: Attempt) -> None:
    if at.opts.pop("scan", False):
        steps.probe(sc, at.sta, at.ap)
        sc.gap(5.0, 30.0)
    if at.old is not None:
        _leave_old(sc, at)
    if at.method == "fils":
        if fils.run(sc, at) and at.opts.pop("first_data", True):
            handshake.first_data(sc, at)
        return
    ok = at.opts.pop("skip_auth", False) or (
        _ft_auth(sc, at)
        if at.method in FT_ROAMS
        else (_sae_auth(sc, at) if at.method == "sae" else _open_auth(sc, at))
    )
    if not ok:
        return
    sc.gap(0.5, 2.5)
    if "comeback_tu" in at.opts and not _comeback(sc, at, int(at.opts.pop("comeback_tu"))):
        return
    if not _associate(sc, at):
        return
    if at.method in FT_ROAMS:
        handshake.install(sc, at)
    elif at.pmk or handshake.eap(sc, at):
        handshake.four_way(sc, at)
    if at.rec.outcome == "success" and at.opts.pop("first_data", True):
        handshake.first_data(sc, at)


def _leave_old(sc: Scenario, at: Attempt) -> None:
    """mac80211 sends no Deauth when roaming (DOMAIN §7); ``deauth_old`` makes it send one."""
    old = at.old
    assert old is not None
    if at.opts.pop("deauth_old", False):
        frame = deauth(old.ap.bssid, at.sta.mac, old.ap.bssid, 3)
        sc.emit(frame, old.ap, at.sta, False, "deauth_old")
        sc.gap(1.0, 5.0)
    if at.method != "ft_over_ds":
        del sc.links[at.sta.mac]


def _comeback(sc: Scenario, at: Attempt, tu: int) -> bool:
    """PMF association comeback (IEEE 802.11-2020 11.3.5.4): the AP still holds an association
    with the station, answers status 30 with a Timeout Interval and checks the old association
    with SA Query Requests the station (which lost its keys) leaves unanswered; after the
    comeback time the station authenticates and reassociates again."""
    sta, ap = at.sta, at.ap
    at.sta_rsne = elements.rsne(ap.akm_suite, (), ap.rsn_caps, pairwise=ap.cipher,
                                group=ap.cipher)
    sc.emit(assoc_req(ap.bssid, sta.mac, capabilities(ap.freq_mhz), _req_elements(sc, at),
                      None), ap, sta, False, "assoc_req")  # fmt: skip
    sc.gap(0.5, 3.0)
    body = elements.rates(ap.freq_mhz) + elements.timeout_interval(3, tu)
    sc.emit(assoc_resp(ap.bssid, sta.mac, capabilities(ap.freq_mhz), 30, 0, body, False), ap,
            sta, True, "assoc_resp_comeback")  # fmt: skip
    tid = sc.rng.randrange(1 << 16)
    for _ in range(3):
        sc.gap(200.0, 210.0)
        sc.emit(action(sta.mac, ap.bssid, ap.bssid, sa_query(False, tid)), ap, sta, True,
                "sa_query_req")  # fmt: skip
    sc.wait(tu * 1.024)
    at.opts["reassoc"] = True
    return _open_auth(sc, at)


def _auth_pair(sc: Scenario, at: Attempt, alg: int, bodies: tuple[bytes, bytes]) -> bool:
    sta, ap = at.sta, at.ap
    status = int(at.opts.pop("auth_status", 0))
    for n in range(int(at.opts.pop("auth_requests", 1))):
        if n:  # the station asks again (a new request, a new sequence number)
            sc.gap(20.0, 40.0)
        sc.emit(auth(ap.bssid, sta.mac, ap.bssid, alg, 1, 0, bodies[0]), ap, sta, False,
                "auth_req")  # fmt: skip
        sc.gap(0.5, 2.0)
        sc.emit(
            auth(sta.mac, ap.bssid, ap.bssid, alg, 2, status, bodies[1] if not status else b""),
            ap,
            sta,
            True,
            "auth_resp",
        )
    return _status_ok(at, status, "auth_rejected")


def _status_ok(at: Attempt, status: int, outcome: str) -> bool:
    if status:
        at.rec.status = status
        at.rec.outcome = outcome
    return status == 0


def _open_auth(sc: Scenario, at: Attempt) -> bool:
    return _auth_pair(sc, at, ALG_OPEN, (b"", b""))


def _sae_auth(sc: Scenario, at: Attempt) -> bool:
    """Commit, Commit, Confirm, Confirm (DOMAIN §3); a new PMK and its PMKSA on success."""
    sta, ap = at.sta, at.ap
    status = int(at.opts.pop("auth_status", 0))
    mine, theirs = sae_commit(sc.rng), sae_commit(sc.rng)
    sc.emit(
        auth(ap.bssid, sta.mac, ap.bssid, ALG_SAE, 1, 0, mine.body),
        ap,
        sta,
        False,
        "sae_commit_sta",
    )
    sc.gap(2.0, 8.0)
    body = theirs.body if not status else b"\x13\x00"
    sc.emit(
        auth(sta.mac, ap.bssid, ap.bssid, ALG_SAE, 1, status, body), ap, sta, True, "sae_commit_ap"
    )
    if not _status_ok(at, status, "auth_rejected"):
        return False
    for label, da, sa, from_ap in (
        ("sae_confirm_sta", ap.bssid, sta.mac, False),
        ("sae_confirm_ap", sta.mac, ap.bssid, True),
    ):
        sc.gap(1.0, 4.0)
        sc.emit(
            auth(da, sa, ap.bssid, ALG_SAE, 2, 0, sae_confirm(1, sc.rng.randbytes(32))),
            ap,
            sta,
            from_ap,
            label,
        )
    pmk = sc.rng.randbytes(32)
    pmk_id = sae_pmkid(mine.scalar, theirs.scalar, P256_ORDER)
    handshake.remember_pmksa(sc, sta, ap, pmk, pmk_id)
    at.sae = (pmk, pmk_id)
    return True


def _ft_auth(sc: Scenario, at: Attempt) -> bool:
    """FT Auth (over the air) or FT Action Request/Response via the current AP (over the DS)."""
    sta, ap, old = at.sta, at.ap, at.old
    ft = handshake.ft_prepare(sc, at)
    if at.method == "ft_over_air":
        return _auth_pair(sc, at, ALG_FT, (ft.request_ies, ft.response_ies))
    if old is None or old.ap.mdid != ap.mdid:
        raise ValueError("ft_over_ds needs a current association in the same mobility domain")
    status = int(at.opts.pop("auth_status", 0))
    req = ft_request(sta.mac, ap.bssid, ft.request_ies)
    sc.emit(action(old.ap.bssid, sta.mac, old.ap.bssid, req), old.ap, sta, False, "ft_request")
    sc.gap(4.0, 15.0)
    resp = ft_response(sta.mac, ap.bssid, status, ft.response_ies if not status else b"")
    sc.emit(action(sta.mac, old.ap.bssid, old.ap.bssid, resp), old.ap, sta, True, "ft_response")
    sc.links.pop(sta.mac, None)
    if not _status_ok(at, status, "auth_rejected"):
        return False
    sc.gap(1.0, 5.0)
    return True


def offered_pmkids(sc: Scenario, at: Attempt) -> list[bytes]:
    sta, ap = at.sta, at.ap
    if "offer_pmkids" in at.opts:
        return [bytes(p) for p in at.opts.pop("offer_pmkids")]
    if at.method == "pmksa":
        entry = sc.sta_pmksa.get((sta.mac, ap.bssid))
        return [entry.pmkid] if entry else []
    if at.method == "okc":
        pmk = sc.ess_pmk.get((ap.ssid, sta.mac))
        return [pmkid(pmk, ap.bssid, sta.mac, ap.akm_suite)] if pmk else []
    return []


def ap_lookup(sc: Scenario, at: Attempt, offered: list[bytes]) -> tuple[bytes, bytes] | None:
    """(PMKID, PMK) the AP finds for one of the offered PMKIDs, or None (a miss)."""
    sta, ap = at.sta, at.ap
    if at.opts.pop("ap_miss", False):
        return None
    cache = sc.ap_pmksa.get((ap.bssid, sta.mac), {})
    for p in offered:
        if p in cache:
            return p, cache[p]
    shared = sc.ess_pmk.get((ap.ssid, sta.mac)) if ap.okc else None
    for p in offered:
        if shared is not None and p == pmkid(shared, ap.bssid, sta.mac, ap.akm_suite):
            return p, shared
    return None


def _associate(sc: Scenario, at: Attempt) -> bool:
    """(Re)Association Request/Response; decides the PMK when the PMKSA cache is hit."""
    sta, ap = at.sta, at.ap
    reassoc = at.old is not None or bool(at.opts.pop("reassoc", False))
    offered = handshake.ft_pmkids(at) if at.method in FT_ROAMS else offered_pmkids(sc, at)
    at.rec.pmkids_offered = offered
    at.sta_rsne = elements.rsne(ap.akm_suite, offered, ap.rsn_caps, pairwise=ap.cipher,
                                group=ap.cipher)
    if "offer_akms" in at.opts or "sta_rsn_caps" in at.opts:  # the station's own selection
        akms = at.opts.pop("offer_akms", [ap.akm_suite])
        caps = int(at.opts.pop("sta_rsn_caps", ap.rsn_caps))
        at.sta_rsne = elements.rsne_selecting(akms, [ap.cipher], caps, ap.cipher)
    hit = ap_lookup(sc, at, offered) if offered and at.method not in FT_ROAMS else None
    status = int(at.opts.pop("status", 0))
    if ap.akm == "sae" and at.method == "pmksa" and hit is None and not status:
        status = STATUS_INVALID_PMKID
    cap = capabilities(ap.freq_mhz)
    owe = elements.owe_dh(owe_public_x(sc.rng)) if ap.akm == "owe" else b""
    req_ies = _req_elements(sc, at) + owe
    current = at.old.ap.bssid if at.old is not None else (ap.bssid if reassoc else None)
    if "current_ap" in at.opts:  # what the station writes there, right or not
        current = mac(at.opts.pop("current_ap"))
    label = "reassoc_req" if reassoc else "assoc_req"
    sc.emit(assoc_req(ap.bssid, sta.mac, cap, req_ies, current), ap, sta, False, label)
    sc.gap(0.5, 3.0)
    at.aid = sc.rng.randrange(1, 2008)
    if ap.seq_restart:
        at.aid = 1 + int.from_bytes(sta.mac[-2:], "big") % 2007
    resp_ies = elements.rates(ap.freq_mhz) + (b"" if status else handshake.resp_elements(at))
    if ap.akm == "owe" and not status:
        resp_ies += elements.owe_dh(owe_public_x(sc.rng))
    resp = assoc_resp(ap.bssid, sta.mac, cap, status, at.aid, resp_ies, reassoc)
    sc.emit(resp, ap, sta, True, label.replace("_req", "_resp"))
    if not _status_ok(at, status, "assoc_rejected"):
        return False
    _choose_pmk(sc, at, hit)
    return True


def _req_elements(sc: Scenario, at: Attempt) -> bytes:
    ap = at.ap
    head = elements.ssid(ap.ssid) + elements.rates(ap.freq_mhz)
    tail = elements.rm_capabilities() + elements.ext_capabilities()
    if at.method in FT_ROAMS:
        return head + handshake.ft_reassoc_elements(at) + tail
    mde = elements.mde(ap.mdid, ap.ft_over_ds) if ap.mdid is not None and ap.is_ft else b""
    return head + at.sta_rsne + mde + tail


def _choose_pmk(sc: Scenario, at: Attempt, hit: tuple[bytes, bytes] | None) -> None:
    """PMK known right after association: PSK, SAE, OWE or a PMKSA cache hit; else EAP."""
    ap, rec = at.ap, at.rec
    if at.method in FT_ROAMS:
        return
    if ap.akm in PSK_AKMS:
        handshake.use_psk(sc, at)
    elif ap.akm == "sae":
        pmk, pmk_id = at.sae if at.sae is not None else (hit[1], hit[0]) if hit else (b"", b"")
        at.pmk, at.m1_pmkid = pmk, pmk_id
        rec.pmksa_hit = at.sae is None
    elif ap.akm == "owe":
        at.pmk = sc.rng.randbytes(32)
    elif hit is not None:
        at.m1_pmkid, at.pmk = hit
        rec.pmksa_hit = True
        handshake.remember_pmksa(sc, at.sta, ap, at.pmk, at.m1_pmkid)
    rec.pmk = at.pmk
