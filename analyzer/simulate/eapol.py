"""EAPOL, EAP and EAPOL-Key frames (IEEE 802.1X-2020, 802.11-2020 12.7.2); big-endian."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from analyzer.crypto.ccmp import aes_wrap
from analyzer.crypto.keys import SHA384_AKMS
from analyzer.crypto.mic import eapol_mic

from .elements import OUI_IEEE
from .payloads import ETH_EAPOL, llc

EAPOL_EAP, EAPOL_START, EAPOL_LOGOFF, EAPOL_KEY = 0, 1, 2, 3
EAP_REQUEST, EAP_RESPONSE, EAP_SUCCESS, EAP_FAILURE = 1, 2, 3, 4
EAP_IDENTITY, EAP_TLS, EAP_TTLS, EAP_PEAP = 1, 13, 21, 25
EAP_TYPES = {"tls": EAP_TLS, "ttls": EAP_TTLS, "peap": EAP_PEAP}
TLS_FLAG_START = 0x20

KI_PAIRWISE, KI_INSTALL, KI_ACK, KI_MIC = 0x0008, 0x0040, 0x0080, 0x0100
KI_SECURE, KI_ERROR, KI_REQUEST, KI_ENCRYPTED = 0x0200, 0x0400, 0x0800, 0x1000
# Key Information without the descriptor version (DOMAIN §5: v2 M1 008A ... G2 0302).
KEY_INFO = {
    "m1": KI_PAIRWISE | KI_ACK,
    "m2": KI_PAIRWISE | KI_MIC,
    "m3": KI_PAIRWISE | KI_INSTALL | KI_ACK | KI_MIC | KI_SECURE | KI_ENCRYPTED,
    "m4": KI_PAIRWISE | KI_MIC | KI_SECURE,
    "g1": KI_ACK | KI_MIC | KI_SECURE | KI_ENCRYPTED,
    "g2": KI_MIC | KI_SECURE,
}
MIC_OFFSET = 4 + 77
KDE_GTK, KDE_PMKID = 1, 4

_EAPOL = struct.Struct(">BBH")
_EAP = struct.Struct(">BBH")
_KEY_HEAD = struct.Struct(">BHHQ32s16s8s8s")


@dataclass(frozen=True, slots=True)
class KeyMessage:
    """The fields of one EAPOL-Key frame that change between messages."""

    message: str
    version: int
    replay: int
    nonce: bytes = bytes(32)
    key_data: bytes = b""
    key_length: int = 0
    rsc: bytes = bytes(8)


def key_version(akm: int) -> int:
    """Descriptor version as hostapd picks it: 0 SAE/OWE/FILS/Suite-B/SHA-384, 3 FT and
    SHA-256 AKMs, else 2."""
    if akm in (8, 9, 11, 12, 14, 15, 16, 17, 18, 24, 25) or akm in SHA384_AKMS:
        return 0
    if akm in (3, 4, 5, 6):
        return 3
    return 2


def eapol(version: int, packet_type: int, body: bytes = b"") -> bytes:
    return _EAPOL.pack(version, packet_type, len(body)) + body


def eapol_start(version: int = 1) -> bytes:
    return eapol(version, EAPOL_START)


def eap(code: int, ident: int, eap_type: int | None = None, data: bytes = b"") -> bytes:
    tail = b"" if eap_type is None else bytes((eap_type,)) + data
    return _EAP.pack(code, ident & 0xFF, 4 + len(tail)) + tail


def eap_tls(code: int, ident: int, eap_type: int, data: bytes = b"", flags: int = 0) -> bytes:
    """EAP-TLS/TTLS/PEAP message, unfragmented (the L flag and length only with data)."""
    if data:
        return eap(
            code, ident, eap_type, bytes((flags | 0x80,)) + struct.pack(">I", len(data)) + data
        )
    return eap(code, ident, eap_type, bytes((flags,)))


def kde(kind: int, data: bytes) -> bytes:
    return bytes((0xDD, 4 + len(data))) + OUI_IEEE + bytes((kind,)) + data


def gtk_kde(key_id: int, gtk: bytes) -> bytes:
    return kde(KDE_GTK, bytes((key_id & 3, 0)) + gtk)


def pmkid_kde(pmkid: bytes) -> bytes:
    return kde(KDE_PMKID, pmkid)


def mic_length(akm: int) -> int:
    """Key MIC field length: 24 for the SHA-384 AKMs (Suite-B-192), else 16."""
    return 24 if akm in SHA384_AKMS else 16


def key_body(msg: KeyMessage, mic: bytes = bytes(16)) -> bytes:
    info = KEY_INFO[msg.message] | msg.version
    head = _KEY_HEAD.pack(
        2, info, msg.key_length, msg.replay, msg.nonce, bytes(16), msg.rsc, bytes(8)
    )
    return head + mic + struct.pack(">H", len(msg.key_data)) + msg.key_data


def eapol_key(msg: KeyMessage, kck: bytes | None, akm: int, eapol_version: int = 2) -> bytes:
    """EAPOL-Key frame; with a KCK the MIC is computed over the frame with the MIC zeroed."""
    frame = eapol(eapol_version, EAPOL_KEY, key_body(msg, bytes(mic_length(akm))))
    if kck is None:
        return frame
    mic = eapol_mic(kck, frame, msg.version, akm)
    return frame[:MIC_OFFSET] + mic + frame[MIC_OFFSET + len(mic) :]


def wrap_key_data(kek: bytes, plaintext: bytes) -> bytes:
    return aes_wrap(kek, plaintext)


def eapol_llc(frame: bytes) -> bytes:
    return llc(ETH_EAPOL, frame)


# A TLS flight that tshark dissects cleanly; after ChangeCipherSpec everything is opaque.
def _record(content_type: int, body: bytes) -> bytes:
    return struct.pack(">BHH", content_type, 0x0303, len(body)) + body


def _handshake(kind: int, body: bytes) -> bytes:
    return bytes((kind,)) + len(body).to_bytes(3, "big") + body


def tls_client_hello(random: bytes) -> bytes:
    body = struct.pack(">H", 0x0303) + random + b"\x00" + struct.pack(">HHH", 4, 0xC02F, 0xC030)
    return _record(22, _handshake(1, body + b"\x01\x00" + struct.pack(">H", 0)))


def tls_server_flight(random: bytes) -> bytes:
    hello = struct.pack(">H", 0x0303) + random + b"\x00" + struct.pack(">HBH", 0xC02F, 0, 0)
    flight = _handshake(2, hello) + _handshake(11, b"\x00\x00\x00") + _handshake(14, b"")
    return _record(22, flight)


def tls_client_finish(point: bytes, opaque: bytes) -> bytes:
    kex = _record(22, _handshake(16, bytes((len(point),)) + point))
    return kex + _record(20, b"\x01") + _record(22, opaque)


def tls_server_finish(opaque: bytes) -> bytes:
    return _record(20, b"\x01") + _record(22, opaque)


def tls_app_data(opaque: bytes) -> bytes:
    return _record(23, opaque)
