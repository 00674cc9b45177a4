"""RSN key hierarchy: PMK, PRF/KDF, PTK, PMKID, FT (802.11r) and SAE PMKID.

Pure functions over ``bytes``; MAC addresses are 6 raw bytes, nonces 32.
Constructions follow hostap ``src/common/wpa_common.c`` (``wpa_pmk_to_ptk``,
``rsn_pmkid``, ``wpa_derive_pmk_r0``, ``wpa_derive_pmk_r1``,
``wpa_pmk_r1_to_ptk``) and ``src/crypto/sha*-prf.c``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

PTK_LABEL = b"Pairwise key expansion"

SHA1_AKMS = frozenset({1, 2})
SHA384_AKMS = frozenset({12, 13, 19, 20, 22, 23})
# OWE, SAE-EXT-KEY, FT-SAE-EXT-KEY: the hash follows the PMK length (DH group).
BY_PMK_LEN_AKMS = frozenset({18, 24, 25})
FT_AKMS = frozenset({3, 4, 9, 13, 19, 22, 25})

_HASH_BY_LEN = {32: "sha256", 48: "sha384", 64: "sha512"}
_TK_LEN = {2: 32, 4: 16, 8: 16, 9: 32, 10: 32}


@dataclass(frozen=True, slots=True)
class Ptk:
    """Pairwise transient key split into its parts (``kdk`` only when asked for)."""

    kck: bytes
    kek: bytes
    tk: bytes
    kdk: bytes = b""


# --- primitives -------------------------------------------------------------


def pmk_from_passphrase(passphrase: str | bytes, ssid: bytes) -> bytes:
    """PSK = PBKDF2-HMAC-SHA1(passphrase, SSID, 4096, 32)."""
    pw = passphrase.encode() if isinstance(passphrase, str) else passphrase
    return hashlib.pbkdf2_hmac("sha1", pw, ssid, 4096, 32)


def prf_sha1(key: bytes, label: bytes, data: bytes, length_bytes: int) -> bytes:
    """802.11 PRF: HMAC-SHA1(K, label || 0x00 || data || i), i = 0, 1, ..."""
    out = bytearray()
    i = 0
    while len(out) < length_bytes:
        out += hmac.new(key, label + b"\x00" + data + bytes([i]), "sha1").digest()
        i += 1
    return bytes(out[:length_bytes])


def kdf(
    key: bytes, label: bytes, context: bytes, length_bits: int, hash_name: str = "sha256"
) -> bytes:
    """802.11 KDF-Hash-Length: HMAC(K, LE16(i) || label || context || LE16(bits)), i = 1, ..."""
    n_bytes = (length_bits + 7) // 8
    tail = length_bits.to_bytes(2, "little")
    out = bytearray()
    i = 1
    while len(out) < n_bytes:
        msg = i.to_bytes(2, "little") + label + context + tail
        out += hmac.new(key, msg, hash_name).digest()
        i += 1
    res = bytearray(out[:n_bytes])
    if length_bits % 8:
        res[-1] &= (0xFF << (8 - length_bits % 8)) & 0xFF
    return bytes(res)


def prf(key: bytes, label: bytes, data: bytes, length_bits: int, hash_name: str = "sha1") -> bytes:
    """PRF-SHA1 for ``sha1``; the KDF form for ``sha256``/``sha384``/``sha512``."""
    if hash_name == "sha1":
        return prf_sha1(key, label, data, (length_bits + 7) // 8)
    return kdf(key, label, data, length_bits, hash_name)


# --- AKM / cipher tables ----------------------------------------------------


def akm_hash(akm: int, pmk_len: int = 32) -> str:
    """Hash behind the PTK derivation and PMKID of ``akm`` (hashlib name)."""
    if akm in SHA1_AKMS:
        return "sha1"
    if akm in SHA384_AKMS:
        return "sha384"
    if akm in BY_PMK_LEN_AKMS:
        return _hash_for_len(pmk_len)
    return "sha256"


def key_lengths(akm: int, pmk_len: int = 32) -> tuple[int, int]:
    """(KCK, KEK) lengths in bytes for ``akm`` (hostap wpa_kck_len/wpa_kek_len)."""
    if akm in SHA384_AKMS:
        return 24, 32
    if akm in BY_PMK_LEN_AKMS:
        return pmk_len // 2, 16 if pmk_len <= 32 else 32
    return 16, 16


def tk_length(cipher: int) -> int:
    """TK length for a pairwise cipher suite type (00-0F-AC:n)."""
    try:
        return _TK_LEN[cipher]
    except KeyError:
        raise ValueError(f"unsupported pairwise cipher {cipher}") from None


def _hash_for_len(key_len: int) -> str:
    try:
        return _HASH_BY_LEN[key_len]
    except KeyError:
        raise ValueError(f"no hash for a {key_len}-byte key") from None


def _split(buf: bytes, kck: int, kek: int, tk: int, kdk: int) -> Ptk:
    return Ptk(
        kck=buf[:kck],
        kek=buf[kck : kck + kek],
        tk=buf[kck + kek : kck + kek + tk],
        kdk=buf[kck + kek + tk : kck + kek + tk + kdk],
    )


# --- PTK / PMKID ------------------------------------------------------------


def derive_ptk(
    pmk: bytes,
    aa: bytes,
    spa: bytes,
    anonce: bytes,
    snonce: bytes,
    akm: int = 2,
    cipher: int = 4,
    *,
    kdk_len: int = 0,
) -> Ptk:
    """PTK = PRF(PMK, "Pairwise key expansion", Min(AA,SPA)||Max||Min(nonces)||Max).

    PRF-SHA1 for AKM 1/2, KDF-SHA256 for the SHA-256 AKMs, KDF-SHA384 for the
    SHA-384 AKMs, and for OWE/SAE-EXT-KEY the hash chosen by the PMK length.
    ``kdk_len`` (PASN/secure LTF) lengthens the output and so changes every key.
    FT AKMs derive their PTK from PMK-R1 instead: use :func:`ft_ptk`.
    """
    data = min(aa, spa) + max(aa, spa) + min(anonce, snonce) + max(anonce, snonce)
    kck, kek = key_lengths(akm, len(pmk))
    tk = tk_length(cipher)
    total = kck + kek + tk + kdk_len
    buf = prf(pmk, PTK_LABEL, data, total * 8, akm_hash(akm, len(pmk)))
    return _split(buf, kck, kek, tk, kdk_len)


def pmkid(pmk: bytes, aa: bytes, spa: bytes, akm: int = 2) -> bytes:
    """PMKID = Truncate-128(HMAC-Hash(PMK, "PMK Name" || AA || SPA)).

    Suite-B (AKM 11/12) keys the HMAC with the KCK: pass the KCK as ``pmk``.
    """
    msg = b"PMK Name" + aa + spa
    return hmac.new(pmk, msg, akm_hash(akm, len(pmk))).digest()[:16]


# --- FT (802.11r) -----------------------------------------------------------


def _mdid_bytes(mdid: int | bytes) -> bytes:
    """MDID as it appears on the air (the MDE's first two octets).

    An ``int`` is the MDE's u16 read little-endian, so ``0x0201`` is ``01 02``.
    """
    if isinstance(mdid, int):
        return mdid.to_bytes(2, "little")
    if len(mdid) != 2:
        raise ValueError("MDID is two octets")
    return bytes(mdid)


def ft_pmk_r0(
    xxkey: bytes,
    ssid: bytes,
    mdid: int | bytes,
    r0kh_id: bytes,
    spa: bytes,
    *,
    akm: int = 4,
) -> tuple[bytes, bytes]:
    """(PMK-R0, PMKR0Name).

    R0-Key-Data = KDF-Hash(XXKey, "FT-R0", SSIDlen||SSID||MDID||R0KHlen||R0KH-ID||S0KH-ID);
    PMK-R0 = first Q bytes, salt = next 16; PMKR0Name = Truncate-128(Hash("FT-R0N"||salt)).
    XXKey: MSK[32:64] for FT-802.1X, the PSK for FT-PSK, the PMK for FT-SAE;
    MSK[0:48] for FT-802.1X-SHA384 (``akm=13``).
    """
    if akm in SHA384_AKMS:
        q = 48
    elif akm in BY_PMK_LEN_AKMS and len(xxkey) in _HASH_BY_LEN:
        q = len(xxkey)
    else:
        q = 32
    hash_name = _hash_for_len(q)
    ctx = bytes([len(ssid)]) + ssid + _mdid_bytes(mdid) + bytes([len(r0kh_id)]) + r0kh_id + spa
    r0_key_data = kdf(xxkey, b"FT-R0", ctx, (q + 16) * 8, hash_name)
    salt = r0_key_data[q:]
    name = hashlib.new(hash_name, b"FT-R0N" + salt).digest()[:16]
    return r0_key_data[:q], name


def ft_pmk_r1_name(
    pmk_r0_name: bytes, r1kh_id: bytes, spa: bytes, hash_name: str = "sha256"
) -> bytes:
    """PMKR1Name = Truncate-128(Hash("FT-R1N" || PMKR0Name || R1KH-ID || S1KH-ID))."""
    return hashlib.new(hash_name, b"FT-R1N" + pmk_r0_name + r1kh_id + spa).digest()[:16]


def ft_pmk_r1(pmk_r0: bytes, pmk_r0_name: bytes, r1kh_id: bytes, spa: bytes) -> tuple[bytes, bytes]:
    """(PMK-R1, PMKR1Name); PMK-R1 = KDF-Hash(PMK-R0, "FT-R1", R1KH-ID || S1KH-ID)."""
    hash_name = _hash_for_len(len(pmk_r0))
    pmk_r1 = kdf(pmk_r0, b"FT-R1", r1kh_id + spa, len(pmk_r0) * 8, hash_name)
    return pmk_r1, ft_pmk_r1_name(pmk_r0_name, r1kh_id, spa, hash_name)


def ft_ptk(
    pmk_r1: bytes,
    snonce: bytes,
    anonce: bytes,
    bssid: bytes,
    spa: bytes,
    pmk_r1_name: bytes,
    cipher: int = 4,
    *,
    akm: int | None = None,
) -> Ptk:
    """PTK = KDF-Hash(PMK-R1, "FT-PTK", SNonce || ANonce || BSSID || STA-ADDR), unsorted.

    ``pmk_r1_name`` only names the PTK (see :func:`ft_ptk_name`); it is not an input
    to the keys. ``akm`` defaults to 4 (FT-PSK) for a 32-byte PMK-R1, 13 for 48 bytes.
    """
    del pmk_r1_name  # part of the signature for symmetry with the R0/R1 steps
    if akm is None:
        akm = 13 if len(pmk_r1) == 48 else 4
    kck, kek = key_lengths(akm, len(pmk_r1))
    tk = tk_length(cipher)
    ctx = snonce + anonce + bssid + spa
    buf = kdf(pmk_r1, b"FT-PTK", ctx, (kck + kek + tk) * 8, _hash_for_len(len(pmk_r1)))
    return _split(buf, kck, kek, tk, 0)


def ft_ptk_name(
    pmk_r1_name: bytes,
    snonce: bytes,
    anonce: bytes,
    bssid: bytes,
    spa: bytes,
    hash_name: str = "sha256",
) -> bytes:
    """PTKName = Truncate-128(Hash(PMKR1Name || "FT-PTKN" || SNonce || ANonce || BSSID || STA))."""
    msg = pmk_r1_name + b"FT-PTKN" + snonce + anonce + bssid + spa
    return hashlib.new(hash_name, msg).digest()[:16]


# --- SAE --------------------------------------------------------------------


# Order r of the ECC groups SAE uses (IANA group number; SEC 2 / FIPS 186-4 curve orders).
SAE_GROUP_ORDERS = {
    19: 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,  # P-256
    20: int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
            "581A0DB248B0A77AECEC196ACCC52973", 16),  # P-384
    21: int("1" + "F" * 64 + "FA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E9138"
            "6409", 16),  # P-521
}


def sae_pmkid(scalar: int, peer_scalar: int, order: int) -> bytes:
    """SAE PMKID = L((own scalar + peer scalar) mod r, 0, 128), big-endian in order length."""
    order_len = (order.bit_length() + 7) // 8
    return ((scalar + peer_scalar) % order).to_bytes(order_len, "big")[:16]


def sae_pmkid_from_commits(group: int, scalar: bytes, peer_scalar: bytes) -> bytes | None:
    """The SAE PMKID of two commit scalars as sent on the air (hostap ``sae_derive_keys``);
    None for a group whose order is not known here (the FFC groups)."""
    order = SAE_GROUP_ORDERS.get(group)
    if order is None:
        return None
    return sae_pmkid(int.from_bytes(scalar, "big"), int.from_bytes(peer_scalar, "big"), order)
