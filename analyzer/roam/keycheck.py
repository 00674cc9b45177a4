"""PMKIDs and EAPOL-Key MICs of one attempt checked with the user's keys (DOMAIN §6).

A key "applies" when the AKM can use it: passphrases, PSKs and PMKs for PSK AKMs; MSKs and
PMKs for 802.1X AKMs; PMKs (and Wireshark-style PSKs) for SAE and OWE. The result says
true / false / None (no key applies, or the value cannot be derived from a key: SAE and OWE
PMKIDs, Suite-B PMKIDs). Keys and PMKs never leave this module: a `KeyCheck` holds only
verdicts and PMKIDs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from analyzer.config.keys import KeyRing
from analyzer.crypto.keys import (
    Ptk,
    derive_ptk,
    ft_pmk_r0,
    ft_pmk_r1,
    ft_ptk,
    pmk_from_passphrase,
    pmkid,
)
from analyzer.crypto.mic import verify_eapol_mic
from analyzer.dot11.eapol import decode_eapol_key
from analyzer.dot11.errors import DecodeError
from analyzer.roam.events import mic_length
from analyzer.roam.findings import make
from analyzer.roam.records import Finding, Roam

PSK_AKMS = frozenset({2, 4, 6, 19, 20, 0x0050F202})
EAP_AKMS = frozenset({1, 3, 5, 11, 12, 13, 22, 23, 0x0050F201})
PMK_AKMS = frozenset({8, 9, 18, 24, 25})  # SAE, FT-SAE, OWE, SAE-EXT-KEY
FT_AKMS = frozenset({3, 4, 9, 13, 19, 22, 25})
_SHA384_EAP = frozenset({12, 13, 22, 23})  # PMK = MSK[0:48]
_NO_PMKID_FROM_KEY = frozenset({8, 11, 12, 18, 24})  # SAE/OWE: not from the PMK; Suite-B: KCK
_NONCE = slice(4 + 13, 4 + 45)


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """What the keys proved about one attempt."""

    mic_valid: bool | None = None
    pmkids: Mapping[bytes, bool | None] = field(default_factory=dict)
    m1_matches_pmk: bool | None = None  # M1's PMKID derives from the PMK the MICs verified
    bad_mic_frame: int | None = None
    bad_mic_message: str | None = None
    keys_applied: int = 0
    pmk_names: frozenset[bytes] = frozenset()  # PMKIDs implied by the PMK the MICs verified


NO_CHECK = KeyCheck()


@dataclass(frozen=True, slots=True)
class _Candidate:
    pmk: bytes  # PMK, or PMK-R1 for FT
    names: frozenset[bytes]  # the PMKIDs it implies for (AA, SPA)
    ft_r1_name: bytes | None = None


@lru_cache(maxsize=256)
def _psk(passphrase: bytes, ssid: bytes) -> bytes:
    return pmk_from_passphrase(passphrase, ssid)


MAX_DERIVED = 1024  # passphrase PMKs derived per run: one PBKDF2 (~2 ms) per distinct SSID


class Derivations:
    """The passphrase PMKs of one run: one PBKDF2 per distinct (passphrase, SSID), at most
    `limit` of them; an SSID beyond (forged SSIDs by the thousand) is not derived, and
    `refused` counts the attempts checked without it."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_DERIVED if limit is None else limit
        self.refused = 0
        self._pmks: dict[tuple[bytes, bytes], bytes] = {}

    def pmk(self, passphrase: bytes, ssid: bytes) -> bytes | None:
        pmk = self._pmks.get((passphrase, ssid))
        if pmk is None:
            if len(self._pmks) >= self.limit:
                self.refused += 1
                return None
            pmk = self._pmks[(passphrase, ssid)] = pmk_from_passphrase(passphrase, ssid)
        return pmk


def _mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


def akm_of(roam: Roam) -> int | None:
    """The negotiated AKM, else a guess from the key descriptor version (2: PSK, 3: SHA-256)."""
    if roam.evidence.akm_suite is not None:
        return roam.evidence.akm_suite
    for _, _, pdu in roam.evidence.eapol_keys:
        if len(pdu) > 6:
            return {1: 2, 2: 2, 3: 6}.get(pdu[6] & 0x07)
    return None


