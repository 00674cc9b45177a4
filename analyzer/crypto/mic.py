"""EAPOL-Key MIC and FT (FTE) MIC, after hostap ``wpa_eapol_key_mic`` / ``wpa_ft_mic``.

``eapol`` is always the whole EAPOL frame, from the 802.1X header (version byte)
to the end of the key data. The MIC sits at EAPOL offset 4 + 77 = 81.
"""

from __future__ import annotations

import hmac

from analyzer.crypto.keys import BY_PMK_LEN_AKMS, SHA384_AKMS

MIC_OFFSET = 4 + 77
CMAC_V0_AKMS = frozenset({8, 9})  # SAE / FT-SAE with key descriptor version 0
_HMAC_BY_MIC_LEN = {16: "sha256", 24: "sha384", 32: "sha512"}


def mic_offset() -> int:
    """Offset of the Key MIC field in an EAPOL frame (802.1X header included)."""
    return MIC_OFFSET


def extract_mic(eapol: bytes, mic_len: int = 16) -> bytes:
    """The Key MIC field of an EAPOL-Key frame."""
    return eapol[MIC_OFFSET : MIC_OFFSET + mic_len]


def zero_mic(eapol: bytes, mic_len: int = 16) -> bytes:
    """The same EAPOL frame with its ``mic_len``-byte Key MIC field cleared."""
    if len(eapol) < MIC_OFFSET + mic_len:
        raise ValueError("EAPOL frame too short for its MIC field")
    return eapol[:MIC_OFFSET] + bytes(mic_len) + eapol[MIC_OFFSET + mic_len :]


def aes_cmac(key: bytes, data: bytes) -> bytes:
    """AES-CMAC (OMAC1) with a 16/24/32-byte key; 16-byte tag."""
    from cryptography.hazmat.primitives import cmac  # on first use: start-up imports less
    from cryptography.hazmat.primitives.ciphers import algorithms

    c = cmac.CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()


def _hmac(key: bytes, data: bytes, hash_name: str, length: int) -> bytes:
    return hmac.new(key, data, hash_name).digest()[:length]


def eapol_mic_len(key_version: int, akm: int = 2, kck_len: int = 16) -> int:
    """MIC length: 16, 24 for the SHA-384 AKMs, KCK length for OWE/SAE-EXT-KEY."""
    if key_version == 0 and akm in SHA384_AKMS:
        return 24
    if key_version == 0 and akm in BY_PMK_LEN_AKMS:
        return kck_len
    return 16


def eapol_mic(
    kck: bytes, eapol: bytes, key_version: int, akm: int = 2, *, mic_len: int | None = None
) -> bytes:
    """Key MIC over ``eapol`` (which must already have its MIC field zeroed).

    v1 HMAC-MD5; v2 HMAC-SHA1[:16]; v3 AES-128-CMAC; v0 by AKM: SAE/FT-SAE
    AES-CMAC, Suite-B HMAC-SHA256[:16], SHA-384 AKMs HMAC-SHA384[:24], and for
    OWE/SAE-EXT-KEY (18/24/25) HMAC-SHA256/384/512 for ``mic_len`` 16/24/32
    (default: the KCK length, as hostap does).
    """
    if key_version == 1:
        return _hmac(kck, eapol, "md5", 16)
    if key_version == 2:
        return _hmac(kck, eapol, "sha1", 16)
    if key_version == 3:
        return aes_cmac(kck, eapol)
    if key_version != 0:
        raise ValueError(f"unknown key descriptor version {key_version}")
    if akm in CMAC_V0_AKMS:
        return aes_cmac(kck, eapol)
    if akm == 11:
        return _hmac(kck, eapol, "sha256", 16)
    if akm in SHA384_AKMS:
        return _hmac(kck, eapol, "sha384", 24)
    if akm in BY_PMK_LEN_AKMS:
        n = len(kck) if mic_len is None else mic_len
        if n not in _HMAC_BY_MIC_LEN:
            raise ValueError(f"no MIC algorithm for a {n}-byte MIC")
        return _hmac(kck, eapol, _HMAC_BY_MIC_LEN[n], n)
    raise ValueError(f"no AKM-defined MIC for AKM {akm}")


def verify_eapol_mic(
    kck: bytes, eapol: bytes, key_version: int, akm: int = 2, mic_len: int | None = None
) -> bool:
    """True when the Key MIC carried in ``eapol`` matches one computed with ``kck``.

    ``mic_len`` defaults to the length implied by version/AKM/KCK.
    """
    n = eapol_mic_len(key_version, akm, len(kck)) if mic_len is None else mic_len
    if len(eapol) < MIC_OFFSET + n:
        return False
    want = extract_mic(eapol, n)
    try:
        got = eapol_mic(kck, zero_mic(eapol, n), key_version, akm, mic_len=n)
    except ValueError:
        return False
    return hmac.compare_digest(got[:n], want)


def ft_mic(
    kck: bytes,
    sta: bytes,
    ap: bytes,
    seq: int,
    rsne: bytes,
    mde: bytes,
    fte_zero_mic: bytes,
    ric: bytes = b"",
    *,
    rsnxe: bytes = b"",
) -> bytes:
    """FTE MIC = KCK-MAC(STA || AP || seq || RSNE || MDE || FTE(MIC=0) || RIC [|| RSNXE]).

    Elements carry their 2-byte headers; ``seq`` is one octet (5 = Reassoc
    Request, 6 = Reassoc Response). A 16-byte KCK gives AES-128-CMAC; 24 and 32
    bytes give HMAC-SHA384[:24] / HMAC-SHA512[:32] (FT SHA-384 / SAE-EXT-KEY).
    """
    data = sta + ap + bytes([seq]) + rsne + mde + fte_zero_mic + ric + rsnxe
    if len(kck) == 16:
        return aes_cmac(kck, data)
    if len(kck) == 24:
        return _hmac(kck, data, "sha384", 24)
    if len(kck) == 32:
        return _hmac(kck, data, "sha512", 32)
    raise ValueError(f"no FT MIC for a {len(kck)}-byte KCK")


def verify_ft_mic(
    kck: bytes, sta: bytes, ap: bytes, seq: int, rsne: bytes, mde: bytes, fte: bytes,
    rsnxe: bytes = b"", ric: bytes = b"",
) -> bool:
    """True when the MIC in ``fte`` (the whole element, header included) is the FTE MIC of
    these elements; the MIC field follows MIC Control and is as long as ``ft_mic`` makes it
    for this KCK. RSNXE counts when present (IEEE 802.11-2020 13.8.4/13.8.5); a frame MIC'd
    without it by an older implementation verifies too."""
    n = 16 if len(kck) == 16 else len(kck)
    if len(fte) < 4 + n:
        return False
    want = fte[4 : 4 + n]
    zeroed = fte[:4] + bytes(n) + fte[4 + n :]
    for extra in dict.fromkeys((rsnxe, b"")):
        try:
            got = ft_mic(kck, sta, ap, seq, rsne, mde, zeroed, ric, rsnxe=extra)
        except ValueError:
            return False
        if hmac.compare_digest(got[:n], want):
            return True
    return False
