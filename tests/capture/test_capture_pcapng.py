"""pcapng reading: sections, interfaces, timestamps, block kinds, corruption."""

from __future__ import annotations

import io
import time
import tracemalloc

import pytest

from analyzer.capture import RawRecord, open_capture
from analyzer.capture.writer import PcapngWriter

from .capbytes import block, epb, idb, shb, small_pcapng, spb


def _read(blob: bytes) -> tuple[list[RawRecord], object]:
    cap = open_capture(io.BytesIO(blob), name="mem.pcapng")
    return list(cap), cap.info


@pytest.mark.parametrize("endian", ["<", ">"])
def test_pcapng_section_in_either_byte_order(endian: str) -> None:
    blob = shb(endian) + idb(127, endian) + epb(0, 1_500_000_000_000_001, b"hello", endian)
    (record,), info = _read(blob)
    assert (record.ts_ns, record.data, record.linktype) == (
        1_500_000_000_000_001_000,
        b"hello",
        127,
    )
    assert (info.format, info.linktypes, info.truncated) == ("pcapng", [127], False)


def test_pcapng_linktypes_known_at_open() -> None:
    cap = open_capture(io.BytesIO(shb() + idb(127) + idb(1) + epb(1, 0, b"x")))
    assert cap.info.linktypes == [127, 1]


def test_pcapng_two_interfaces_with_different_linktypes() -> None:
    blob = shb() + idb(127) + idb(105) + epb(1, 10, b"b") + epb(0, 20, b"a")
    records, info = _read(blob)
    assert [(r.interface, r.linktype, r.data) for r in records] == [(1, 105, b"b"), (0, 127, b"a")]
    assert info.linktypes == [127, 105]


def test_pcapng_several_sections_keep_interface_ids_unique() -> None:
    blob = (
        shb()
        + idb(127)
        + epb(0, 1, b"s1")
        + shb(">")
        + idb(105, ">")
        + idb(1, ">")
        + epb(1, 2, b"s2", ">")
        + epb(0, 3, b"s3", ">")
    )
    records, info = _read(blob)
    assert [(r.index, r.interface, r.linktype) for r in records] == [
        (1, 0, 127),
        (2, 2, 1),
        (3, 1, 105),
    ]
    assert info.linktypes == [127, 105, 1]


def test_pcapng_if_tsresol_decimal_gives_exact_ns() -> None:
    blob = (
        shb()
        + idb(1, tsresol=3)
        + idb(1, tsresol=9)
        + idb(1, tsresol=12)
        + epb(0, 1_234, b"")
        + epb(1, 1_234, b"")
        + epb(2, 1_234_567, b"")
    )
    assert [r.ts_ns for r in _read(blob)[0]] == [1_234_000_000, 1_234, 1_234]


def test_pcapng_if_tsresol_power_of_two_gives_exact_ns() -> None:
    ts = (1_700_000_000 << 30) + (1 << 29)
    blob = shb() + idb(1, tsresol=0x80 | 30) + epb(0, ts, b"")
    assert _read(blob)[0][0].ts_ns == 1_700_000_000_500_000_000


def test_pcapng_if_tsoffset_seconds_are_added() -> None:
    blob = shb() + idb(1, tsresol=9, tsoffset=-100) + epb(0, 1_000_000_000_000, b"")
    assert _read(blob)[0][0].ts_ns == 900_000_000_000


def test_pcapng_simple_packet_block_uses_interface_zero_and_previous_ts() -> None:
    blob = shb() + idb(127, snaplen=4) + spb(b"abcd", orig_len=9) + epb(0, 7, b"x") + spb(b"yz")
    records, _ = _read(blob)
    assert [(r.ts_ns, r.data, r.orig_len) for r in records] == [
        (0, b"abcd", 9),
        (7_000, b"x", 1),
        (7_000, b"yz", 2),
    ]


def test_pcapng_obsolete_packet_block_is_read() -> None:
    import struct

    body = struct.pack("<HHIIII", 0, 0, 0, 5, 3, 3) + b"old"
    (record,), _ = _read(shb() + idb(1) + block(2, body))
    assert (record.ts_ns, record.data) == (5_000, b"old")


def test_pcapng_unknown_block_types_are_skipped() -> None:
    records, info = _read(small_pcapng())
    assert [r.data for r in records] == [b"abc", b"defgh", b"ij"]
    assert not info.truncated and not info.warnings


def test_pcapng_packet_for_undeclared_interface_is_skipped_and_marks_the_capture_damaged(
) -> None:
    records, info = _read(shb() + idb(1) + epb(3, 0, b"bad") + epb(0, 0, b"ok"))
    assert [r.data for r in records] == [b"ok"]
    assert len(info.warnings) == 1 and info.truncated  # skipped, but damage all the same


def test_pcapng_block_claiming_4gib_is_not_allocated() -> None:
    import struct

    blob = shb() + idb(1) + epb(0, 0, b"ok") + struct.pack("<II", 6, 0xFFFFFFF0) + b"\0" * 64
    tracemalloc.start()
    start = time.monotonic()
    records, info = _read(blob)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert time.monotonic() - start < 1 and peak < 4 << 20
    assert [r.data for r in records] == [b"ok"]
    assert info.truncated and "block length" in info.warnings[0]


@pytest.mark.parametrize("bad_len", [8, 14, 0x4000004])
def test_pcapng_invalid_block_length_stops_as_corrupt(bad_len: int) -> None:
    import struct

    records, info = _read(shb() + idb(1) + struct.pack("<II", 6, bad_len) + b"\0" * 32)
    assert records == [] and info.truncated


def test_pcapng_truncated_at_every_offset_yields_complete_records_before() -> None:
    blob = small_pcapng()
    sizes = [
        len(b)
        for b in (
            shb(),
            idb(127, tsresol=9),
            epb(0, 0, b"abc"),
            block(0x0BAD, b"junk"),
            epb(0, 0, b"defgh"),
            spb(b"ij"),
        )
    ]
    ends = [sum(sizes[: i + 1]) for i in range(len(sizes))]
    record_ends = [ends[2], ends[4], ends[5]]
    assert ends[-1] == len(blob)
    for cut in range(4, len(blob) + 1):
        records, info = _read(blob[:cut])
        complete = sum(1 for end in record_ends if end <= cut)
        assert [r.data for r in records] == [b"abc", b"defgh", b"ij"][:complete], cut
        assert info.truncated == (cut not in ends), cut


def test_pcapng_writer_roundtrip_two_interfaces() -> None:
    buf = io.BytesIO()
    with PcapngWriter(buf) as w:
        a = w.add_interface(127, name="wlan0mon")
        b = w.add_interface(105, tsresol_ns=False)
        w.write(a, 1_700_000_000_123_456_789, b"abc", orig_len=100)
        w.write(b, 1_700_000_000_123_456_789, b"defg")
    records, info = _read(buf.getvalue())
    assert [(r.interface, r.linktype, r.ts_ns, r.data, r.orig_len) for r in records] == [
        (0, 127, 1_700_000_000_123_456_789, b"abc", 100),
        (1, 105, 1_700_000_000_123_456_000, b"defg", 4),
    ]
    assert info.linktypes == [127, 105]


def test_pcapng_writer_rejects_unknown_interface() -> None:
    with pytest.raises(ValueError):
        PcapngWriter(io.BytesIO()).write(0, 0, b"")
