"""Hostile capture files: partial results, counted damage, `truncated` set, exit 3; never a
traceback, never an allocation driven by a length field the reader has not checked."""

from __future__ import annotations

import gzip
import io
import random
import tracemalloc
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.cli import main
from analyzer.run.dispatch import run
from analyzer.run.engine import Analysis
from fuzz.corpus import scenario_captures
from fuzz.mutate import boundaries

from . import hostile as h

ALLOCATION_BOUND = 4 << 20  # bytes: a lying length may cost a read chunk, never the length


@pytest.fixture(scope="module")
def captures() -> list[tuple[str, bytes]]:
    return scenario_captures()[:2]  # the PSK scenario as pcap and as pcapng


def analyze(blob: bytes) -> Analysis:
    return run([io.BytesIO(blob)])  # type: ignore[list-item]


def peak_bytes(blob: bytes) -> tuple[Analysis, int]:
    tracemalloc.start()
    try:
        analysis = analyze(blob)
        return analysis, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


GOOD = h.beacon(h.element(0, b"lab"))
LIES = [0, 1, 11, 12, 15, 0x10000, h.MAX_SNAPLEN - 16, h.MAX_SNAPLEN, 0xFFFFFFFF]


@pytest.mark.parametrize("caplen", LIES)
def test_pcap_record_length_that_lies_allocates_only_what_is_there(caplen: int) -> None:
    """Regression (bug: a record claiming 64 MiB allocated 64 MiB for a 200-byte file)."""
    blob = h.pcap_header(snaplen=h.MAX_SNAPLEN) + h.pcap_record(GOOD) + h.pcap_record(GOOD, caplen)
    analysis, peak = peak_bytes(blob)
    info = analysis.captures[0].info
    assert peak < ALLOCATION_BOUND
    assert info.frames >= 1 and analysis.inventory.counts["beacon"] >= 1
    assert info.truncated == (caplen != len(GOOD)) and (info.warnings or not info.truncated)


@pytest.mark.parametrize("length", [0, 4, 12, 16, 0x10000, h.MAX_SNAPLEN - 4, 0xFFFFFFFC])
@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_pcapng_block_length_that_lies_allocates_only_what_is_there(
    length: int, compressed: bool
) -> None:
    """Regression (bug: a block claiming 64 MiB was read with one 64 MiB allocation)."""
    blob = h.pcapng_head() + h.epb(GOOD) + h.block(6, b"\0" * 20 + GOOD, length)
    blob = gzip.compress(blob) if compressed else blob
    analysis, peak = peak_bytes(blob)
    info = analysis.captures[0].info
    assert peak < ALLOCATION_BOUND
    assert info.frames == 1 and info.truncated and info.warnings


def test_truncation_at_every_block_boundary_keeps_the_records_before_it(
    captures: list[tuple[str, bytes]],
) -> None:
    for name, blob in captures:
        marks = boundaries(blob)
        assert len(marks) > 20, name
        for n, (start, _) in enumerate(marks):
            for cut in (start, start + 1, start + 9, start + 17):
                if cut < 4:  # not even a magic number: a user error, tested elsewhere
                    continue
                analysis = analyze(blob[:cut])
                info = analysis.captures[0].info
                records_before = n - (2 if name.endswith(".pcapng") else 0)
                assert info.frames == max(0, records_before), (name, cut)
                assert info.truncated == (cut != start), (name, cut)


def test_bit_flips_anywhere_give_partial_results_never_an_exception(
    captures: list[tuple[str, bytes]],
) -> None:
    rng = random.Random(9)
    for _name, blob in captures:
        for _ in range(150):
            flipped = bytearray(blob)
            for _ in range(rng.randint(1, 4)):
                flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
            try:
                analysis = analyze(bytes(flipped))
            except Exception as exc:  # a flipped magic is a user error, named as such
                assert type(exc).__name__ in ("CaptureError", "UnsupportedLinkType")
                continue
            for result in analysis.captures:
                assert result.malformed >= 0 and result.info.frames >= 0


def test_radiotap_length_past_the_frame_is_counted_malformed() -> None:
    blob = h.pcap([h.radiotap(200) + b"x" * 30, GOOD, h.radiotap(0xFFFF), h.radiotap(7)])
    result = analyze(blob).captures[0]
    assert result.malformed == 3 and result.info.frames == 4 and not result.info.truncated
    assert any("it_len" in reason for reason in result.malformed_reasons)


def test_present_words_chained_without_end_are_malformed_not_endless() -> None:
    endless = h.radiotap(4 + 4 * 16, *([0x80000000] * 16)) + GOOD[8:]
    to_the_end = h.radiotap(4 + 4 * 16000, *([0xFFFFFFFF] * 16000))
    result = analyze(h.pcap([endless, to_the_end, GOOD])).captures[0]
    assert result.malformed_reasons == {"link: radiotap present words run past it_len": 2}


@pytest.mark.parametrize(
    "elements",
    [
        h.element(0, b""),  # zero-length SSID
        h.element(0, b"x" * 255),  # SSID far over its 32-octet limit
        h.element(0, b"lab") + h.element(221, b"", 255),  # length past the body
        h.element(48, b"", 0) * 5000,  # thousands of empty RSNEs
        h.element(221, b"\x00\x50\xf2\x01" + b"\xff" * 251) * 200,  # gigantic vendor run
        h.element(48, b"\x01\x00" + b"\x00\x0f\xac\x04" + b"\xff\xff" + b"\0" * 8),  # count lies
    ],
    ids=["ssid-0", "ssid-255", "len-past-end", "rsne-x5000", "vendor-x200", "rsne-count"],
)
def test_zero_length_and_gigantic_elements_decode_to_a_beacon(elements: bytes) -> None:
    analysis, peak = peak_bytes(h.pcap([h.beacon(elements)]))
    assert analysis.inventory.counts["beacon"] == 1
    assert peak < ALLOCATION_BOUND


def test_damaged_capture_exits_3_with_warnings_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "lying.pcapng"
    path.write_bytes(h.pcapng([GOOD, GOOD]) + h.block(6, b"\0" * 24, 0xFFFFFFF0))
    assert main(["analyze", "--quiet", "--format", "json", str(path)]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and "damaged" in err and "block length" in err


def test_gzip_cut_mid_stream_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cut.pcap.gz"
    blob = gzip.compress(h.pcap([GOOD] * 200))
    path.write_bytes(blob[: len(blob) // 2])
    assert main(["frames", str(path)]) == 3
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out.count("beacon") > 0


def test_capture_layer_alone_never_reads_past_a_lying_snaplen() -> None:
    """A header snaplen of 4 GiB does not raise the per-record limit past the reader's cap."""
    blob = h.pcap_header(snaplen=0xFFFFFFFF) + h.pcap_record(GOOD, caplen=0x7FFFFFFF)
    with open_capture(io.BytesIO(blob)) as cap:
        assert list(cap) == []
        assert cap.info.truncated and "exceeds" in cap.info.warnings[0]
