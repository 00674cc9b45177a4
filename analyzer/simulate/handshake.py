"""Key establishment after (re)association: EAP, the 4-way handshake, FT keys, first data."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from analyzer.crypto.ccmp import aes_wrap
from analyzer.crypto.keys import (
    Ptk,
    derive_ptk,
    ft_pmk_r0,
    ft_pmk_r1,
    ft_ptk,
    pmk_from_passphrase,
    pmkid,
    tk_length,
)
from analyzer.crypto.mic import ft_mic

from . import aead, eapol, elements, steps
from .eapol import KeyMessage, eapol_key, gtk_kde, key_version, pmkid_kde
from .frames import deauth
from .model import ApSpec, FtRoot, Link, Pmksa, Record, StaSpec

if TYPE_CHECKING:
    from .scenario import Scenario

OPTIONS = frozenset(
    {
        "method",
        "trigger",
        "scan",
        "deauth_old",
        "auth_status",
        "auth_requests",
        "m1_padding",
        "m4_after_data",
        "m1_after_m3",
        "m3_replay",
        "skip_auth",
        "current_ap",
        "comeback_tu",
        "offer_akms",
        "sta_rsn_caps",
        "status",
        "offer_pmkids",
        "ap_miss",
        "reassoc",
        "eap_failure",
        "eap_method",
        "eapol_start",
        "m1_retries",
        "first_data",
    }
)
REASON_8021X_FAILED = 23
FT_REASSOC_REQ, FT_REASSOC_RESP = 5, 6
KEY_LIFETIME_S = 43200


@dataclass(frozen=True, slots=True)
class FtExchange:
    """Keys and elements of one FT roam (Auth or Action, then Reassociation)."""

    root: FtRoot
    pmk_r1: bytes
    r1_name: bytes
    snonce: bytes
    anonce: bytes
    ptk: Ptk
    mde: bytes
    request_ies: bytes
    response_ies: bytes


@dataclass(slots=True)
class Attempt:
    """Mutable state of one connect/roam while its frames are being written."""

    sta: StaSpec
    ap: ApSpec
    old: Link | None
    method: str
    rec: Record
    opts: dict[str, Any]
    pmk: bytes = b""
    m1_pmkid: bytes | None = None
    sta_rsne: bytes = b""
    aid: int = 0
    sae: tuple[bytes, bytes] | None = None
    ft: FtExchange | None = None
    r1_name: bytes = b""
    ft_assoc_ies: bytes = field(default=b"")
    suite_b_new: bool = False  # full EAP with a Suite-B AKM: name the PMKSA from the KCK


@lru_cache(maxsize=64)
def psk(passphrase: str, ssid: bytes) -> bytes:
    return pmk_from_passphrase(passphrase, ssid)


def remember_pmksa(sc: Scenario, sta: StaSpec, ap: ApSpec, pmk: bytes, pmk_id: bytes) -> None:
    sc.sta_pmksa[(sta.mac, ap.bssid)] = Pmksa(pmk, pmk_id, ap.akm_suite)
    sc.ap_pmksa.setdefault((ap.bssid, sta.mac), {})[pmk_id] = pmk


def use_psk(sc: Scenario, at: Attempt) -> None:
    ap = at.ap
    assert ap.passphrase is not None
    key = psk(ap.passphrase, ap.ssid)
    if ap.akm == "ft-psk":
        ft_initial(sc, at, key)
        return
    at.pmk = key
    if ap.sends_pmkid_kde:
        at.m1_pmkid = pmkid(key, ap.bssid, at.sta.mac, ap.akm_suite)


def ft_initial(sc: Scenario, at: Attempt, xxkey: bytes) -> None:
    """Initial mobility domain association: PMK-R0 at this AP's R0KH, PMK-R1 for this AP."""
    sta, ap = at.sta, at.ap
    assert ap.mdid is not None
    r0, r0_name = ft_pmk_r0(xxkey, ap.ssid, ap.mdid, ap.r0kh_id, sta.mac)
    sc.ft_roots[(sta.mac, ap.mdid)] = FtRoot(r0, r0_name, ap.r0kh_id, ap.mdid)
    at.pmk, at.r1_name = ft_pmk_r1(r0, r0_name, ap.bssid, sta.mac)
    at.m1_pmkid = at.r1_name if ap.sends_pmkid_kde else None


