"""Opening sources: paths, gzip by magic, pipes, stdin, errors, real captures."""

from __future__ import annotations

import csv
import gzip
import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from analyzer.capture import Capture, open_capture
from analyzer.capture.writer import PcapngWriter, PcapWriter, write_capture
from analyzer.errors import CaptureError

from .capbytes import epb, idb, pcap, shb, small_pcapng

PUBLIC = Path(__file__).resolve().parents[2].parent / "shared" / "pcaps" / "public"
FRAMES = [
    (1_700_000_000_000_000_000 + i * 1_000_000, bytes([i % 256]) * (i % 50)) for i in range(300)
]


def test_open_path_and_pathlike(tmp_path: Path) -> None:
    path = tmp_path / "a.pcapng"
    write_capture(path, FRAMES, fmt="pcapng")
    for source in (path, str(path)):
        with open_capture(source) as cap:
            assert isinstance(cap, Capture)
            assert cap.info.path == str(path) and cap.info.format == "pcapng"
            assert [(r.ts_ns, r.data) for r in cap] == FRAMES


def test_gzip_of_pcapng_named_pcap_is_detected_by_magic(tmp_path: Path) -> None:
    path = tmp_path / "misleading.pcap"
    path.write_bytes(gzip.compress(small_pcapng()))
    cap = open_capture(path)
    assert (cap.info.format, cap.info.compressed) == ("pcapng", True)
    assert [r.data for r in cap] == [b"abc", b"defgh", b"ij"]
    assert not cap.info.truncated


def test_cut_gzip_keeps_records_before_and_marks_truncated(tmp_path: Path) -> None:
    raw = io.BytesIO()
    with PcapWriter(raw) as w:
        for ts, data in FRAMES:
            w.write(ts, os.urandom(200) + data)
    packed = gzip.compress(raw.getvalue())
    path = tmp_path / "cut.pcap.gz"
    path.write_bytes(packed[: len(packed) // 2])
    cap = open_capture(path)
    records = list(cap)
    assert 0 < len(records) < len(FRAMES)
    assert [r.ts_ns for r in records] == [ts for ts, _ in FRAMES[: len(records)]]
    assert cap.info.truncated and cap.info.compressed
    assert any("EOFError" in w for w in cap.info.warnings)


def test_corrupt_gzip_member_marks_truncated(tmp_path: Path) -> None:
    packed = bytearray(gzip.compress(pcap([(1, 0, b"x" * 100)] * 50)))
    packed[-6] ^= 0xFF
    path = tmp_path / "bad.pcap.gz"
    path.write_bytes(bytes(packed))
    cap = open_capture(path)
    list(cap)
    assert cap.info.truncated and cap.info.warnings


def _pipe_writer(fd: int, first: bytes, rest: bytes, go: threading.Event, log: list) -> None:
    with os.fdopen(fd, "wb", buffering=0) as w:
        w.write(first)
        log.append(go.wait(5))
        w.write(rest)


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_non_seekable_pipe_streams_records_before_writer_finishes(fmt: str) -> None:
    if fmt == "pcap":
        first, rest = pcap([(1, 0, b"one")]), pcap([(2, 0, b"two")])[24:]
    else:
        first, rest = shb() + idb(1) + epb(0, 1, b"one"), epb(0, 2, b"two")
    r, w = os.pipe()
    go, log = threading.Event(), []
    thread = threading.Thread(target=_pipe_writer, args=(w, first, rest, go, log))
    thread.start()
    with open(r, "rb") as stream:
        cap = open_capture(stream, name="fifo")
        it = iter(cap)
        assert next(it).data == b"one"
        go.set()
        assert [rec.data for rec in it] == [b"two"]
    thread.join()
    assert log == [True], "the reader waited for the writer to finish"
    assert cap.info.frames == 2 and not cap.info.truncated and cap.info.path == "fifo"


def test_dash_means_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.TextIOWrapper(io.BytesIO(gzip.compress(pcap([(3, 0, b"in")]))))
    monkeypatch.setattr(sys, "stdin", fake)
    cap = open_capture("-")
    assert [r.data for r in cap] == [b"in"] and cap.info.path == "<stdin>"


def test_unknown_magic_raises_capture_error_naming_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello world")
    with pytest.raises(CaptureError, match="notes.txt.*68 65 6c 6c"):
        open_capture(path)


def test_unknown_magic_inside_gzip_says_so(tmp_path: Path) -> None:
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"plain text"))
    with pytest.raises(CaptureError, match="x.gz.*inside gzip"):
        open_capture(path)


@pytest.mark.parametrize("content", [b"", b"\xd4\xc3"])
def test_empty_or_tiny_file_raises_capture_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "tiny.pcap"
    path.write_bytes(content)
    with pytest.raises(CaptureError, match="tiny.pcap"):
        open_capture(path)


def test_missing_file_raises_capture_error(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="nope.pcap.*no such file"):
        open_capture(tmp_path / "nope.pcap")


def test_directory_raises_capture_error(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="directory"):
        open_capture(tmp_path)


@pytest.mark.tshark
def test_writers_output_is_read_by_tshark(tmp_path: Path, tshark: str) -> None:
    pcap_path, ng_path = tmp_path / "w.pcap", tmp_path / "w.pcapng"
    write_capture(pcap_path, FRAMES[:20], linktype=1)
    with open(ng_path, "wb") as f, PcapngWriter(f) as w:
        w.add_interface(1, name="eth9")
        w.add_interface(1, tsresol_ns=False)
        for i, (ts, data) in enumerate(FRAMES[:20]):
            w.write(i % 2, ts, data + b"\0" * 14)
    for path in (pcap_path, ng_path):
        out = subprocess.run(
            [tshark, "-r", str(path), "-T", "fields", "-e", "frame.time_epoch"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert out[0].startswith("1700000000.000000000") and len(out) == 20


def _manifest() -> dict[str, int]:
    with open(PUBLIC / "MANIFEST.tsv", newline="") as f:
        return {row["file"]: int(row["frames"]) for row in csv.DictReader(f, delimiter="\t")}


@pytest.mark.public
def test_public_captures_open_with_manifest_frame_counts() -> None:
    if not (PUBLIC / "MANIFEST.tsv").is_file():
        pytest.skip(f"real captures not available: {PUBLIC} is absent")
    expected = _manifest()
    seen = {}
    for name in expected:
        if not (PUBLIC / name).exists():
            continue
        with open_capture(PUBLIC / name) as cap:
            seen[name] = sum(1 for _ in cap)
            assert not cap.info.truncated, (name, cap.info.warnings)
            assert cap.info.frames == seen[name] and cap.info.linktypes
    assert seen, "no manifest file is present"
    assert seen == {name: expected[name] for name in seen}
