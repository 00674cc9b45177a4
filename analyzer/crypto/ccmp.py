"""CCMP (802.11-2020 12.5.3), GCMP (12.5.5) and the EAPOL key-data AES key wrap.

``mac_header`` is the 802.11 MAC header exactly as on the air (24/30 bytes,
+2 QoS, +4 HT Control); only its fixed fields are read. The frame body that
follows it on the air is ``CCMP header (8) || ciphertext || MIC``; MIC is 8
bytes with a 16-byte TK (CCMP-128) and 16 bytes with a 32-byte TK (CCMP-256). GCMP
(GCMP-128/-256 by TK length) has the same header and AAD, a 12-byte nonce A2 || PN and a
16-byte MIC.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM
from cryptography.hazmat.primitives.keywrap import (
    InvalidUnwrap,
    aes_key_unwrap,
    aes_key_wrap,
)

CCMP_HDR_LEN = 8
EXT_IV = 0x20
_TYPE_MGMT = 0
_TYPE_DATA = 2
_FC1_RETRY_PWRMGT_MOREDATA = 0x08 | 0x10 | 0x20
_FC1_PROTECTED = 0x40
_FC1_ORDER = 0x80


def _mic_len(tk: bytes) -> int:
    return 16 if len(tk) == 32 else 8


def _header_fields(hdr: bytes) -> tuple[int, bool, bool]:
    """(frame type, has A4, has QoS Control) of a MAC header."""
    if len(hdr) < 24:
        raise ValueError("MAC header shorter than 24 bytes")
    ftype = (hdr[0] >> 2) & 0x3
    addr4 = ftype == _TYPE_DATA and (hdr[1] & 0x03) == 0x03
    qos = ftype == _TYPE_DATA and bool(hdr[0] & 0x80)
    need = 24 + 6 * addr4 + 2 * qos
    if len(hdr) < need:
        raise ValueError(f"MAC header needs {need} bytes, got {len(hdr)}")
    return ftype, addr4, qos


def _tid(hdr: bytes, addr4: bool) -> int:
    return hdr[24 + 6 * addr4] & 0x0F


def ccmp_aad(mac_header: bytes) -> bytes:
    """AAD: masked FC || A1 || A2 || A3 || SC (fragment number only) [|| A4] [|| QC (TID)]."""
    ftype, addr4, qos = _header_fields(mac_header)
    fc0 = mac_header[0] & 0x8F if ftype == _TYPE_DATA else mac_header[0]
    fc1 = (mac_header[1] & ~_FC1_RETRY_PWRMGT_MOREDATA) | _FC1_PROTECTED
    if qos:
        fc1 &= ~_FC1_ORDER
    aad = bytes([fc0, fc1]) + mac_header[4:22] + bytes([mac_header[22] & 0x0F, 0])
    if addr4:
        aad += mac_header[24:30]
    if qos:
        aad += bytes([_tid(mac_header, addr4), 0])
    return aad


def ccmp_nonce(mac_header: bytes, pn: int) -> bytes:
    """Nonce: flags (TID; 0x10 for a management frame) || A2 || PN (big-endian, 6 bytes)."""
    ftype, addr4, qos = _header_fields(mac_header)
    flags = _tid(mac_header, addr4) if qos else 0
    if ftype == _TYPE_MGMT:
        flags |= 0x10
    return bytes([flags]) + mac_header[10:16] + pn.to_bytes(6, "big")


def ccmp_header(pn: int, key_id: int = 0) -> bytes:
    """CCMP header: PN0 PN1 00 (ExtIV | KeyID<<6) PN2 PN3 PN4 PN5 (PN0 least significant)."""
    if not 0 <= pn < 1 << 48:
        raise ValueError("PN is 48 bits")
    p = pn.to_bytes(6, "little")
    return bytes([p[0], p[1], 0, EXT_IV | (key_id & 3) << 6]) + p[2:]


def ccmp_pn(body: bytes) -> int:
    """PN carried in the CCMP header at the start of ``body``."""
    if len(body) < CCMP_HDR_LEN:
        raise ValueError("body shorter than a CCMP header")
    return int.from_bytes(bytes([body[0], body[1]]) + body[4:8], "little")


def ccmp_key_id(body: bytes) -> int:
    """Key ID from the CCMP header."""
    return body[3] >> 6


def ccmp_encrypt(tk: bytes, mac_header: bytes, pn: int, plaintext: bytes, key_id: int = 0) -> bytes:
    """CCMP header || ciphertext || MIC, to append after ``mac_header``."""
    ccm = AESCCM(tk, tag_length=_mic_len(tk))
    sealed = ccm.encrypt(ccmp_nonce(mac_header, pn), plaintext, ccmp_aad(mac_header))
    return ccmp_header(pn, key_id) + sealed


def ccmp_decrypt(tk: bytes, mac_header: bytes, body_with_ccmp_header: bytes) -> bytes | None:
    """Plaintext of a CCMP-protected body, or None (wrong key, tampering, no ExtIV)."""
    body = body_with_ccmp_header
    if len(body) < CCMP_HDR_LEN + _mic_len(tk) or not body[3] & EXT_IV:
        return None
    ccm = AESCCM(tk, tag_length=_mic_len(tk))
    nonce = ccmp_nonce(mac_header, ccmp_pn(body))
    try:
        return ccm.decrypt(nonce, body[CCMP_HDR_LEN:], ccmp_aad(mac_header))
    except InvalidTag:
        return None


GCMP_CIPHERS = frozenset({8, 9})  # 00-0F-AC:8 GCMP-128, :9 GCMP-256
GCMP_MIC_LEN = 16


def gcmp_nonce(mac_header: bytes, pn: int) -> bytes:
    """GCMP nonce (12.5.5.3.4): A2 || PN (big-endian, 6 bytes)."""
    _header_fields(mac_header)
    return mac_header[10:16] + pn.to_bytes(6, "big")


def gcmp_encrypt(tk: bytes, mac_header: bytes, pn: int, plaintext: bytes, key_id: int = 0) -> bytes:
    """GCMP header || ciphertext || MIC (16), to append after ``mac_header``."""
    sealed = AESGCM(tk).encrypt(gcmp_nonce(mac_header, pn), plaintext, ccmp_aad(mac_header))
    return ccmp_header(pn, key_id) + sealed


def gcmp_decrypt(tk: bytes, mac_header: bytes, body_with_gcmp_header: bytes) -> bytes | None:
    """Plaintext of a GCMP-protected body, or None (wrong key, tampering, no ExtIV)."""
    body = body_with_gcmp_header
    if len(body) < CCMP_HDR_LEN + GCMP_MIC_LEN or not body[3] & EXT_IV:
        return None
    nonce = gcmp_nonce(mac_header, ccmp_pn(body))
    try:
        return AESGCM(tk).decrypt(nonce, body[CCMP_HDR_LEN:], ccmp_aad(mac_header))
    except InvalidTag:
        return None


def protect(cipher: int, tk: bytes, mac_header: bytes, pn: int, plaintext: bytes,
            key_id: int = 0) -> bytes:
    """The protected body under a pairwise cipher suite: GCMP for 8/9, else CCMP."""
    if cipher in GCMP_CIPHERS:
        return gcmp_encrypt(tk, mac_header, pn, plaintext, key_id)
    return ccmp_encrypt(tk, mac_header, pn, plaintext, key_id)


def unprotect(cipher: int, tk: bytes, mac_header: bytes, body: bytes) -> bytes | None:
    """Plaintext of a body protected with `protect`, or None."""
    if cipher in GCMP_CIPHERS:
        return gcmp_decrypt(tk, mac_header, body)
    return ccmp_decrypt(tk, mac_header, body)


def pad_key_data(data: bytes) -> bytes:
    """Pad EAPOL key data for key wrap: 0xdd then zeros to a multiple of 8, at least 16."""
    pad = -len(data) % 8
    while len(data) + pad < 16:
        pad += 8
    return data + (b"\xdd" + bytes(pad - 1) if pad else b"")


def strip_key_data_padding(data: bytes) -> bytes:
    """Key data without its trailing ``dd 00..`` padding (found by walking the elements)."""
    pos = 0
    while pos < len(data):
        rest = data[pos + 1 :]
        if data[pos] == 0xDD and (not rest or not any(rest)):
            return data[:pos]
        if pos + 1 >= len(data):
            break
        pos += 2 + data[pos + 1]
    return data


def aes_wrap(kek: bytes, data: bytes) -> bytes:
    """RFC 3394 AES key wrap of (padded) EAPOL key data; output is 8 bytes longer."""
    return aes_key_wrap(kek, pad_key_data(data))


def aes_unwrap(kek: bytes, wrapped: bytes) -> bytes | None:
    """RFC 3394 unwrap; the key data keeps its padding. None if the integrity check fails."""
    if len(wrapped) < 24 or len(wrapped) % 8:
        return None
    try:
        return aes_key_unwrap(kek, wrapped)
    except InvalidUnwrap:
        return None


def keystream_block(cipher: int, tk: bytes, mac_header: bytes, body: bytes) -> bytes | None:
    """The CTR keystream that encrypts the first 16 plaintext bytes of a CCMP/GCMP body (one
    AES block, MIC not checked): enough to read an MSDU's LLC/SNAP header and ethertype
    before paying for a full, authenticated decryption. None when the body is too short.
    CCM (RFC 3610 2.3): A_1 = flags(L-1 = 1) || nonce || 1; GCM (SP 800-38D 7.1): the
    payload starts at inc32(J0) = nonce || 2."""
    if len(body) < CCMP_HDR_LEN + 16:
        return None
    pn = ccmp_pn(body)
    if cipher in GCMP_CIPHERS:
        counter = gcmp_nonce(mac_header, pn) + b"\x00\x00\x00\x02"
    else:
        counter = b"\x01" + ccmp_nonce(mac_header, pn) + b"\x00\x01"
    return _ecb(tk).update(counter)


@lru_cache(maxsize=64)
def _ecb(tk: bytes) -> CipherContext:
    return Cipher(algorithms.AES(tk), modes.ECB()).encryptor()  # noqa: S305 (one counter block)
