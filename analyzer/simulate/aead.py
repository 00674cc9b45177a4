"""The 4-way handshake of the FILS AKMs after full EAP (IEEE 802.11-2020 12.7.6 with
12.7.2 b.1): no MIC field; Key Data of M2, M3 and M4 protected with AES-SIV under the KEK,
the EAPOL header up to the Key Data Length field as associated data (hostapd
`__wpa_send_eapol`, wpa_supplicant `wpa_eapol_key_send`)."""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from analyzer.crypto.keys import PTK_LABEL, Ptk, prf

from .eapol import (
    EAPOL_KEY,
    KI_ACK,
    KI_ENCRYPTED,
    KI_INSTALL,
    KI_PAIRWISE,
    KI_SECURE,
    KeyMessage,
    eapol,
)

FILS_AKMS = frozenset({14, 15, 16, 17})
_SHA384 = frozenset({15, 17})
KEY_INFO = {
    "m1": KI_PAIRWISE | KI_ACK,
    "m2": KI_PAIRWISE | KI_ENCRYPTED,
    "m3": KI_PAIRWISE | KI_INSTALL | KI_ACK | KI_SECURE | KI_ENCRYPTED,
    "m4": KI_PAIRWISE | KI_SECURE | KI_ENCRYPTED,
}
_KEY_HEAD = struct.Struct(">BHHQ32s16s8s8s")


def ptk(pmk: bytes, aa: bytes, spa: bytes, anonce: bytes, snonce: bytes, akm: int) -> Ptk:
    """No KCK; a 32-byte (SHA-256) or 64-byte (SHA-384) KEK; a CCMP-128 TK."""
    data = min(aa, spa) + max(aa, spa) + min(anonce, snonce) + max(anonce, snonce)
    kek = 64 if akm in _SHA384 else 32
    buf = prf(pmk, PTK_LABEL, data, (kek + 16) * 8, "sha384" if akm in _SHA384 else "sha256")
    return Ptk(kck=b"", kek=buf[:kek], tk=buf[kek:], kdk=b"")


def eapol_key(msg: KeyMessage, kek: bytes, eapol_version: int = 2) -> bytes:
    """An EAPOL-Key frame without MIC; Key Data sealed with AES-SIV unless it is M1's."""
    info = KEY_INFO[msg.message]
    head = _KEY_HEAD.pack(2, info, msg.key_length, msg.replay, msg.nonce, bytes(16), msg.rsc,
                          bytes(8))  # fmt: skip
    if not info & KI_ENCRYPTED:
        return eapol(eapol_version, EAPOL_KEY, head + struct.pack(">H", len(msg.key_data))
                     + msg.key_data)  # fmt: skip
    sealed_len = len(msg.key_data) + 16
    aad = eapol(eapol_version, EAPOL_KEY, head + struct.pack(">H", sealed_len)
                + bytes(sealed_len))[: 4 + len(head) + 2]  # fmt: skip
    sealed = AESSIV(kek).encrypt(msg.key_data, [aad])
    return aad + sealed