def resp_elements(at: Attempt) -> bytes:
    """What a successful (Re)Association Response adds: FT elements, if any."""
    ap = at.ap
    if at.ft is not None:
        return ft_reassoc_resp_elements(at, at.ft)
    if ap.is_ft and ap.mdid is not None:
        fte = elements.fte(r1kh_id=ap.bssid, r0kh_id=ap.r0kh_id)
        at.ft_assoc_ies = elements.mde(ap.mdid, ap.ft_over_ds) + fte
        return at.ft_assoc_ies
    return b""


# --- FT roams ---------------------------------------------------------------------------------


def ft_prepare(sc: Scenario, at: Attempt) -> FtExchange:
    sta, ap = at.sta, at.ap
    assert ap.mdid is not None
    root = sc.ft_roots[(sta.mac, ap.mdid)]
    pmk_r1, r1_name = ft_pmk_r1(root.pmk_r0, root.pmk_r0_name, ap.bssid, sta.mac)
    snonce, anonce = sc.rng.randbytes(32), sc.rng.randbytes(32)
    ptk = ft_ptk(pmk_r1, snonce, anonce, ap.bssid, sta.mac, r1_name, ap.cipher)
    mde = elements.mde(ap.mdid, ap.ft_over_ds)
    req = (
        _sta_rsne(ap, [root.pmk_r0_name])
        + mde
        + elements.fte(snonce=snonce, r0kh_id=root.r0kh_id)
    )
    resp = (
        steps.ap_rsne(ap, [root.pmk_r0_name])
        + mde
        + elements.fte(anonce, snonce, root.r0kh_id, ap.bssid)
    )
    at.ft = FtExchange(root, pmk_r1, r1_name, snonce, anonce, ptk, mde, req, resp)
    return at.ft


def ft_pmkids(at: Attempt) -> list[bytes]:
    assert at.ft is not None
    return [at.ft.r1_name]


def _ft_fte(ft: FtExchange, ap: ApSpec, mic: bytes, gtk: bytes | None) -> bytes:
    return elements.fte(ft.anonce, ft.snonce, ft.root.r0kh_id, ap.bssid, mic, 3, gtk)


def ft_reassoc_elements(at: Attempt) -> bytes:
    """RSNE(PMKR1Name) + MDE + FTE whose MIC covers them (transaction sequence 5)."""
    ft, ap = at.ft, at.ap
    assert ft is not None
    rsne = _sta_rsne(ap, [ft.r1_name])
    mic = ft_mic(
        ft.ptk.kck,
        at.sta.mac,
        ap.bssid,
        FT_REASSOC_REQ,
        rsne,
        ft.mde,
        _ft_fte(ft, ap, bytes(16), None),
    )
    return rsne + ft.mde + _ft_fte(ft, ap, mic, None)


def ft_reassoc_resp_elements(at: Attempt, ft: FtExchange) -> bytes:
    """The AP's RSNE(PMKR1Name) + MDE + FTE with the wrapped GTK (transaction sequence 6)."""
    ap = at.ap
    rsne = steps.ap_rsne(ap, [ft.r1_name])
    gtk = elements.fte_gtk_subelement(1, aes_wrap(ft.ptk.kek, ap.gtk))
    mic = ft_mic(
        ft.ptk.kck,
        at.sta.mac,
        ap.bssid,
        FT_REASSOC_RESP,
        rsne,
        ft.mde,
        _ft_fte(ft, ap, bytes(16), gtk),
    )
    return rsne + ft.mde + _ft_fte(ft, ap, mic, gtk)


