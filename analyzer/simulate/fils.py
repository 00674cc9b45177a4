"""FILS Shared Key authentication with PMKSA caching (IEEE 802.11-2020 12.11.2): the station
offers its cached PMKID in an Authentication frame (algorithm 4), the AP answers with it; both
derive ICK, KEK and TK from the PMK and the two nonces, and the (Re)Association frames carry a
FILS Key Confirmation, sealed with AES-SIV under the KEK (hostapd fils_encrypt_assoc /
wpa_supplicant fils_build_assoc_req). No 4-way handshake follows."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from analyzer.crypto.keys import Ptk, prf

from . import elements
from .eapol import gtk_kde
from .frames import assoc_req, assoc_resp, auth, capabilities
from .handshake import Attempt
from .model import Link

if TYPE_CHECKING:
    from .scenario import Scenario

ALG_FILS_SK = 4
EXT_FILS_KEY_CONFIRM, EXT_FILS_SESSION, EXT_FILS_NONCE = 3, 4, 13
_LABEL = b"FILS PTK Derivation"


def keys(pmk: bytes, spa: bytes, aa: bytes, snonce: bytes, anonce: bytes) -> tuple[bytes, Ptk]:
    """(ICK, PTK with KEK and TK): FILS-SHA256, CCMP-128 (12.12.2.5.3)."""
    buf = prf(pmk, _LABEL, spa + aa + snonce + anonce, (32 + 32 + 16) * 8, "sha256")
    return buf[:32], Ptk(kck=b"", kek=buf[32:64], tk=buf[64:80], kdk=b"")


def _key_auth(ick: bytes, *parts: bytes) -> bytes:
    return hmac.new(ick, b"".join(parts), hashlib.sha256).digest()


def _sealed(kek: bytes, frame: bytes, body_at: int, plain: bytes, ad: list[bytes]) -> bytes:
    """The frame with `plain` appended, sealed: AES-SIV over it with the addresses, nonces and
    the body from its fixed fields to the FILS Session element as associated data."""
    return frame + AESSIV(kek).encrypt(plain, ad + [frame[body_at:]])


def run(sc: Scenario, at: Attempt) -> bool:
    """FILS authentication and (re)association with the cached PMKSA; the link is keyed."""
    sta, ap = at.sta, at.ap
    cached = sc.sta_pmksa.get((sta.mac, ap.bssid))
    if cached is None:
        raise ValueError(f"fils: {sta.name!r} has no PMKSA with {ap.name!r} to offer")
    snonce, anonce = sc.rng.randbytes(16), sc.rng.randbytes(16)
    session = sc.rng.randbytes(8)
    rsne = elements.rsne(ap.akm_suite, [cached.pmkid], ap.rsn_caps, pairwise=ap.cipher,
                         group=ap.cipher)  # fmt: skip
    fils_ies = elements.ext_element(EXT_FILS_SESSION, session)
    at.rec.pmkids_offered = [cached.pmkid]
    sc.emit(auth(ap.bssid, sta.mac, ap.bssid, ALG_FILS_SK, 1, 0,
                 rsne + elements.ext_element(EXT_FILS_NONCE, snonce) + fils_ies),
            ap, sta, False, "auth_req")  # fmt: skip
    sc.gap(0.5, 2.0)
    sc.emit(auth(sta.mac, ap.bssid, ap.bssid, ALG_FILS_SK, 2, 0,
                 rsne + elements.ext_element(EXT_FILS_NONCE, anonce) + fils_ies),
            ap, sta, True, "auth_resp")  # fmt: skip
    ick, ptk = keys(cached.pmk, sta.mac, ap.bssid, snonce, anonce)
    ad = [sta.mac, ap.bssid, snonce, anonce]
    reassoc = at.old is not None or bool(at.opts.pop("reassoc", False))
    current = at.old.ap.bssid if at.old is not None else (ap.bssid if reassoc else None)
    cap = capabilities(ap.freq_mhz)
    req = assoc_req(ap.bssid, sta.mac, cap, elements.ssid(ap.ssid) + rsne + fils_ies, current)
    confirm = elements.ext_element(EXT_FILS_KEY_CONFIRM,
                                   _key_auth(ick, snonce, anonce, sta.mac, ap.bssid))
    sc.gap(0.5, 2.5)
    sc.emit(_sealed(ptk.kek, req, 24, confirm, ad), ap, sta, False,
            "reassoc_req" if reassoc else "assoc_req")  # fmt: skip
    at.aid = sc.rng.randrange(1, 2008)
    resp = assoc_resp(ap.bssid, sta.mac, cap, 0, at.aid, elements.rates(ap.freq_mhz) + fils_ies,
                      reassoc)  # fmt: skip
    ap_confirm = elements.ext_element(EXT_FILS_KEY_CONFIRM,
                                      _key_auth(ick, anonce, snonce, ap.bssid, sta.mac))
    sc.gap(0.5, 3.0)
    sc.emit(_sealed(ptk.kek, resp, 24, ap_confirm + gtk_kde(1, ap.gtk), ad), ap, sta,
            True, "reassoc_resp" if reassoc else "assoc_resp")  # fmt: skip
    at.pmk, at.rec.pmk, at.rec.tk, at.rec.pmksa_hit = cached.pmk, cached.pmk, ptk.tk, True
    sc.links[sta.mac] = Link(sta, ap, ptk, cached.pmk, at.aid)
    return True