def _bases(keys: KeyRing, akm: int, ssid: bytes | None, derived: Derivations | None
           ) -> Iterator[tuple[bytes, bytes]]:
    """Candidate (PMK, FT XXKey) pairs in the order they are tried (DOMAIN §6)."""
    if akm in PSK_AKMS:
        for pw, own in keys.passphrases:
            if own or ssid:
                salt = own or ssid or b""
                psk = _psk(pw, salt) if derived is None else derived.pmk(pw, salt)
                if psk is not None:
                    yield psk, psk
        yield from ((k, k) for k in keys.psks)
    elif akm in EAP_AKMS:
        for msk in keys.msks:
            pmk = msk[:48] if akm in _SHA384_EAP else msk[:32]
            yield pmk, (pmk if akm in _SHA384_EAP else msk[32:64])
    elif akm in PMK_AKMS:
        yield from ((k, k) for k in keys.psks)
    if akm in PSK_AKMS | EAP_AKMS | PMK_AKMS:
        yield from ((k, k) for k in keys.pmks)


def _candidates(roam: Roam, keys: KeyRing, akm: int, derived: Derivations | None = None
                ) -> list[_Candidate]:
    ssid = roam.ssid.encode() if roam.ssid is not None else None
    aa, spa = _mac(roam.to_bssid), _mac(roam.sta)
    out = []
    for pmk, xxkey in dict.fromkeys(_bases(keys, akm, ssid, derived)):
        names = frozenset() if akm in _NO_PMKID_FROM_KEY else {_pmkid(pmk, aa, spa, akm)}
        if akm in FT_AKMS:
            cand = _ft_candidate(roam, xxkey, akm, ssid, frozenset(names))
            if cand is not None:
                out.append(cand)
        else:
            out.append(_Candidate(pmk, frozenset(names)))
    return out


def _pmkid(pmk: bytes, aa: bytes, spa: bytes, akm: int) -> bytes:
    """IEEE 802.11-2020 12.7.1.3: HMAC-SHA-1 unless the AKM names SHA-256/384; FT AKMs 3/4
    name none (the PMKSA of an FT initial association, M1's KDE in wpa2-ft-eap)."""
    return pmkid(pmk, aa, spa, 2 if akm in (3, 4) or akm >= 256 else akm)


def _ft_candidate(
    roam: Roam, xxkey: bytes, akm: int, ssid: bytes | None, names: frozenset[bytes]
) -> _Candidate | None:
    ev = roam.evidence
    if ssid is None or ev.mdid is None or not ev.r0kh_id:
        return None
    spa = _mac(roam.sta)
    r1kh = _mac(ev.r1kh_id or roam.to_bssid)
    r0, r0_name = ft_pmk_r0(xxkey, ssid, ev.mdid, ev.r0kh_id, spa, akm=akm)
    r1, r1_name = ft_pmk_r1(r0, r0_name, r1kh, spa)
    return _Candidate(r1, names | {r0_name, r1_name}, r1_name)


# --- MICs ------------------------------------------------------------------------------------


def _pdu(raw: bytes) -> bytes:
    """The EAPOL PDU without any trailing padding (length from the 802.1X header)."""
    return raw[: 4 + int.from_bytes(raw[2:4], "big")] if len(raw) >= 4 else raw


def _handshake(roam: Roam) -> tuple[bytes, tuple[str, int, bytes], list[tuple[str, int, bytes]]]:
    """(ANonce, M2, [M3, M4]) of the first M2 and the M1 before it; ValueError if incomplete."""
    keys = [(m, f, _pdu(raw)) for m, f, raw in roam.evidence.eapol_keys]
    m2 = next((k for k in keys if k[0] == "M2"), None)
    if m2 is None:
        raise ValueError("no M2")
    m1s = [k for k in keys if k[0] == "M1" and k[1] < m2[1]]
    m3s = [k for k in keys if k[0] == "M3"]
    source = m1s[-1] if m1s else (m3s[0] if m3s else None)
    if source is None:
        raise ValueError("no ANonce")
    later = [next((k for k in keys if k[0] == m), None) for m in ("M3", "M4")]
    return source[2][_NONCE], m2, [k for k in later if k is not None]


def _ptk(roam: Roam, cand: _Candidate, akm: int, anonce: bytes, snonce: bytes) -> Ptk:
    aa, spa = _mac(roam.to_bssid), _mac(roam.sta)
    if cand.ft_r1_name is not None:
        return ft_ptk(cand.pmk, snonce, anonce, aa, spa, cand.ft_r1_name, akm=akm)
    return derive_ptk(cand.pmk, aa, spa, anonce, snonce, akm if akm < 256 else 2)