def _sta_rsne(ap: ApSpec, pmkids: list[bytes]) -> bytes:
    return elements.rsne(ap.akm_suite, pmkids, pairwise=ap.cipher, group=ap.cipher)


def install(sc: Scenario, at: Attempt) -> None:
    """FT roam done: the PTK from the FT exchange is in use, no 4-way handshake."""
    assert at.ft is not None
    at.rec.pmk, at.rec.tk = at.ft.pmk_r1, at.ft.ptk.tk
    sc.links[at.sta.mac] = Link(at.sta, at.ap, at.ft.ptk, at.ft.pmk_r1, at.aid)


# --- EAP --------------------------------------------------------------------------------------


def _eap_out(sc: Scenario, at: Attempt, packet: bytes, from_ap: bool, label: str) -> None:
    frame = eapol.eapol(2 if from_ap else 1, eapol.EAPOL_EAP, packet)
    steps.send_eapol(sc, at.sta, at.ap, frame, from_ap, label)


def tls_rounds(sc: Scenario, method: str) -> list[tuple[bytes, bytes]]:
    """(server payload, client payload) per round after the Start request."""
    rnd = sc.rng.randbytes
    rounds = [
        (eapol.tls_server_flight(rnd(32)), eapol.tls_client_finish(b"\x04" + rnd(64), rnd(40))),
        (eapol.tls_server_finish(rnd(40)), eapol.tls_app_data(rnd(80)) if method != "tls" else b""),
    ]
    if method != "tls":
        rounds.append((eapol.tls_app_data(rnd(48)), b""))
    return rounds


def eap(sc: Scenario, at: Attempt) -> bool:
    """Full EAP (Identity, a TLS-based method, Success or Failure): 50-300 ms of round trips."""
    sta, ap, rec = at.sta, at.ap, at.rec
    method = str(at.opts.pop("eap_method", sta.eap_method))
    kind = eapol.EAP_TYPES[method]
    rec.eap = True
    if at.opts.pop("eapol_start", False):
        steps.send_eapol(sc, sta, ap, eapol.eapol_start(), False, "eapol_start")
    sc.gap(1.0, 4.0)
    ident = sc.rng.randrange(256)
    _eap_out(
        sc, at, eapol.eap(eapol.EAP_REQUEST, ident, eapol.EAP_IDENTITY), True, "eap_req_identity"
    )
    sc.gap(1.0, 5.0)
    _eap_out(
        sc,
        at,
        eapol.eap(eapol.EAP_RESPONSE, ident, eapol.EAP_IDENTITY, sta.identity),
        False,
        "eap_resp_identity",
    )
    start = eapol.eap_tls(eapol.EAP_REQUEST, ident + 1, kind, flags=eapol.TLS_FLAG_START)
    client_hello = eapol.tls_client_hello(sc.rng.randbytes(32))
    rounds = [(start, client_hello)] + [
        (eapol.eap_tls(eapol.EAP_REQUEST, ident + 2 + i, kind, s), c)
        for i, (s, c) in enumerate(tls_rounds(sc, method))
    ]
    for i, (server, client) in enumerate(rounds):
        sc.gap(8.0, 40.0)
        _eap_out(sc, at, server, True, "eap_req")
        sc.gap(1.0, 6.0)
        resp = eapol.eap_tls(eapol.EAP_RESPONSE, ident + 1 + i, kind, client)
        _eap_out(sc, at, resp, False, "eap_resp")
    sc.gap(8.0, 40.0)
    last = ident + len(rounds)
    if at.opts.pop("eap_failure", False):
        return _eap_failed(sc, at, last)
    _eap_out(sc, at, eapol.eap(eapol.EAP_SUCCESS, last), True, "eap_success")
    _eap_keys(sc, at, sc.rng.randbytes(64))
    return True


