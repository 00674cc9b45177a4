"""EAP packet decoding (RFC 3748): header, expanded types, identity, TLS flags."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.dot11.eap import decode_eap, eap_type_name
from analyzer.dot11.errors import DecodeError
from analyzer.dot11.records import Eap


def eap(code: int, ident: int, payload: bytes = b"", *, length: int | None = None) -> bytes:
    size = 4 + len(payload) if length is None else length
    return struct.pack(">BBH", code, ident, size) + payload


@pytest.mark.parametrize("code", [3, 4])
def test_success_and_failure_are_four_bytes_without_type(code: int) -> None:
    """Success/Failure carry no type; the type name is None."""
    e = decode_eap(eap(code, 7))
    assert e == Eap(code=code, id=7, length=4, type=None)
    assert e.type_name is None


def test_response_identity_exposes_identity() -> None:
    e = decode_eap(eap(2, 1, b"\x01alice@example.org"))
    assert (e.code, e.id, e.type, e.type_name) == (2, 1, 1, "Identity")
    assert e.identity == b"alice@example.org"


def test_identity_is_bounded_by_length_not_by_buffer() -> None:
    """Bytes after the EAP Length (e.g. Ethernet padding) are not part of the identity."""
    e = decode_eap(eap(2, 1, b"\x01bob", length=8) + b"\x00" * 10)
    assert e.identity == b"bob"
    assert e.length == 8


def test_request_identity_has_no_identity() -> None:
    """Only a Response/Identity carries the peer identity."""
    e = decode_eap(eap(1, 0, b"\x01hello"))
    assert e.type == 1
    assert e.identity is None


def test_empty_response_identity_is_empty_bytes() -> None:
    assert decode_eap(eap(2, 0, b"\x01")).identity == b""


@pytest.mark.parametrize("method", [13, 21, 25, 43, 55])
def test_tls_based_methods_expose_flags_octet(method: int) -> None:
    e = decode_eap(eap(1, 3, bytes((method, 0x20))))  # S (Start) flag
    assert e.flags == 0x20


def test_tls_method_without_flags_octet_has_no_flags() -> None:
    assert decode_eap(eap(2, 3, b"\x19")).flags is None


def test_non_tls_method_has_no_flags() -> None:
    assert decode_eap(eap(1, 3, b"\x04\x10" + bytes(16))).flags is None


def test_expanded_type_exposes_vendor_id_and_type() -> None:
    """Expanded type 254: 3-byte Vendor-Id, 4-byte Vendor-Type (WSC: 00-37-2A / 1)."""
    e = decode_eap(eap(1, 9, b"\xfe\x00\x37\x2a\x00\x00\x00\x01\x01\x00"))
    assert (e.type, e.vendor_id, e.vendor_type) == (254, 0x00372A, 1)
    assert e.type_name == "Expanded"


def test_truncated_expanded_type_raises() -> None:
    with pytest.raises(DecodeError):
        decode_eap(eap(1, 9, b"\xfe\x00\x37\x2a\x00"))


@pytest.mark.parametrize(
    "buf",
    [
        b"",
        b"\x01\x00\x00",
        eap(1, 0, length=3),  # length shorter than the header
        eap(1, 0, b"\x01abc", length=40),  # length beyond the buffer
        eap(2, 0),  # response without a type
    ],
)
def test_malformed_packets_raise_decode_error(buf: bytes) -> None:
    with pytest.raises(DecodeError) as err:
        decode_eap(buf)
    assert err.value.layer == "eap"


def test_unknown_code_has_no_type() -> None:
    """Codes 5/6 (ERP, RFC 6696) carry an ERP type, not a method type."""
    assert decode_eap(eap(5, 1, b"\x01\x00")).type is None


@pytest.mark.parametrize(
    ("t", "name"),
    [
        (1, "Identity"),
        (3, "NAK"),
        (4, "MD5"),
        (13, "TLS"),
        (21, "TTLS"),
        (25, "PEAP"),
        (26, "MSCHAPv2"),
        (29, "MSCHAPv2 (old)"),
        (43, "FAST"),
        (50, "AKA'"),
        (52, "pwd"),
        (55, "TEAP"),
        (254, "Expanded"),
        (99, "unknown(99)"),
    ],
)
def test_type_names_are_those_users_know(t: int, name: str) -> None:
    assert eap_type_name(t) == name


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_any_bytes_give_eap_or_decode_error(buf: bytes) -> None:
    try:
        e = decode_eap(buf)
    except DecodeError:
        return
    assert isinstance(e, Eap)
    assert e.length <= len(buf)
