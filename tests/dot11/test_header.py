"""MAC header decoding: lengths by type/subtype/flags, address roles, sequence and TID."""

from __future__ import annotations

import struct

import pytest
from scapy.layers.dot11 import Dot11, Dot11QoS

from analyzer.dot11.errors import DecodeError
from analyzer.dot11.header import decode_header

AP, STA, DST, A4 = (
    "00:11:22:33:44:55",
    "66:77:88:99:aa:bb",
    "ff:ff:ff:ff:ff:ff",
    "02:00:00:00:00:04",
)


def mac(s: str) -> bytes:
    return bytes.fromhex(s.replace(":", ""))


def hdr(fc0: int, fc1: int, *addrs: str, seq: int = 0x1234, tail: bytes = b"") -> bytes:
    """FC, Duration 0x013a, addresses, and SeqCtl after the third address."""
    out = struct.pack("<BBH", fc0, fc1, 0x013A) + b"".join(mac(a) for a in addrs[:3])
    if len(addrs) >= 3:
        out += struct.pack("<H", seq)
    return out + b"".join(mac(a) for a in addrs[3:]) + tail


def decode(buf: bytes, offset: int = 0):  # noqa: ANN201 - test helper
    return decode_header(buf, offset, len(buf))


def test_management_header_is_24_bytes_with_sa_da_bssid() -> None:
    h = decode(hdr(0x80, 0x00, DST, AP, AP) + b"body")
    assert (h.ftype, h.subtype, h.length) == (0, 8, 24)
    assert (h.da, h.sa, h.bssid, h.ta) == (DST, AP, AP, AP)
    assert (h.seq, h.frag, h.duration) == (0x123, 4, 0x013A)
    assert h.addr4 is None and h.tid is None and h.htc is None


def test_management_with_order_bit_carries_ht_control() -> None:
    h = decode(hdr(0xD0, 0x80, AP, STA, AP, tail=struct.pack("<I", 0xDEADBEEF)))
    assert (h.length, h.htc, h.subtype) == (28, 0xDEADBEEF, 13)


@pytest.mark.parametrize("subtype", [12, 13])
def test_ack_and_cts_are_ten_bytes_without_transmitter(subtype: int) -> None:
    h = decode(struct.pack("<BBH", 0x04 | subtype << 4, 0, 44) + mac(STA))
    assert (h.ftype, h.length, h.addr1, h.addr2, h.ta, h.bssid) == (1, 10, STA, None, None, None)
    assert h.seq is None


@pytest.mark.parametrize("subtype", [8, 9, 10, 11, 14])
def test_other_control_frames_are_sixteen_bytes(subtype: int) -> None:
    h = decode(struct.pack("<BBH", 0x04 | subtype << 4, 0, 0) + mac(AP) + mac(STA) + b"xx")
    assert (h.length, h.ra, h.ta) == (16, AP, STA)


def test_data_to_ap_roles() -> None:
    h = decode(hdr(0x08, 0x01, AP, STA, DST) + b"payload")
    assert (h.length, h.bssid, h.sa, h.da, h.sta) == (24, AP, STA, DST, STA)
    assert h.to_ds and not h.from_ds


def test_data_from_ap_roles() -> None:
    h = decode(hdr(0x08, 0x02, STA, AP, A4))
    assert (h.bssid, h.sa, h.da, h.sta) == (AP, A4, STA, STA)


def test_four_address_data_is_30_bytes_and_has_no_bssid() -> None:
    h = decode(hdr(0x08, 0x03, AP, STA, DST, A4))
    assert (h.length, h.addr4, h.sa, h.da, h.bssid, h.sta) == (30, A4, A4, DST, None, None)


def test_qos_data_adds_two_bytes_and_tid() -> None:
    h = decode(hdr(0x88, 0x01, AP, STA, DST, tail=b"\x06\x00"))
    assert (h.subtype, h.length, h.tid, h.htc) == (8, 26, 6, None)


def test_qos_data_with_order_bit_adds_ht_control() -> None:
    tail = b"\x05\x00" + struct.pack("<I", 0x0000_0003)
    h = decode(hdr(0x88, 0x81, AP, STA, DST, tail=tail))
    assert (h.length, h.tid, h.htc) == (30, 5, 3)


def test_four_address_qos_with_order_bit_is_36_bytes() -> None:
    tail = b"\x07\x00" + struct.pack("<I", 9)
    h = decode(hdr(0x88, 0x83, AP, STA, DST, A4, tail=tail))
    assert (h.length, h.tid, h.htc, h.addr4) == (36, 7, 9, A4)


def test_non_qos_data_ignores_order_bit() -> None:
    h = decode(hdr(0x08, 0x81, AP, STA, DST))
    assert (h.length, h.htc, h.tid) == (24, None, None)


def test_protected_and_retry_flags() -> None:
    h = decode(hdr(0x88, 0x49, AP, STA, DST, tail=b"\x00\x00"))
    assert h.protected and h.retry and not h.pwr_mgt


def test_header_at_an_offset_inside_a_record() -> None:
    buf = b"\xee" * 18 + hdr(0x40, 0x00, DST, STA, DST)
    h = decode(buf, 18)
    assert (h.subtype, h.sa) == (4, STA)


@pytest.mark.parametrize(
    "buf",
    [
        hdr(0x80, 0x00, DST, AP, AP)[:23],
        hdr(0x88, 0x00, AP, STA, DST),  # QoS control missing
        hdr(0x08, 0x03, AP, STA, DST),  # fourth address missing
        struct.pack("<BBH", 0xB4, 0, 0) + mac(AP),  # RTS without TA
        b"\x80\x00",
    ],
)
def test_truncated_header_raises_mac_decode_error(buf: bytes) -> None:
    with pytest.raises(DecodeError) as info:
        decode(buf)
    assert info.value.layer == "mac"


def test_end_before_buffer_end_bounds_the_header() -> None:
    """`end` excludes a trailing FCS: a header that only fits thanks to the FCS is truncated."""
    buf = hdr(0x80, 0x00, DST, AP, AP)
    with pytest.raises(DecodeError):
        decode_header(buf + b"\x00" * 3, 0, 23)


def test_protocol_version_other_than_zero_is_rejected() -> None:
    with pytest.raises(DecodeError, match="protocol version"):
        decode(hdr(0x81, 0x00, DST, AP, AP))


def test_header_agrees_with_scapy_encoder() -> None:
    pkt = Dot11(type=2, subtype=8, FCfield="to_DS+retry", addr1=AP, addr2=STA, addr3=DST, SC=0x5671)
    buf = bytes(pkt / Dot11QoS(TID=3) / b"payload")
    h = decode(buf)
    assert (h.ftype, h.subtype, h.length, h.tid) == (2, 8, 26, 3)
    assert (h.addr1, h.addr2, h.addr3, h.seq, h.frag) == (AP, STA, DST, 0x567, 1)
    assert h.retry and h.to_ds
