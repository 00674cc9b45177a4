"""EAP packets (RFC 3748 section 4) as carried in EAPOL type 0; big-endian."""

from __future__ import annotations

import struct

from analyzer.dot11.errors import DecodeError
from analyzer.dot11.records import Eap

_HEADER = struct.Struct(">BBH")  # code, identifier, length
_EXPANDED = struct.Struct(">3sI")  # vendor id (3 octets), vendor type; RFC 3748 5.7

REQUEST = 1
RESPONSE = 2
SUCCESS = 3
FAILURE = 4

TYPE_IDENTITY = 1
TYPE_EXPANDED = 254

# IANA "EAP Method Types" registry, named as users and RADIUS logs know them.
_TYPE_NAMES: dict[int, str] = {
    1: "Identity",
    2: "Notification",
    3: "NAK",
    4: "MD5",
    5: "OTP",
    6: "GTC",
    13: "TLS",
    17: "LEAP",
    18: "SIM",
    21: "TTLS",
    23: "AKA",
    25: "PEAP",
    26: "MSCHAPv2",
    29: "MSCHAPv2 (old)",
    43: "FAST",
    47: "PSK",
    48: "SAKE",
    49: "IKEv2",
    50: "AKA'",
    52: "pwd",
    53: "EKE",
    55: "TEAP",
    254: "Expanded",
}

# Methods whose first data octet is the TLS L/M/S flags octet (RFC 5216 3.1 and successors).
TLS_BASED_TYPES = frozenset({13, 21, 25, 43, 55})


def eap_type_name(t: int) -> str:
    """The usual name of EAP method type `t`; "unknown(t)" when it is not in the table."""
    return _TYPE_NAMES.get(t, f"unknown({t})")


def decode_eap(buf: bytes) -> Eap:
    """Decode one EAP packet; the Length field bounds it (trailing bytes are ignored)."""
    if len(buf) < _HEADER.size:
        raise DecodeError("eap", f"packet of {len(buf)} bytes is shorter than the 4-byte header")
    code, ident, length = _HEADER.unpack_from(buf)
    if length < _HEADER.size:
        raise DecodeError("eap", f"length {length} is shorter than the header")
    if length > len(buf):
        raise DecodeError("eap", f"length {length} exceeds the {len(buf)} bytes present")
    pkt = buf[:length]
    if code not in (REQUEST, RESPONSE):
        return Eap(code=code, id=ident, length=length, type=None)
    if length < 5:
        raise DecodeError("eap", f"request/response of length {length} has no type")
    return _decode_method(code, ident, length, pkt)


def _decode_method(code: int, ident: int, length: int, pkt: bytes) -> Eap:
    eap_type = pkt[4]
    if eap_type == TYPE_EXPANDED:
        if length < 5 + _EXPANDED.size:
            raise DecodeError("eap", f"expanded type in a packet of length {length}")
        vendor, vendor_type = _EXPANDED.unpack_from(pkt, 5)
        return Eap(
            code=code,
            id=ident,
            length=length,
            type=eap_type,
            vendor_id=int.from_bytes(vendor, "big"),
            vendor_type=vendor_type,
        )
    identity = pkt[5:] if code == RESPONSE and eap_type == TYPE_IDENTITY else None
    flags = pkt[5] if eap_type in TLS_BASED_TYPES and length > 5 else None
    return Eap(code=code, id=ident, length=length, type=eap_type, identity=identity, flags=flags)