def _eap_failed(sc: Scenario, at: Attempt, ident: int) -> bool:
    _eap_out(sc, at, eapol.eap(eapol.EAP_FAILURE, ident), True, "eap_failure")
    sc.gap(1.0, 5.0)
    frame = deauth(at.sta.mac, at.ap.bssid, at.ap.bssid, REASON_8021X_FAILED)
    sc.emit(frame, at.ap, at.sta, True, "deauth")
    at.rec.outcome = "eap_failure"
    return False


def _eap_keys(sc: Scenario, at: Attempt, msk: bytes) -> None:
    """MSK -> PMK (MSK[0:32], MSK[0:48] for Suite-B-192) and a new PMKSA, or the FT key
    hierarchy from MSK[32:64]. A Suite-B PMKSA is named after the 4-way handshake."""
    sta, ap, rec = at.sta, at.ap, at.rec
    rec.msk = msk
    if ap.akm == "ft-8021x":
        ft_initial(sc, at, msk[32:64])
    elif ap.is_suite_b:
        at.pmk = msk[:48] if ap.akm == "suite-b-192" else msk[:32]
        at.suite_b_new = True
        sc.ess_pmk[(ap.ssid, sta.mac)] = at.pmk
    else:
        at.pmk = msk[:32]
        pmk_id = pmkid(at.pmk, ap.bssid, sta.mac, ap.akm_suite)
        remember_pmksa(sc, sta, ap, at.pmk, pmk_id)
        sc.ess_pmk[(ap.ssid, sta.mac)] = at.pmk
        at.m1_pmkid = pmk_id if ap.sends_pmkid_kde else None
    rec.pmk = at.pmk


# --- 4-way handshake --------------------------------------------------------------------------


def _padded(frame: bytes, padding: bytes) -> bytes:
    """An EAPOL frame with bytes after its Key Data, counted in the EAPOL body length."""
    if not padding:
        return frame
    return frame[:2] + struct.pack(">H", len(frame) - 4 + len(padding)) + frame[4:] + padding


def _ptk(at: Attempt, anonce: bytes, snonce: bytes) -> Ptk:
    sta, ap = at.sta, at.ap
    if ap.akm_suite in aead.FILS_AKMS:
        return aead.ptk(at.pmk, ap.bssid, sta.mac, anonce, snonce, ap.akm_suite)
    if ap.is_ft:
        return ft_ptk(at.pmk, snonce, anonce, ap.bssid, sta.mac, at.r1_name, ap.cipher)
    return derive_ptk(at.pmk, ap.bssid, sta.mac, anonce, snonce, ap.akm_suite, ap.cipher)


def _m2_m3_data(sc: Scenario, at: Attempt, kek: bytes) -> tuple[bytes, bytes]:
    """M2 repeats the STA's RSNE, M3 the AP's (with PMKR1Name and FT elements for FT)."""
    ap = at.ap
    gtk = gtk_kde(1, ap.gtk)
    if ap.akm_suite in aead.FILS_AKMS:  # sealed with AES-SIV as each frame is written
        return at.sta_rsne, steps.ap_rsne(ap) + gtk
    if not ap.is_ft:
        return at.sta_rsne, aes_wrap(kek, steps.ap_rsne(ap) + gtk)
    names = [at.r1_name]
    m2 = elements.rsne(ap.akm_suite, names) + at.ft_assoc_ies
    tie = elements.timeout_interval(2, KEY_LIFETIME_S)
    m3 = steps.ap_rsne(ap, names) + at.ft_assoc_ies + tie + gtk
    return m2, aes_wrap(kek, m3)


