"""Classic pcap reading: byte orders, resolutions, corruption, truncation."""

from __future__ import annotations

import io
import struct

import pytest

from analyzer.capture import RawRecord, open_capture
from analyzer.capture.writer import PcapWriter, write_capture
from analyzer.errors import CaptureError

from .capbytes import pcap

RECORDS = [
    (1_600_000_000, 123_456, b"\x01\x02\x03"),
    (1_600_000_001, 999_999, b"x" * 40),
    (1_600_000_002, 0, b""),
]


def _read(blob: bytes) -> tuple[list[RawRecord], object]:
    cap = open_capture(io.BytesIO(blob), name="mem.pcap")
    return list(cap), cap.info


@pytest.mark.parametrize("endian", ["<", ">"])
def test_pcap_microsecond_both_byte_orders(endian: str) -> None:
    records, info = _read(pcap(RECORDS, endian=endian))
    assert [r.ts_ns for r in records] == [
        1_600_000_000_123_456_000,
        1_600_000_001_999_999_000,
        1_600_000_002_000_000_000,
    ]
    assert [r.data for r in records] == [d for _, _, d in RECORDS]
    assert [r.index for r in records] == [1, 2, 3]
    assert {(r.linktype, r.interface) for r in records} == {(105, 0)}
    assert (info.format, info.linktypes, info.frames, info.truncated) == ("pcap", [105], 3, False)
    assert (info.first_ts_ns, info.last_ts_ns) == (records[0].ts_ns, records[-1].ts_ns)


@pytest.mark.parametrize("endian", ["<", ">"])
def test_pcap_nanosecond_magic_keeps_nanoseconds(endian: str) -> None:
    records, _ = _read(pcap([(5, 123_456_789, b"a")], endian=endian, nano=True))
    assert records[0].ts_ns == 5_123_456_789


def test_pcap_header_is_read_at_open() -> None:
    cap = open_capture(io.BytesIO(pcap(RECORDS, linktype=127)))
    assert cap.info.linktypes == [127]
    assert cap.info.frames == 0


def test_pcap_linktype_ignores_fcs_bits_in_network_field() -> None:
    blob = bytearray(pcap(RECORDS, linktype=127))
    blob[20:24] = struct.pack("<I", 127 | 0x10000000)
    assert _read(bytes(blob))[1].linktypes == [127]


def test_pcap_writer_roundtrip_nanosecond_and_orig_len() -> None:
    buf = io.BytesIO()
    with PcapWriter(buf, linktype=127) as w:
        w.write(1_700_000_000_123_456_789, b"abcd", orig_len=1500)
        w.write(1_700_000_001_000_000_001, b"efgh")
    records, info = _read(buf.getvalue())
    assert [(r.ts_ns, r.data, r.orig_len) for r in records] == [
        (1_700_000_000_123_456_789, b"abcd", 1500),
        (1_700_000_001_000_000_001, b"efgh", 4),
    ]
    assert records[0].snapped and not records[1].snapped
    assert info.linktypes == [127]


def test_pcap_writer_microsecond_truncates_to_microseconds() -> None:
    buf = io.BytesIO()
    PcapWriter(buf, nanosecond=False).write(1_123_456_789, b"z")
    assert _read(buf.getvalue())[0][0].ts_ns == 1_123_456_000


def test_pcap_writer_cuts_data_at_snaplen() -> None:
    buf = io.BytesIO()
    PcapWriter(buf, snaplen=8).write(0, b"0123456789")
    (record,), _ = _read(buf.getvalue())
    assert (record.data, record.orig_len) == (b"01234567", 10)


def test_write_capture_helper_counts_frames(tmp_path) -> None:
    path = tmp_path / "out.pcap"
    assert write_capture(path, [(i, bytes([i])) for i in range(5)]) == 5
    assert [r.data for r in open_capture(path)] == [bytes([i]) for i in range(5)]


def test_pcap_absurd_caplen_stops_with_warning_naming_record_and_offset() -> None:
    blob = pcap(RECORDS[:1]) + struct.pack("<IIII", 1, 2, 0xFFFFFFF0, 10) + b"tail"
    records, info = _read(blob)
    assert len(records) == 1
    assert info.truncated
    assert "record 2" in info.warnings[0] and f"byte {24 + 16 + 3}" in info.warnings[0]


def test_pcap_caplen_above_sane_snaplen_is_corruption() -> None:
    blob = pcap([], snaplen=65535) + struct.pack("<IIII", 1, 2, 300_000, 300_000)
    records, info = _read(blob + b"\0" * 300_000)
    assert records == [] and info.truncated


def test_pcap_large_record_within_snaplen_is_read() -> None:
    data = bytes(range(256)) * 1200
    records, info = _read(pcap([(1, 0, data)], snaplen=400_000))
    assert records[0].data == data and not info.truncated


def test_pcap_truncated_at_every_offset_yields_complete_records_before() -> None:
    blob = pcap(RECORDS)
    ends = [24]
    for _, _, data in RECORDS:
        ends.append(ends[-1] + 16 + len(data))
    for cut in range(len(blob) + 1):
        if cut < 4:
            with pytest.raises(CaptureError):
                open_capture(io.BytesIO(blob[:cut]))
            continue
        records, info = _read(blob[:cut])
        complete = sum(1 for end in ends[1:] if end <= cut)
        assert [r.data for r in records] == [d for _, _, d in RECORDS[:complete]], cut
        assert info.frames == complete
        assert info.truncated == (cut not in ends), cut
        assert bool(info.warnings) == info.truncated
