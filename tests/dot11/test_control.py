"""Block Ack (control subtype 9, IEEE 802.11-2020 9.3.1.8): RA and TA in the header, BA Control
and, for the Basic, Compressed and Extended Compressed variants, the starting sequence number
and bitmap in the body; short frames are Malformed, never an exception."""

from __future__ import annotations

import struct
import zlib

import pytest

from analyzer.capture.records import RawRecord
from analyzer.dot11 import decode, peek
from analyzer.dot11.consts import BlockAckType
from analyzer.dot11.control import decode_block_ack
from analyzer.dot11.decode import FULL, _decode, ack_receiver
from analyzer.dot11.errors import DecodeError
from analyzer.dot11.records import BlockAck, Frame, Kind, MacHeader, Malformed
from analyzer.simulate.frames import Radio, block_ack, on_air

# aircrack-ng test/n-02.cap frames 143 and 161 (raw 802.11, no FCS), as tshark 4.0 reads them:
# a compressed Block Ack from the station to the AP (BA Control 0x0005: No Ack, type 2, TID 0;
# SSN 0, bitmap 01) and one from the AP to the station (0x0004: Normal Ack; SSN 3, fcff1f).
REAL_STA_TO_AP = bytes.fromhex("94000000b0b98a568dea2cf0a2ddbcd0050000000100000000000000")
REAL_AP_TO_STA = bytes.fromhex("940000002cf0a2ddbcd0b0b98a568dea04003000fcff1f0000000000")
AP, STA = "b0:b9:8a:56:8d:ea", "2c:f0:a2:dd:bc:d0"


def rec(data: bytes, linktype: int = 105, index: int = 1) -> RawRecord:
    return RawRecord(index, 1_000, linktype, data, 0, len(data))


def on_radiotap(frame: bytes, tsft_us: int = 1_000) -> bytes:
    return on_air(frame, Radio(tsft_us, 5180, -50, 12))


@pytest.mark.parametrize(
    ("frame", "ra", "ta", "fields"),
    [
        (REAL_STA_TO_AP, AP, STA, (1, 2, 0, 0, "0100000000000000")),
        (REAL_AP_TO_STA, STA, AP, (0, 2, 0, 3, "fcff1f0000000000")),
    ],
    ids=["sta_to_ap", "ap_to_sta"],
)
def test_real_compressed_block_ack_decodes_like_tshark(
    frame: bytes, ra: str, ta: str, fields: tuple[int, int, int, int, str]
) -> None:
    f = decode(rec(frame))
    assert isinstance(f, Frame) and f.kind is Kind.CONTROL
    assert isinstance(f.header, MacHeader)
    assert (f.header.subtype, f.header.length, f.header.ra, f.header.ta) == (9, 16, ra, ta)
    assert isinstance(f.body, BlockAck) and f.body.compressed
    b = f.body
    assert (b.ack_policy, b.ba_type, b.tid_info, b.starting_seq, b.bitmap.hex()) == fields
    assert peek(105, frame) == Kind.CONTROL


def test_block_ack_under_radiotap_with_fcs_keeps_the_fcs_out_of_its_bitmap() -> None:
    bitmap = b"\x07" + bytes(7)
    data = on_radiotap(block_ack(b"\x02" * 6, b"\x0a" * 6, tid=5, ssn=0xABC, bitmap=bitmap))
    f = decode(rec(data, 127))
    assert isinstance(f, Frame) and isinstance(f.body, BlockAck)
    assert (f.body.tid_info, f.body.starting_seq, f.body.bitmap) == (5, 0xABC, bitmap)
    assert f.body.acknowledges
    assert peek(127, data) == Kind.CONTROL


def test_block_ack_with_a_wrong_fcs_is_malformed() -> None:
    data = bytearray(on_radiotap(block_ack(b"\x02" * 6, b"\x0a" * 6, tid=0, ssn=1)))
    data[-1] ^= 0xFF
    m = decode(rec(bytes(data), 127))
    assert isinstance(m, Malformed) and (m.layer, m.reason) == ("link", "FCS mismatch")


def _ba(control: int, info: bytes) -> bytes:
    return b"\x94\x00\x00\x00" + b"\x02" * 6 + b"\x0a" * 6 + struct.pack("<H", control) + info


SSC = struct.pack("<H", 0x0123 << 4)


