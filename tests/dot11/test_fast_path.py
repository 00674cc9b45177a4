"""The radiotap fast path (a memo of what the full decode derived from a transmitter's repeated
header bytes) must give exactly what the full decode gives, frame by frame and end to end."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.capture.records import RawRecord
from analyzer.capture.writer import write_capture
from analyzer.dot11 import decode, peek
from analyzer.dot11.decode import (
    _MEMO,
    FULL,
    _decode,
    ack_receiver,
    beacon_fields,
    data_fields,
    pn_fields,
)
from analyzer.dot11.records import Frame, Kind
from analyzer.report.jsonout import analysis_document
from analyzer.run.dispatch import run
from analyzer.simulate.bench import bench_mix

REPO = Path(__file__).resolve().parents[2]


def _corrupted(frames: list[tuple[int, bytes]], seed: int) -> list[tuple[int, bytes]]:
    """Every 37th frame gets one flipped byte somewhere past the radiotap header: some become
    FCS mismatches, some (with the flip in the header) new memo keys or prefixes."""
    rng = random.Random(seed)
    out = []
    for i, (ts, data) in enumerate(frames):
        if i % 37 == 5 and len(data) > 20:
            pos = rng.randrange(8, len(data))
            data = data[:pos] + bytes([data[pos] ^ (1 << rng.randrange(8))]) + data[pos + 1 :]
        out.append((ts, data))
    return out


@pytest.fixture(scope="module")
def mixed_capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fast") / "mix.pcap"
    write_capture(path, _corrupted(list(bench_mix(20_000, seed=3)), seed=3), fmt="pcap")
    return path


def _records(path: Path) -> list[RawRecord]:
    return [r for r in open_capture(str(path)) if peek(r.linktype, r.data) >= 0]


def test_fast_decode_equals_full_decode_on_every_frame(mixed_capture: Path) -> None:
    records = _records(mixed_capture)
    assert len(records) > 10_000
    for rec in records + records:  # the second pass hits the memo for every transmitter
        assert decode(rec) == _decode(rec), rec.index


def test_fast_decode_equals_full_decode_on_shipped_scenarios() -> None:
    for path in sorted((REPO / "pcaps").glob("*.pcap*")):
        for rec in _records(path) * 2:
            assert decode(rec) == _decode(rec), (path.name, rec.index)


def test_lean_fields_agree_with_the_decoded_frame(mixed_capture: Path) -> None:
    acks = 0
    for rec in _records(mixed_capture) * 2:
        full = _decode(rec)
        lean = data_fields(rec)
        if isinstance(lean, tuple):
            assert isinstance(full, Frame) and full.kind is Kind.DATA
            h = full.header
            assert lean[:4] == (h.fc_flags, h.addr1, h.addr2, h.subtype)
            # a protected frame's PN fields, as the tracker reads them from the Frame
            assert lean[4:] == (() if full.body is None else (pn_fields(full.body, h),))
        elif lean is not FULL:
            assert lean == full  # the same Malformed
        beacon = beacon_fields(rec)
        if isinstance(beacon, tuple):
            assert isinstance(full, Frame) and full.kind is Kind.BEACON
            fields, elements = beacon
            assert fields == (full.header.fc_flags, full.header.addr3,
                              full.radio.signal_dbm, full.radio.freq_mhz)  # fmt: skip
            assert elements == full.body.elements
        elif beacon is not FULL:
            assert beacon == full
        ra = ack_receiver(rec)
        if ra is not FULL:
            assert isinstance(full, Frame) and full.kind is Kind.CONTROL
            assert ra == full.header.addr1
            acks += 1
    assert acks > 1000  # the second pass meets every ACK's bytes again


def test_lean_pipeline_reports_what_the_full_pipeline_reports(mixed_capture: Path) -> None:
    seen: list[int] = []
    lean = analysis_document(run([str(mixed_capture)]))
    full = analysis_document(run([str(mixed_capture)], sinks=[lambda n, f: seen.append(n)]))
    assert seen  # the sink forced every frame through the full decode
    assert lean == full
    assert lean["roams"] and lean["captures"][0]["malformed"] > 0


def _ack_record(index: int, tsft_us: int, ra: bytes, data_tail: bytes = b"") -> RawRecord:
    from analyzer.simulate.frames import Radio, ack, on_air

    data = on_air(ack(ra) + data_tail, Radio(tsft_us, 5180, -50, 12))
    return RawRecord(index, tsft_us * 1000, 127, data, 0, len(data))


def test_an_ack_seen_again_is_the_learned_ack_with_its_own_tsft() -> None:
    """An ACK's memo key is all its bytes after the TSFT: a hit is the same ACK."""
    ra = bytes.fromhex("02c0ffee0001")
    first, again = _ack_record(1, 1_000, ra), _ack_record(2, 2_000, ra)
    learned = decode(first)
    assert isinstance(learned, Frame) and learned.kind is Kind.CONTROL
    assert again.data[16:] in _MEMO
    hit = decode(again)
    assert hit == _decode(again) and hit.radio.tsft_us == 2_000 and hit.index == 2
    assert hit.header is learned.header


def test_an_ack_with_a_bad_fcs_is_malformed_even_after_a_hit() -> None:
    """Learned without the FCS check (a live frame cut short), then checked: still caught."""
    ra = bytes.fromhex("02c0ffee0002")
    rec = _ack_record(1, 1_000, ra)
    bad = rec._replace(data=rec.data[:-1] + bytes([rec.data[-1] ^ 0x01]))
    assert isinstance(decode(bad, check_fcs=False), Frame)
    again = bad._replace(index=2, data=bad.data[:8] + bytes(8) + bad.data[16:])
    m = decode(again)
    assert m == _decode(again) and m.reason == "FCS mismatch"


def test_an_ack_with_trailing_bytes_takes_the_full_path() -> None:
    rec = _ack_record(1, 1_000, bytes.fromhex("02c0ffee0003"), data_tail=b"\x00\x01")
    for r in (rec, rec._replace(index=2)):
        assert decode(r) == _decode(r)
    assert rec.data[16:] not in _MEMO


def test_lean_pipeline_measures_ack_to_ack_as_the_full_pipeline_does() -> None:
    measured = 0
    for path in sorted((REPO / "pcaps").glob("*.pcap*")):
        lean = analysis_document(run([str(path)]))
        full = analysis_document(run([str(path)], sinks=[lambda n, f: None]))
        assert lean == full, path.name
        measured += sum(r["latency_ms"]["ack_to_ack"] is not None for r in lean["roams"])
    assert measured >= 3


def test_lean_pipeline_measures_ack_to_ack_from_block_acks_as_the_full_pipeline_does(
    tmp_path: Path,
) -> None:
    """Block Acks take the full decode in the lean loop too (the ACK memo never holds them)."""
    from analyzer.simulate.library import ht_roam

    path = tmp_path / "ht-roam.pcapng"
    ht_roam().write(path)
    lean = analysis_document(run([str(path)]))
    full = analysis_document(run([str(path)], sinks=[lambda n, f: None]))
    assert lean == full
    roams = [r for r in lean["roams"] if r["kind"] == "roam"]
    assert roams and all(r["latency_ms"]["ack_to_ack"] is not None for r in roams)