def four_way(sc: Scenario, at: Attempt) -> None:
    """M1 (PMKID KDE per DOMAIN §7), M2, M3, M4; ``m1_retries`` resends M1 each second;
    ``m1_padding`` adds that many zero bytes after M1's Key Data (inside the EAPOL body, as
    hostapd leaves room for a Suite-B PMKID KDE it does not fill); ``m4_after_data``: the
    station's first protected data frame goes out before its M4. The FILS AKMs seal Key
    Data with AES-SIV and have no MIC (analyzer.simulate.aead)."""
    sta, ap, rec = at.sta, at.ap, at.rec
    akm, version = ap.akm_suite, key_version(ap.akm_suite)
    anonce, snonce = sc.rng.randbytes(32), sc.rng.randbytes(32)
    kde = pmkid_kde(at.m1_pmkid) if at.m1_pmkid is not None else b""
    rec.m1_pmkid = at.m1_pmkid
    padding = bytes(int(at.opts.pop("m1_padding", 0)))
    data_first = bool(at.opts.pop("m4_after_data", False))
    inject_m1 = bool(at.opts.pop("m1_after_m3", False))
    replay_m3 = bool(at.opts.pop("m3_replay", False))
    sc.gap(0.5, 3.0)
    replay = 0
    for retry in range(int(at.opts.pop("m1_retries", 0)) + 1):
        if retry:
            sc.gap(1000.0, 1010.0)
        replay += 1
        m1 = KeyMessage("m1", version, replay, anonce, kde, key_length=tk_length(ap.cipher))
        frame = aead.eapol_key(m1, b"") if akm in aead.FILS_AKMS else eapol_key(m1, None, akm)
        steps.send_eapol(sc, sta, ap, _padded(frame, padding), True, "m1")
        m1_frame = _padded(frame, padding)
    ptk = _ptk(at, anonce, snonce)
    m2_data, m3_data = _m2_m3_data(sc, at, ptk.kek)
    messages = [
        (KeyMessage("m2", version, replay, snonce, m2_data), False),
        (KeyMessage("m3", version, replay + 1, anonce, m3_data,
                    key_length=tk_length(ap.cipher)), True),
        (KeyMessage("m4", version, replay + 1), False),
    ]
    link = Link(sta, ap, ptk, at.pmk, at.aid, replay=replay + 1)
    for msg, from_ap in messages:
        sc.gap(0.5, 3.0)
        if msg.message == "m4" and data_first:  # keys installed at M3; M4 queued behind data
            steps.send_data(sc, link, uplink=True)
            sc.gap(0.5, 3.0)
        if akm in aead.FILS_AKMS:
            frame = aead.eapol_key(msg, ptk.kek, 2 if from_ap else 1)
        else:
            frame = eapol_key(msg, ptk.kck, akm, 2 if from_ap else 1)
        steps.send_eapol(sc, sta, ap, frame, from_ap, msg.message)
        if msg.message == "m3" and replay_m3:  # an attacker's copy, before any M4 could come
            sc.now_ns += sc.rng.randrange(300_000, 900_000)
            steps.send_eapol(sc, sta, ap, frame, True, "m3_replayed")
        if msg.message == "m3" and inject_m1:  # the TPTK test: M1 again, same ANonce
            sc.gap(0.3, 0.9)
            steps.send_eapol(sc, sta, ap, m1_frame, True, "m1_injected")
    rec.tk = ptk.tk
    if at.suite_b_new:
        # Suite-B PMKID = HMAC-SHA-256/384(KCK, "PMK Name" || AA || SPA) (hostap
        # rsn_pmkid_suite_b[_192]); both sides add the PMKSA once the handshake is done
        remember_pmksa(sc, sta, ap, at.pmk, pmkid(ptk.kck, ap.bssid, sta.mac, akm))
    sc.links[sta.mac] = link


def first_data(sc: Scenario, at: Attempt) -> None:
    link = sc.links[at.sta.mac]
    sc.gap(2.0, 8.0)
    steps.send_data(sc, link, uplink=True)
    sc.gap(0.5, 3.0)
    steps.send_data(sc, link, uplink=False)
