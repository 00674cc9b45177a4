"""PMKIDs and MICs of one attempt checked with the user's keys, and what needs no key
(DOMAIN §6).

A key "applies" when the AKM can use it: passphrases and PSKs for PSK AKMs; MSKs for 802.1X
AKMs; PMKs, and Wireshark's `wpa-psk` (a PMK there), for every AKM. The PTK is as long as
the negotiated AKM and pairwise cipher make it (KCK/KEK by AKM, TK by cipher: IEEE 802.11-2020
12.7.1.3), which changes every byte of a KDF-based PTK. The result says true / false / None
(no key applies, or nothing can be proved). Verified without a key: the SAE PMKID from the
two commit scalars. With a key: Suite-B PMKIDs from the KCK of the handshake after EAP (and,
through `known`, when offered later), PMKR0Name/PMKR1Name of FT and the FTE MIC of FT
(re)association frames. A MIC is only ever false when a key proved right by the attempt
itself fails it, or when no key verifies the 4-way handshake's M2. Keys and PMKs never leave
this module except through `session_keys` (for decryption and tests): a `KeyCheck` holds only
verdicts and PMKIDs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

from analyzer.config.keys import KeyRing
from analyzer.crypto.keys import (
    SHA384_AKMS,
    Ptk,
    derive_ptk,
    ft_pmk_r0,
    ft_pmk_r1,
    ft_ptk,
    pmk_from_passphrase,
    pmkid,
    sae_pmkid_from_commits,
    tk_length,
)
from analyzer.crypto.mic import verify_eapol_mic, verify_ft_mic
from analyzer.dot11.eapol import decode_eapol_key
from analyzer.dot11.elements import decode_fte, decode_rsne
from analyzer.dot11.errors import DecodeError
from analyzer.dot11.records import Fte
from analyzer.roam.events import mic_length
from analyzer.roam.findings import make
from analyzer.roam.records import Finding, Roam

PSK_AKMS = frozenset({2, 4, 6, 19, 20, 0x0050F202})
EAP_AKMS = frozenset({1, 3, 5, 11, 12, 13, 22, 23, 0x0050F201})
PMK_AKMS = frozenset({8, 9, 18, 24, 25})  # SAE, FT-SAE, OWE, SAE-EXT-KEY
FT_AKMS = frozenset({3, 4, 9, 13, 19, 22, 25})
_SHA384_EAP = frozenset({12, 13, 22, 23})  # PMK = MSK[0:48]
_NO_PMKID_FROM_KEY = frozenset({8, 11, 12, 18, 24})  # SAE/OWE: not from the PMK; Suite-B: KCK
SUITE_B_AKMS = frozenset({11, 12})
SAE_AKMS = frozenset({8, 24})
_NONCE = slice(4 + 13, 4 + 45)
_DEFAULT_CIPHER = 4  # CCMP-128, when the station's RSNE was not captured


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
    # PMKIDs proved by the attempt (SAE commit scalars, a Suite-B KCK after EAP), for later
    # attempts that offer them (`known`)
    derived: frozenset[bytes] = frozenset()
    unmatched_frame: int | None = None  # the M2 none of the keys verifies (no key proved)


NO_CHECK = KeyCheck()


@dataclass(frozen=True, slots=True)
class _Candidate:
    pmk: bytes  # PMK, or PMK-R1 for FT
    names: frozenset[bytes]  # the PMKIDs it implies for (AA, SPA)
    ft_r1_name: bytes | None = None
    xxkey: bytes = b""  # FT: the key PMK-R0 comes from (PMKR0Name of an FT Authentication)


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
            # through the process-wide cache the decryption pass's key lookups share
            pmk = self._pmks[(passphrase, ssid)] = _psk(passphrase, ssid)
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
    elif akm in EAP_AKMS:
        for msk in keys.msks:
            pmk = msk[:48] if akm in _SHA384_EAP else msk[:32]
            yield pmk, (pmk if akm in _SHA384_EAP else msk[32:64])
    if akm in PSK_AKMS | EAP_AKMS | PMK_AKMS:
        # Wireshark's wpa-psk is a PMK (the PSK, or an 802.1X/SAE/OWE PMK); its length must
        # fit the AKM: 48 bytes only for the SHA-384 AKMs and the 384-bit-group ones
        for k in keys.psks + keys.pmks:
            if len(k) == 32 or akm in SHA384_AKMS or akm in PMK_AKMS:
                yield k, k


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
    return _Candidate(r1, names | {r0_name, r1_name}, r1_name, xxkey)


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


def cipher_of(roam: Roam) -> int:
    """The negotiated pairwise cipher (the station's RSNE); CCMP-128 when not captured, and
    for a suite this module has no TK length for (vendor suites)."""
    cipher = roam.evidence.pairwise_cipher
    try:
        tk_length(cipher if cipher is not None else _DEFAULT_CIPHER)
    except ValueError:
        return _DEFAULT_CIPHER
    return cipher if cipher is not None else _DEFAULT_CIPHER


def _ptk(roam: Roam, cand: _Candidate, akm: int, anonce: bytes, snonce: bytes) -> Ptk:
    aa, spa = _mac(roam.to_bssid), _mac(roam.sta)
    cipher = cipher_of(roam)
    if cand.ft_r1_name is not None:
        return ft_ptk(cand.pmk, snonce, anonce, aa, spa, cand.ft_r1_name, cipher, akm=akm)
    return derive_ptk(cand.pmk, aa, spa, anonce, snonce, akm if akm < 256 else 2, cipher)


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
        names = cand.names | _suite_b_names(roam, akm, ptk)
        for message, frame, pdu in later:
            nonce = pdu[_NONCE] if message == "M3" else anonce
            kck = ptk.kck if nonce == anonce else _ptk(roam, cand, akm, nonce, snonce).kck
            if not _mic_ok(kck, pdu, akm):
                return KeyCheck(False, bad_mic_frame=frame, bad_mic_message=message,
                                keys_applied=len(cands), pmk_names=names)
        return KeyCheck(True, keys_applied=len(cands), pmk_names=names,
                        derived=names - cand.names)
    # No key verifies M2: the network's key is not among them, or M2 was altered. Nothing is
    # proved either way, so the MICs stay unknown (never MIC_INVALID for a missing key).
    return KeyCheck(None, keys_applied=len(cands), unmatched_frame=m2[1], bad_mic_message="M2")


def _suite_b_names(roam: Roam, akm: int, ptk: Ptk) -> frozenset[bytes]:
    """Suite-B: the PMKSA an EAP authentication creates is named from the KCK of the 4-way
    handshake that follows it (hostap rsn_pmkid_suite_b; wpa_supplicant adds it after M3)."""
    if akm not in SUITE_B_AKMS or not roam.evidence.eap_success:
        return frozenset()
    return frozenset({pmkid(ptk.kck, _mac(roam.to_bssid), _mac(roam.sta), akm)})


def session_keys(roam: Roam, keys: KeyRing, derived: Derivations | None = None) -> list[Ptk]:
    """The PTK of each 4-way handshake of the attempt whose M2 MIC a key verifies (M1/M3
    ANonce with the M2 SNonce after it), in order: for decrypting frames, and for tests.
    The caller must keep them out of every output."""
    akm = akm_of(roam)
    if not keys or akm is None or akm in (14, 15, 16, 17):
        return []
    cands = _candidates(roam, keys, akm, derived)
    pdus = [(m, f, _pdu(raw)) for m, f, raw in roam.evidence.eapol_keys]
    out: list[Ptk] = []
    anonce: bytes | None = None
    for message, _, pdu in pdus:
        if message in ("M1", "M3"):
            anonce = pdu[_NONCE]
        elif message == "M2" and anonce is not None:
            ptk = next((k for c in cands
                        if _mic_ok((k := _ptk(roam, c, akm, anonce, pdu[_NONCE])).kck, pdu, akm)),
                       None)
            if ptk is not None and ptk not in out:
                out.append(ptk)
    return out


def ft_session_key(roam: Roam, keys: KeyRing) -> Ptk | None:
    """The PTK of an FT transition (no 4-way handshake): from PMK-R1 and the nonces of the
    Reassociation Request's FTE, under a key whose PMKR1Name the station named and whose PTK
    verifies that FTE's MIC. For decryption only; the caller keeps it out of every output."""
    akm = akm_of(roam)
    if not keys or akm not in FT_AKMS:
        return None
    cands = _candidates(roam, keys, akm)
    n = _ft_mic_len(akm)
    aa, spa = _mac(roam.to_bssid), _mac(roam.sta)
    for seq, _, rsne, mde, fte_raw, rsnxe, fte, ids in _ft_frames(roam, n):
        if seq != 5:
            continue
        for cand in cands:
            got = _ft_names(roam, cand, akm, fte.r0kh_id, fte.r1kh_id)
            if got is None or got[2] not in ids:
                continue
            _, r1, r1_name = got
            ptk = ft_ptk(r1, fte.snonce, fte.anonce, aa, spa, r1_name, cipher_of(roam), akm=akm)
            if verify_ft_mic(ptk.kck, spa, aa, 5, rsne, mde, fte_raw, rsnxe):
                return ptk
    return None


def rekey_ptk(roam: Roam, keys: KeyRing, anonce: bytes, m2_pdu: bytes) -> Ptk | None:
    """The PTK of a later 4-way handshake on the attempt's association (a rekey, seen only
    inside protected frames): the attempt's PMK with this ANonce and the M2's SNonce, when a
    key verifies the M2's MIC. For decryption only; the caller keeps it out of every output."""
    akm = akm_of(roam)
    if not keys or akm is None or akm in (14, 15, 16, 17) or len(m2_pdu) < _NONCE.stop:
        return None
    pdu = _pdu(m2_pdu)
    for cand in _candidates(roam, keys, akm):
        ptk = _ptk(roam, cand, akm, anonce, pdu[_NONCE])
        if _mic_ok(ptk.kck, pdu, akm):
            return ptk
    return None


def key_mic_ok(roam: Roam, kck: bytes, pdu: bytes) -> bool:
    """An EAPOL-Key PDU's MIC under `kck` with the attempt's AKM (which PTK sent an M3/G1)."""
    akm = akm_of(roam)
    return akm is not None and _mic_ok(kck, _pdu(pdu), akm)


# --- FT: PMKR0Name, PMKR1Name, FTE MIC ---------------------------------------------------


def _ft_mic_len(akm: int) -> int:
    return 24 if akm in SHA384_AKMS else 16


def _ft_pmkids(roam: Roam) -> list[bytes]:
    """PMKIDs of the FT frames' RSNEs: PMKR0Name (FT Authentication/Request), PMKR1Name."""
    out: list[bytes] = []
    for _, _, rsne, *_ in roam.evidence.ft_frames:
        if len(rsne) > 2:
            try:
                out += decode_rsne(rsne[2:]).pmkids
            except DecodeError:
                continue
    return out


def _ft_names(roam: Roam, cand: _Candidate, akm: int, r0kh: bytes | None,
              r1kh: str | None) -> tuple[bytes, bytes, bytes] | None:
    """(PMKR0Name, PMK-R1, PMKR1Name) for the key holders one FT frame names."""
    ev = roam.evidence
    if roam.ssid is None or ev.mdid is None or not r0kh:
        return None
    spa = _mac(roam.sta)
    r0, r0_name = ft_pmk_r0(cand.xxkey, roam.ssid.encode(), ev.mdid, r0kh, spa, akm=akm)
    r1, r1_name = ft_pmk_r1(r0, r0_name, _mac(r1kh or roam.to_bssid), spa)
    return r0_name, r1, r1_name


FtFrame = tuple[int, int, bytes, bytes, bytes, bytes, Fte, tuple[bytes, ...]]


def _ft_frames(roam: Roam, mic_len: int) -> Iterator[FtFrame]:
    """The attempt's FT frames with their FTE and RSNE PMKIDs decoded (those that decode):
    (transaction sequence, frame, RSNE, MDE, FTE element, RSNXE, FTE, PMKIDs)."""
    for seq, frame, rsne, mde, fte_raw, rsnxe in roam.evidence.ft_frames:
        try:
            fte = decode_fte(fte_raw[2:], mic_len=mic_len)
            ids = decode_rsne(rsne[2:]).pmkids if len(rsne) > 2 else ()
        except DecodeError:
            continue
        yield seq, frame, rsne, mde, fte_raw, rsnxe, fte, ids


def _check_ft(roam: Roam, cands: list[_Candidate], akm: int) -> KeyCheck:
    """The FTE MICs of the Reassociation Request/Response, and the names the keys imply.

    The MIC counts only under a key whose PMKR1Name is the one the station named: then it is
    true or false; with no such key it stays None."""
    names: set[bytes] = set()  # only those of a key whose names the frames show
    shown = set(_ft_pmkids(roam))
    verdicts: list[tuple[bool, int, int]] = []
    n = _ft_mic_len(akm)
    for seq, frame, rsne, mde, fte_raw, rsnxe, fte, ids in _ft_frames(roam, n):
        for cand in cands:
            got = _ft_names(roam, cand, akm, fte.r0kh_id, fte.r1kh_id)
            if got is None:
                continue
            r0_name, r1, r1_name = got
            if r0_name in shown or r1_name in shown:
                names.update((r0_name, r1_name))
            if seq in (5, 6) and r1_name in ids:
                ok = _ft_frame_mic_ok(roam, seq, r1, r1_name, fte, akm,
                                      (rsne, mde, fte_raw, rsnxe))
                verdicts.append((ok, frame, seq))
    bad = next(((f, s) for ok, f, s in verdicts if not ok), None)
    if bad is not None:
        message = "Reassociation Request FTE" if bad[1] == 5 else "Reassociation Response FTE"
        return KeyCheck(False, bad_mic_frame=bad[0], bad_mic_message=message,
                        keys_applied=len(cands), pmk_names=frozenset(names))
    if verdicts:
        return KeyCheck(True, keys_applied=len(cands), pmk_names=frozenset(names))
    req = next((f for s, f, *_ in roam.evidence.ft_frames if s == 5), None)
    return KeyCheck(None, keys_applied=len(cands), pmk_names=frozenset(names),
                    unmatched_frame=req, bad_mic_message="Reassociation Request FTE")


def _ft_frame_mic_ok(roam: Roam, seq: int, r1: bytes, r1_name: bytes, fte: Fte, akm: int,
                     raw: tuple[bytes, bytes, bytes, bytes]) -> bool:
    aa, spa = _mac(roam.to_bssid), _mac(roam.sta)
    ptk = ft_ptk(r1, fte.snonce, fte.anonce, aa, spa, r1_name, cipher_of(roam), akm=akm)
    rsne, mde, fte_raw, rsnxe = raw
    return verify_ft_mic(ptk.kck, spa, aa, seq, rsne, mde, fte_raw, rsnxe)


# --- the check -------------------------------------------------------------------------------


def keyless_names(roam: Roam) -> frozenset[bytes]:
    """PMKIDs the attempt proves without a key: the SAE PMKID of its two commit scalars."""
    sc = roam.evidence.sae_scalars
    if sc is None:
        return frozenset()
    value = sae_pmkid_from_commits(*sc)
    return frozenset() if value is None else frozenset({value})


def check(roam: Roam, keys: KeyRing, known: frozenset[bytes] = frozenset(),
          derived: Derivations | None = None) -> KeyCheck:
    """Verify the attempt's PMKIDs (offered, M1, M2, FT) and its MICs (4-way handshake, or the
    FTE MICs of an FT reassociation). `known`: PMKIDs earlier attempts of this station with
    this AP proved (SAE, Suite-B), so an offer of one verifies; `derived`: the run's
    passphrase PMKs (bounded), else a small process-wide cache."""
    akm = akm_of(roam)
    sae = keyless_names(roam)
    cands = _candidates(roam, keys, akm, derived) if keys and akm is not None and akm not in (
        14, 15, 16, 17) else []
    mics = _check_mics(roam, cands, akm) if cands and akm is not None else NO_CHECK
    ft = NO_CHECK
    if cands and akm in FT_AKMS and roam.evidence.ft_frames:
        ft = _check_ft(roam, cands, akm)
        if mics.mic_valid is None and (ft.mic_valid is not None or mics.unmatched_frame is None):
            mics = replace(ft, pmk_names=mics.pmk_names)
    ids = [bytes.fromhex(p) for p in roam.pmkids_offered] + list(roam.evidence.m1_pmkids)
    ids += _m2_pmkids(roam, akm) + _ft_pmkids(roam)
    # a key is proved right when it verifies a MIC or derives a name the attempt shows
    proven = mics.mic_valid is not None or bool(ft.pmk_names & set(ids))
    proved = sae | known | mics.derived | ft.pmk_names
    verified = {p: _verified(p, cands, akm, proved, proven) for p in dict.fromkeys(ids)}
    if not cands and not any(v is not None for v in verified.values()):
        return replace(NO_CHECK, derived=sae) if sae else NO_CHECK
    return KeyCheck(
        mics.mic_valid, verified, _m1_matches(roam, mics), mics.bad_mic_frame,
        mics.bad_mic_message, len(cands), mics.pmk_names | ft.pmk_names, mics.derived | sae,
        mics.unmatched_frame,
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


def _verified(value: bytes, cands: list[_Candidate], akm: int | None, proved: frozenset[bytes],
              proven: bool) -> bool | None:
    """True when a key or the attempt proves `value`; False only when a key the attempt
    proved right (a MIC, an FT name) derives a different name for an AKM whose PMKIDs come
    from the PMK. An SAE M1 PMKID that is not the commit scalars' stays None: hostapd of
    early 2018 put a PMK-derived PMKID there (sae_simple_psk.pcapng)."""
    if value in proved or any(value in c.names for c in cands):
        return True
    if akm is None or akm in _NO_PMKID_FROM_KEY or not cands or not proven:
        return None
    return False


def _m1_matches(roam: Roam, mics: KeyCheck) -> bool | None:
    m1 = roam.evidence.m1_pmkid
    if m1 is None or not mics.mic_valid or not mics.pmk_names:
        return None
    return m1 in mics.pmk_names


def findings(roam: Roam, result: KeyCheck) -> list[Finding]:
    """MIC_INVALID for a MIC the key that verified the attempt fails; MIC_UNVERIFIED (info)
    when no applicable key verifies M2; PMKID_INVALID per PMKID a proved key contradicts."""
    out = []
    if result.mic_valid is False:
        msg = (f"{result.bad_mic_message} MIC does not verify with the key that verified "
               "this attempt's other frames: corrupted or forged handshake")
        out.append(_finding("MIC_INVALID", "error", result.bad_mic_frame, roam, msg))
    if result.unmatched_frame is not None:
        msg = (f"{result.bad_mic_message} MIC verifies with none of the {result.keys_applied} "
               "key(s) that apply: the network's key is not among them (or the frame was "
               "altered); MICs not judged")
        out.append(_finding("MIC_UNVERIFIED", "info", result.unmatched_frame, roam, msg))
    for value, ok in result.pmkids.items():
        if ok is False:
            where, frame = _where(roam, value)
            msg = (f"PMKID {value.hex()} in the {where} is not the standard derivation from "
                   "the PMK whose MICs verify in this attempt")
            # a PSK network caches nothing: its M1 PMKID is never used, whatever the AP put
            unused = where == "M1" and roam.evidence.akm_suite in PSK_AKMS
            if unused:
                msg += "; the AP fills it its own way, harmless with a PSK"
            out.append(_finding("PMKID_INVALID", "info" if unused else "warning", frame, roam,
                                msg))  # fmt: skip
    return out


_FT_WHERE = {1: "FT Authentication", 2: "FT Authentication", 5: "Reassociation Request",
             6: "Reassociation Response"}


def _where(roam: Roam, value: bytes) -> tuple[str, int | None]:
    """The frame that carried a PMKID: M1, an FT frame's RSNE, else the (Re)Association."""
    ev = roam.evidence
    if value in ev.m1_pmkids:
        return "M1", ev.m1_frame
    for seq, frame, rsne, *_ in ev.ft_frames:
        if value in rsne and seq in _FT_WHERE:
            return _FT_WHERE[seq], frame
    return "(Re)Association Request", ev.assoc_req_frame


def _finding(code: str, severity: str, frame: int | None, roam: Roam, msg: str) -> Finding:
    f = make(code, frame, roam.sta, roam.to_bssid, msg, roam.id)
    return Finding(f.code, severity, f.frame, f.sta, f.bssid, f.message, f.roam_id)