@pytest.mark.parametrize(
    ("ba_type", "info", "ssn", "bitmap_len"),
    [
        (BlockAckType.BASIC, SSC + bytes(128), 0x123, 128),
        (BlockAckType.COMPRESSED, SSC + bytes(8), 0x123, 8),
        (BlockAckType.COMPRESSED, SSC + bytes(32), 0x123, 32),  # HE: a 256-bit bitmap
        (BlockAckType.EXTENDED_COMPRESSED, SSC + bytes(8) + b"\x05", 0x123, 8),
        (BlockAckType.MULTI_TID, bytes(12), None, None),
        (BlockAckType.GCR, SSC + bytes(14), None, None),
        (BlockAckType.MULTI_STA, bytes(10), None, None),
        (7, b"", None, None),  # reserved
    ],
    ids=["basic", "compressed", "compressed_he", "extended", "multi_tid", "gcr", "multi_sta",
         "reserved"],
)
def test_block_ack_variants_decode_as_far_as_they_are_read(
    ba_type: int, info: bytes, ssn: int | None, bitmap_len: int | None
) -> None:
    """BA Ack Policy (B0), BA Type (B1-B4) and TID_INFO (B12-B15) for every variant."""
    f = decode(rec(_ba(0x0001 | ba_type << 1 | 6 << 12, info)))
    assert isinstance(f, Frame) and isinstance(f.body, BlockAck)
    b = f.body
    assert (b.ack_policy, b.ba_type, b.tid_info, b.starting_seq) == (1, ba_type, 6, ssn)
    assert (None if b.bitmap is None else len(b.bitmap)) == bitmap_len


def test_a_bitmap_of_zeros_acknowledges_nothing() -> None:
    assert not decode_block_ack(struct.pack("<HH", 0x0004, 0) + bytes(8)).acknowledges
    assert decode_block_ack(struct.pack("<HH", 0x0004, 0) + bytes(7) + b"\x80").acknowledges


@pytest.mark.parametrize("cut", range(1, len(REAL_STA_TO_AP)))
def test_a_short_block_ack_is_malformed_never_an_exception(cut: int) -> None:
    """Cut after its first byte: short of its header, Malformed at the MAC layer; short of
    its BA Control or bitmap, at the control layer with its header kept."""
    data = REAL_STA_TO_AP[:cut]
    m = decode(rec(data))
    assert isinstance(m, Malformed), cut
    if cut < 16:
        assert m.layer == "mac"
    else:
        assert m.layer == "control" and m.kind is Kind.CONTROL and m.header is not None
        assert m.header.ta == STA


@pytest.mark.parametrize(
    ("ba_type", "needed"),
    [(BlockAckType.BASIC, 132), (BlockAckType.COMPRESSED, 12),
     (BlockAckType.EXTENDED_COMPRESSED, 13)],  # fmt: skip
)
def test_a_variant_short_of_its_bitmap_raises_decode_error(ba_type: int, needed: int) -> None:
    body = struct.pack("<H", ba_type << 1) + bytes(needed - 2)
    assert decode_block_ack(body).bitmap is not None
    with pytest.raises(DecodeError):
        decode_block_ack(body[:-1])


def test_a_block_ack_request_is_still_ignored() -> None:
    """BlockAckReq (subtype 8) is not read: the Block Ack answering it is."""
    bar = b"\x84\x00\x00\x00" + b"\x02" * 6 + b"\x0a" * 6 + struct.pack("<HH", 0x0004, 0)
    assert decode(rec(bar)) is None and peek(105, bar) == -1


def test_a_block_ack_never_takes_the_ack_fast_path() -> None:
    """The ACK memo serves only ACKs: a Block Ack, however often its bytes repeat, is decoded
    in full, so its RA is never mistaken for an ACK's."""
    frame = block_ack(b"\x02\xc0\xff\xee\x00\x09", b"\x0a" * 6, tid=0, ssn=7)
    for index, tsft in ((1, 1_000), (2, 2_000)):
        r = rec(on_radiotap(frame, tsft), 127, index)
        assert ack_receiver(r) is FULL
        assert decode(r) == _decode(r)
        assert isinstance(decode(r), Frame) and isinstance(decode(r).body, BlockAck)


def test_crc_of_the_builder_block_ack_is_its_fcs() -> None:
    frame = block_ack(b"\x02" * 6, b"\x0a" * 6, tid=3, ssn=9)
    data = on_radiotap(frame)
    assert data[-4:] == struct.pack("<I", zlib.crc32(frame)) and len(frame) == 28