def _mic_ok(kck: bytes, pdu: bytes, akm: int) -> bool:
    version = pdu[6] & 0x07 if len(pdu) > 6 else 0
    return verify_eapol_mic(kck, pdu, version, akm if akm < 256 else 2)


def _check_mics(roam: Roam, cands: list[_Candidate], akm: int) -> KeyCheck:
    try:
        anonce, m2, later = _handshake(roam)
    except ValueError:
        return KeyCheck(keys_applied=len(cands))
    snonce = m2[2][_NONCE]
    for cand in cands:
        ptk = _ptk(roam, cand, akm, anonce, snonce)
        if not _mic_ok(ptk.kck, m2[2], akm):
            continue
        for message, frame, pdu in later:
            nonce = pdu[_NONCE] if message == "M3" else anonce
            kck = ptk.kck if nonce == anonce else _ptk(roam, cand, akm, nonce, snonce).kck
            if not _mic_ok(kck, pdu, akm):
                return KeyCheck(False, bad_mic_frame=frame, bad_mic_message=message,
                                keys_applied=len(cands), pmk_names=cand.names)
        return KeyCheck(True, keys_applied=len(cands), pmk_names=cand.names)
    return KeyCheck(False, bad_mic_frame=m2[1], bad_mic_message="M2", keys_applied=len(cands))


# --- the check -------------------------------------------------------------------------------


def check(roam: Roam, keys: KeyRing, derived: Derivations | None = None) -> KeyCheck:
    """Verify the attempt's PMKIDs (offered and M1) and its 4-way handshake MICs; `derived`:
    the run's passphrase PMKs (bounded), else a small process-wide cache."""
    akm = akm_of(roam)
    if not keys or akm is None or akm in (14, 15, 16, 17):
        return NO_CHECK
    cands = _candidates(roam, keys, akm, derived)
    if not cands:
        return NO_CHECK
    mics = _check_mics(roam, cands, akm)
    ids = [bytes.fromhex(p) for p in roam.pmkids_offered] + list(roam.evidence.m1_pmkids)
    ids += _m2_pmkids(roam, akm)
    verified = {p: _verified(p, cands, akm) for p in dict.fromkeys(ids)}
    return KeyCheck(
        mics.mic_valid, verified, _m1_matches(roam, mics), mics.bad_mic_frame,
        mics.bad_mic_message, len(cands), mics.pmk_names,
    )


def _m2_pmkids(roam: Roam, akm: int) -> list[bytes]:
    """PMKIDs in the RSNE of M2's key data (PMKR1Name after an FT initial association)."""
    n = mic_length(akm)
    out: list[bytes] = []
    for message, _, raw in roam.evidence.eapol_keys:
        if message != "M2" or n is None:
            continue
        try:
            key = decode_eapol_key(_pdu(raw)[4:], mic_len=n)
        except DecodeError:
            continue
        out += key.rsne.pmkids if key.rsne is not None else ()
    return out


def _verified(value: bytes, cands: list[_Candidate], akm: int) -> bool | None:
    if akm in _NO_PMKID_FROM_KEY:
        return None
    return any(value in c.names for c in cands)


def _m1_matches(roam: Roam, mics: KeyCheck) -> bool | None:
    m1 = roam.evidence.m1_pmkid
    if m1 is None or not mics.mic_valid or not mics.pmk_names:
        return None
    return m1 in mics.pmk_names


def findings(roam: Roam, result: KeyCheck) -> list[Finding]:
    """MIC_INVALID for a MIC no applicable key verifies; PMKID_INVALID per unverified PMKID."""
    out = []
    if result.mic_valid is False:
        msg = (f"{result.bad_mic_message} MIC does not verify with the {result.keys_applied} "
               "key(s) that apply: wrong key or corrupted handshake")
        out.append(_finding("MIC_INVALID", "error", result.bad_mic_frame, roam, msg))
    for value, ok in result.pmkids.items():
        if ok is False:
            where = "M1" if value in roam.evidence.m1_pmkids else "(Re)Association Request"
            frame = roam.evidence.m1_frame if where == "M1" else roam.evidence.assoc_req_frame
            msg = f"PMKID {value.hex()} in the {where} matches none of the keys that apply"
            out.append(_finding("PMKID_INVALID", "warning", frame, roam, msg))
    return out


def _finding(code: str, severity: str, frame: int | None, roam: Roam, msg: str) -> Finding:
    f = make(code, frame, roam.sta, roam.to_bssid, msg, roam.id)
    return Finding(f.code, severity, f.frame, f.sta, f.bssid, f.message, f.roam_id)
