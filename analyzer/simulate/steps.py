"""Scenario steps other than (re)association: beacons, probes, data, leaving, BTM, 11k, rekey."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from analyzer.crypto.ccmp import protect
from analyzer.crypto.keys import derive_ptk

from . import actions, elements
from .eapol import KeyMessage, eapol_key, eapol_llc, gtk_kde, key_version, wrap_key_data
from .elements import AP_RSN_CAPS
from .frames import (
    action,
    beacon,
    capabilities,
    cts,
    data_header,
    deauth,
    disassoc,
    mac_str,
    probe_req,
    probe_resp,
    rts,
    set_seq,
)
from .model import ApSpec, Link, StaSpec
from .payloads import (
    DHCP_ACK,
    DHCP_DISCOVER,
    DHCP_OFFER,
    DHCP_REQUEST,
    ETH_ARP,
    ETH_IPV4,
    arp,
    dhcp,
    icmp_echo,
    ip,
    llc,
)

if TYPE_CHECKING:
    from .scenario import Scenario

GATEWAY = ip("10.0.0.1")
ROUTER = b"\x02\x00\x00\x00\x00\x01"


def ap_rsne(ap: ApSpec, pmkids: Sequence[bytes] = ()) -> bytes:
    return elements.rsne(ap.akm_suite, pmkids, AP_RSN_CAPS | ap.rsn_caps, ap.cipher, ap.cipher)


def ap_elements(ap: ApSpec) -> bytes:
    """What beacons and probe responses advertise after the fixed fields (a 6 GHz AP has
    no DS Parameter Set nor HT Operation: its channel is the radio's)."""
    six_ghz = ap.freq_mhz > 5925
    parts = [
        elements.ssid(ap.ssid),
        elements.rates(ap.freq_mhz),
        b"" if six_ghz else elements.ds_param(ap.freq_mhz),
        elements.tim(),
        ap_rsne(ap),
    ]
    if ap.mdid is not None:
        parts.append(elements.mde(ap.mdid, ap.ft_over_ds))
    parts += [
        b"" if six_ghz else elements.ht_operation(ap.freq_mhz),
        elements.rm_capabilities(),
        elements.ext_capabilities(),
    ]
    return b"".join(parts)


def tsf_us(sc: Scenario, ap: ApSpec, ts_ns: int) -> int:
    return (ts_ns - sc.start_ns) // 1000 + int.from_bytes(ap.bssid[3:], "big") * 997


def beacon_frame(sc: Scenario, ap: ApSpec, ts_ns: int) -> bytes:
    cap = capabilities(ap.freq_mhz)
    return beacon(ap.bssid, tsf_us(sc, ap, ts_ns), cap, ap_elements(ap), ap.beacon_interval_tu)


def beacons(sc: Scenario, ap: ApSpec, count: int, interval_ms: float | None) -> None:
    step = round((interval_ms or ap.beacon_interval_tu * 1.024) * 1e6)
    for k in range(count):
        at = sc.now_ns + k * step + sc.rng.randrange(0, 200_000)
        sc.emit(beacon_frame(sc, ap, at), ap, None, True, "beacon", at_ns=at)


def probe(sc: Scenario, sta: StaSpec, ap: ApSpec) -> None:
    ies = elements.ssid(ap.ssid) + elements.rates(ap.freq_mhz) + elements.ext_capabilities()
    sc.emit(probe_req(sta.mac, ies), ap, sta, False, "probe_req")
    sc.gap(0.3, 2.0)
    cap = capabilities(ap.freq_mhz)
    resp = probe_resp(ap.bssid, sta.mac, tsf_us(sc, ap, sc.now_ns), cap, ap_elements(ap))
    sc.emit(resp, ap, sta, True, "probe_resp")


def send_data(sc: Scenario, link: Link, uplink: bool, label: str = "data") -> None:
    """One protected (CCMP/GCMP) QoS data frame carrying an ICMP echo request or reply."""
    sta, ap = link.sta, link.ap
    if uplink:
        link.icmp_seq += 1
        link.pn_up += 1
        pn, packet = link.pn_up, icmp_echo(sta.ip, GATEWAY, link.icmp_seq)
    else:
        link.pn_down += 1
        pn, packet = link.pn_down, icmp_echo(GATEWAY, sta.ip, link.icmp_seq, reply=True)
    header = data_header(sta.mac, ap.bssid, uplink, protected=True, peer=ROUTER)
    body = protect(ap.cipher, link.ptk.tk, header, pn, llc(ETH_IPV4, packet))
    sc.emit(header + body, ap, sta, not uplink, label, data=True)
    sc.last_data_ns[sta.mac] = sc.now_ns


def send_msdu(sc: Scenario, link: Link, uplink: bool, msdu: bytes, label: str) -> None:
    """One protected QoS data frame of the association carrying `msdu` (LLC/SNAP on)."""
    sta, ap = link.sta, link.ap
    if uplink:
        link.pn_up += 1
        pn = link.pn_up
    else:
        link.pn_down += 1
        pn = link.pn_down
    header = data_header(sta.mac, ap.bssid, uplink, protected=True, peer=ROUTER)
    sc.emit(header + protect(ap.cipher, link.ptk.tk, header, pn, msdu), ap, sta, not uplink,
            label, data=True)
    sc.last_data_ns[sta.mac] = sc.now_ns


def recover(sc: Scenario, sta: StaSpec, after_ms: float, dhcp_mode: str | None,
            arp_gateway: bool, step_ms: float) -> None:
    """What a station does once its keys are installed: `after_ms` later DHCP (`full`:
    Discover, Offer, Request, ACK; `renew`: Request, ACK; None: none), then an ARP request
    for the gateway and its reply, then an ICMP echo each way; `step_ms` between frames. The
    ACK names the gateway (option 3)."""
    link = _link(sc, sta)
    xid = sc.rng.getrandbits(32)
    sc.wait(after_ms)
    server = GATEWAY
    messages = {"full": (DHCP_DISCOVER, DHCP_OFFER, DHCP_REQUEST, DHCP_ACK),
                "renew": (DHCP_REQUEST, DHCP_ACK)}.get(dhcp_mode or "", ())
    for message in messages:
        up = message in (DHCP_DISCOVER, DHCP_REQUEST)
        router = GATEWAY if message == DHCP_ACK else None
        packet = dhcp(message, xid, sta.mac, b"\0" * 4 if up else sta.ip, router,
                      None if up else server)
        send_msdu(sc, link, up, llc(ETH_IPV4, packet), f"dhcp_{message}")
        sc.wait(step_ms)
    if arp_gateway:
        who = arp(1, sta.mac, sta.ip, bytes(6), GATEWAY)
        send_msdu(sc, link, True, llc(ETH_ARP, who), "arp_request")
        sc.wait(step_ms)
        send_msdu(sc, link, False, llc(ETH_ARP, arp(2, ROUTER, GATEWAY, sta.mac, sta.ip)),
                  "arp_reply")
        sc.wait(step_ms)
    send_data(sc, link, uplink=True)
    sc.wait(step_ms)
    send_data(sc, link, uplink=False)


def send_eapol(
    sc: Scenario,
    sta: StaSpec,
    ap: ApSpec,
    frame: bytes,
    from_ap: bool,
    label: str,
    link: Link | None = None,
) -> None:
    """EAPOL in a QoS data frame (TID 7, as mac80211 sends it); CCMP-protected given a link."""
    header = data_header(sta.mac, ap.bssid, not from_ap, tid=7, protected=link is not None)
    body = eapol_llc(frame)
    if link is not None:
        if from_ap:
            link.pn_down += 1
            body = protect(ap.cipher, link.ptk.tk, header, link.pn_down, body)
        else:
            link.pn_up += 1
            body = protect(ap.cipher, link.ptk.tk, header, link.pn_up, body)
    sc.emit(header + body, ap, sta, from_ap, label)


def data(sc: Scenario, sta: StaSpec, count: int, interval_ms: float) -> None:
    link = _link(sc, sta)
    for k in range(count):
        send_data(sc, link, uplink=k % 2 == 0)
        sc.gap(interval_ms * 0.5, interval_ms * 1.5) if k % 2 else sc.gap(0.5, 3.0)


def _link(sc: Scenario, sta: StaSpec) -> Link:
    if sta.mac not in sc.links:
        raise ValueError(f"station {sta.name!r} is not associated")
    return sc.links[sta.mac]


def leave(sc: Scenario, sta: StaSpec, reason: int, by: str, kind: str) -> None:
    """Deauthentication or Disassociation (``kind``) sent by the STA or the AP (``by``)."""
    ap = _link(sc, sta).ap
    encode = deauth if kind == "deauth" else disassoc
    if by == "ap":
        frame = encode(sta.mac, ap.bssid, ap.bssid, reason)
    else:
        frame = encode(ap.bssid, sta.mac, ap.bssid, reason)
    sc.emit(frame, ap, sta, by == "ap", kind)
    sc.events.append(
        {
            "event": kind,
            "sta": mac_str(sta.mac),
            "bssid": mac_str(ap.bssid),
            "reason": reason,
            "by": by,
            "ts_ns": sc.now_ns,
        }
    )
    del sc.links[sta.mac]


def deauth_flood(sc: Scenario, sta: StaSpec, ap: ApSpec, count: int, interval_ms: float,
                 reason: int, both_ways: bool) -> None:
    """An attacker's burst of unprotected Deauthentication frames forging the AP (and, with
    ``both_ways``, the station too, alternately) from ONE sequence counter, as aireplay-ng
    and mdk do; the station's link, if any, is not touched (the attack may fail)."""
    seq = sc.rng.randrange(4096)
    for k in range(count):
        from_ap = not both_ways or k % 2 == 0
        frame = (deauth(sta.mac, ap.bssid, ap.bssid, reason) if from_ap
                 else deauth(ap.bssid, sta.mac, ap.bssid, reason))  # fmt: skip
        sc.emit_control(set_seq(frame, seq), ap, sta, from_ap)
        seq = (seq + 1) & 0xFFF
        sc.now_ns += round(interval_ms * 1e6)


def btm(
    sc: Scenario,
    ap: ApSpec,
    sta: StaSpec,
    candidates: list[ApSpec],
    accept: bool,
    options: dict[str, Any],
) -> None:
    """BTM Request -> Response; accept roams to the first candidate (or `go_to`), else maybe
    Disassoc(12); `respond` False: no Response and no roam."""
    token = sc.next_token()
    respond = bool(options.pop("respond", True))
    go_to: ApSpec | None = options.pop("go_to", None)
    imminent = bool(options.pop("disassoc_imminent", not accept and respond))
    reports = [
        elements.neighbor_report(c.bssid, c.freq_mhz, 255 - i) for i, c in enumerate(candidates)
    ]
    body = actions.btm_request(token, reports, imminent, disassoc_timer=15 if imminent else 0)
    sc.emit(action(sta.mac, ap.bssid, ap.bssid, body), ap, sta, True, "btm_req")
    if not respond:
        sc.events.append({"event": "btm_ignored", "sta": mac_str(sta.mac),
                          "bssid": mac_str(ap.bssid)})
        return
    sc.gap(2.0, 15.0)
    chosen = go_to or (candidates[0] if candidates else None)
    target = chosen.bssid if accept and chosen is not None else None
    status = 0 if target is not None else int(options.pop("reject_status", 6))
    resp = actions.btm_response(token, status, target)
    sc.emit(action(ap.bssid, sta.mac, ap.bssid, resp), ap, sta, False, "btm_resp")
    sc.events.append(
        {
            "event": "btm",
            "sta": mac_str(sta.mac),
            "bssid": mac_str(ap.bssid),
            "status": status,
            "target": None if target is None else mac_str(target),
        }
    )
    if target is not None:
        sc.gap(5.0, 30.0)
        sc.roam(sta.name, chosen.name, trigger="btm", **options)  # type: ignore[union-attr]
    elif imminent:
        sc.gap(1400.0, 1600.0)
        leave(sc, sta, 12, "ap", "disassoc")


def neighbor_report(sc: Scenario, sta: StaSpec) -> None:
    link = _link(sc, sta)
    ap, token = link.ap, sc.next_token()
    req = actions.neighbor_request(token, elements.ssid(ap.ssid))
    sc.emit(action(ap.bssid, sta.mac, ap.bssid, req), ap, sta, False, "neighbor_req")
    sc.gap(1.0, 5.0)
    others = [a for a in sc.aps.values() if a.ssid == ap.ssid and a.bssid != ap.bssid]
    reports = [elements.neighbor_report(a.bssid, a.freq_mhz) for a in others]
    resp = actions.neighbor_response(token, reports)
    sc.emit(action(sta.mac, ap.bssid, ap.bssid, resp), ap, sta, True, "neighbor_resp")


def sa_query(sc: Scenario, sta: StaSpec) -> None:
    """SA Query request/response (sent unprotected: the builder does not model PMF)."""
    ap = _link(sc, sta).ap
    tid = sc.rng.randrange(1 << 16)
    sc.emit(
        action(sta.mac, ap.bssid, ap.bssid, actions.sa_query(False, tid)),
        ap,
        sta,
        True,
        "sa_query_req",
    )
    sc.gap(0.5, 3.0)
    sc.emit(
        action(ap.bssid, sta.mac, ap.bssid, actions.sa_query(True, tid)),
        ap,
        sta,
        False,
        "sa_query_resp",
    )


def group_rekey(sc: Scenario, sta: StaSpec, clear: bool = False) -> None:
    """Group key handshake G1/G2, CCMP-protected with the PTK like any data after M4 (unless
    ``clear``, as WPA1 and some stations send it)."""
    link = _link(sc, sta)
    protect = None if clear else link
    ap, akm = link.ap, link.ap.akm_suite
    version = key_version(akm)
    link.replay += 1
    plain = gtk_kde(1, ap.gtk)
    g1 = KeyMessage("g1", version, link.replay, key_data=wrap_key_data(link.ptk.kek, plain))
    send_eapol(sc, sta, ap, eapol_key(g1, link.ptk.kck, akm), True, "g1", protect)
    sc.gap(0.5, 3.0)
    g2 = KeyMessage("g2", version, link.replay)
    send_eapol(sc, sta, ap, eapol_key(g2, link.ptk.kck, akm, 1), False, "g2", protect)


def ptk_rekey(sc: Scenario, sta: StaSpec, clear: bool) -> None:
    """A new 4-way handshake on the association (new nonces, the same PMK), protected with the
    current PTK unless ``clear``; then the new PTK is in use and packet numbers restart."""
    link = _link(sc, sta)
    ap, akm = link.ap, link.ap.akm_suite
    if ap.is_ft:
        raise ValueError("ptk_rekey: FT APs are not modelled")
    version = key_version(akm)
    anonce, snonce = sc.rng.randbytes(32), sc.rng.randbytes(32)
    ptk = derive_ptk(link.pmk, ap.bssid, sta.mac, anonce, snonce, akm, ap.cipher)
    protect = None if clear else link
    m3_data = wrap_key_data(ptk.kek, ap_rsne(ap) + gtk_kde(1, ap.gtk))
    messages = [
        (KeyMessage("m1", version, link.replay + 1, anonce, key_length=16), None, True),
        (KeyMessage("m2", version, link.replay + 1, snonce,
                    elements.rsne(akm, (), ap.rsn_caps)), ptk.kck, False),
        (KeyMessage("m3", version, link.replay + 2, anonce, m3_data, key_length=16), ptk.kck,
         True),
        (KeyMessage("m4", version, link.replay + 2), ptk.kck, False),
    ]  # fmt: skip
    for msg, kck, from_ap in messages:
        frame = eapol_key(msg, kck, akm, 2 if from_ap else 1)
        send_eapol(sc, sta, ap, frame, from_ap, f"rekey_{msg.message}", protect)
        sc.gap(0.5, 3.0)
    link.replay += 2
    link.ptk, link.pn_up, link.pn_down = ptk, 0, 0


def control(sc: Scenario, ap: ApSpec, sta: StaSpec, count: int) -> None:
    for _ in range(count // 2):
        sc.emit_control(rts(ap.bssid, sta.mac), ap, sta, False)
        sc.emit_control(cts(sta.mac), ap, sta, True)


def ap_dict(ap: ApSpec) -> dict[str, Any]:
    return {
        "name": ap.name,
        "bssid": mac_str(ap.bssid),
        "ssid": ap.ssid.decode(errors="replace"),
        "freq_mhz": ap.freq_mhz,
        "akm": ap.akm,
        "akm_suite": ap.akm_suite,
        "passphrase": ap.passphrase,
        "mdid": ap.mdid,
        "r0kh_id": ap.r0kh_id.decode(),
        "gtk": ap.gtk.hex(),
    }


def sta_dict(sta: StaSpec) -> dict[str, Any]:
    return {
        "name": sta.name,
        "mac": mac_str(sta.mac),
        "ip": ".".join(map(str, sta.ip)),
        "identity": sta.identity.decode(),
        "eap_method": sta.eap_method,
    }
