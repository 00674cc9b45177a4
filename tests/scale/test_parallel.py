"""The parallel path of one capture gives exactly the single-process document."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

import analyzer.run.jobs
from analyzer.capture import open_capture
from analyzer.capture.pcap import MAGICS
from analyzer.dot11.records import Beacon, Frame, MacHeader
from analyzer.report.jsonout import analysis_document
from analyzer.run.dispatch import run
from analyzer.run.jobs import plan_split, read_chunk
from analyzer.simulate.library import simulate

from .mixes import write_mixes

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT.parent / "shared" / "pcaps" / "public"


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict, dict]:
    monkeypatch.setattr("analyzer.run.jobs.MIN_SPLIT_BYTES", 0)
    one = analysis_document(run([str(path)]))
    two = analysis_document(run([str(path)], jobs=2))
    return one, two


@pytest.fixture(scope="module")
def bench_mix(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_mixes(tmp_path_factory.mktemp("mix"), 100_000)


@pytest.fixture(scope="module")
def damaged_mix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~300 k frames of bench_mix, some of them damaged (see `_damage`)."""
    path = tmp_path_factory.mktemp("damaged") / "mix.pcap"
    simulate("bench-mix", str(path), fmt="pcap", frames=300_000)
    path.write_bytes(_damage(path.read_bytes()))
    return path


def _damage(pcap: bytes) -> bytes:
    """Every 997th record gets a bit flipped (FCS mismatch), every 1009th is cut short (inside
    its radiotap or MAC header); every 1013th gets a new transmitter, every 1019th the Retry
    flag, both with a valid FCS."""
    endian, _nano = MAGICS[pcap[:4]]
    rec_header = struct.Struct(endian + "IIII")
    out, pos, n = [pcap[:24]], 24, 0
    while pos + 16 <= len(pcap):
        sec, frac, caplen, olen = rec_header.unpack_from(pcap, pos)
        rec = bytearray(pcap[pos + 16 : pos + 16 + caplen])
        pos += 16 + caplen
        n += 1
        rt_len = rec[2] | rec[3] << 8
        if n % 997 == 0:
            rec[len(rec) // 2] ^= 0x40
        elif n % 1009 == 0:
            rec = rec[: 6 + n % (rt_len + 20)]
        elif n % 1013 == 0 and len(rec) >= rt_len + 24:
            rec[rt_len + 15] ^= 0x5A  # last octet of Address 2
            rec[-4:] = struct.pack("<I", zlib.crc32(rec[rt_len:-4]))
        elif n % 1019 == 0 and len(rec) >= rt_len + 24:
            rec[rt_len + 1] |= 0x08  # Retry
            rec[-4:] = struct.pack("<I", zlib.crc32(rec[rt_len:-4]))
        out.append(rec_header.pack(sec, frac, len(rec), olen) + rec)
    return b"".join(out)


def test_damaged_mix_lean_parallel_equals_single(
    damaged_mix: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """~300 k frames, damaged ones among them, in many small chunks: the parent's own ranges
    and the workers' lean columns give the single run's document, and the workers' chunks are
    trusted (no fallback to the serial reader)."""
    monkeypatch.setattr("analyzer.run.jobs.MAX_CHUNK_BYTES", 4 << 20)
    fed: list[int] = []
    feed = analyzer.run.jobs._feed

    def counting(engine: object, chunk: analyzer.run.jobs.Chunk, base: int) -> None:
        fed.append(chunk.info.frames)
        feed(engine, chunk, base)  # type: ignore[arg-type]

    monkeypatch.setattr("analyzer.run.jobs._feed", counting)
    one, two = _both(damaged_mix, monkeypatch)
    assert one["captures"][0]["malformed"] > 500
    assert one["roams"]
    assert two == one
    assert len(fed) > 10 and sum(fed) > one["captures"][0]["frames"] // 2


def test_frame_sinks_see_the_single_run_stream(
    damaged_mix: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a frame sink (no lean path) the sink sees every relevant frame in capture order,
    with its index, timestamp, kind, addresses and body (a beacon's but its TSF), and the
    document is the single run's."""
    monkeypatch.setattr("analyzer.run.jobs.MIN_SPLIT_BYTES", 0)
    monkeypatch.setattr("analyzer.run.jobs.MAX_CHUNK_BYTES", 4 << 20)
    seen: dict[int, list[tuple]] = {1: [], 2: []}
    docs = {}
    for jobs, frames in seen.items():

        def sink(_n: int, frame: Frame, frames: list[tuple] = frames) -> None:
            header = frame.header
            addrs = header[4:8] if isinstance(header, MacHeader) else None
            body = frame.body.elements if isinstance(frame.body, Beacon) else frame.body
            frames.append((frame.index, frame.ts_ns, frame.kind, addrs, body))

        docs[jobs] = analysis_document(run([str(damaged_mix)], sinks=[sink], jobs=jobs))
    assert len(seen[1]) > 250_000
    assert seen[2] == seen[1]
    assert docs[2] == docs[1]


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_bench_mix_parallel_equals_single(
    bench_mix: dict[str, Path], fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers over ~100 k frames: the JSON document is identical, frame indices included."""
    one, two = _both(bench_mix[fmt], monkeypatch)
    assert one["roams"]
    assert two == one


@pytest.mark.parametrize("path", sorted((ROOT / "pcaps").glob("*.pcapng")), ids=lambda p: p.name)
def test_scenario_corpus_parallel_equals_single(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small captures (split anyway, or read serially when they cannot be): same document."""
    one, two = _both(path, monkeypatch)
    assert two == one


@pytest.mark.skipif(not PUBLIC.is_dir(), reason="../shared/pcaps/public absent")
def test_public_captures_parallel_equals_single(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real captures, damaged ones included: identical documents."""
    paths = [p for p in sorted(PUBLIC.rglob("*")) if p.suffix in (".pcap", ".pcapng", ".cap")]
    for path in paths:
        one, two = _both(path, monkeypatch)
        assert two == one, path.name


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_split_points_are_record_boundaries(bench_mix: dict[str, Path], fmt: str) -> None:
    """Every cut is where the single reader starts a record, and the chunks cover all records."""
    path = bench_mix[fmt]
    split = plan_split(str(path), 6)
    assert split is not None and len(split.ranges) >= 3
    chunks = [read_chunk((str(path), split.prefix, a, b, True)) for a, b in split.ranges]
    assert not any(c.info.truncated or c.info.warnings for c in chunks)
    with open_capture(str(path)) as cap:
        total = sum(1 for _ in cap)
    assert sum(c.info.frames for c in chunks) == total
    assert [a for a, _ in split.ranges[1:]] == [b for _, b in split.ranges[:-1]]


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_a_file_cut_inside_its_header_is_not_split(
    bench_mix: dict[str, Path], fmt: str, tmp_path: Path
) -> None:
    """However small the ranges may be, a file that ends inside its header (or its first
    record) is read by the single reader: no split, no exception (a fuzzed 14-byte pcap gave
    `--jobs 2` a struct.error)."""
    blob = bench_mix[fmt].read_bytes()
    path = tmp_path / f"cut.{fmt}"
    for cut in range(4, 41):
        path.write_bytes(blob[:cut])
        assert plan_split(str(path), 4, min_bytes=0) is None, cut


def test_false_boundary_falls_back_to_the_serial_reader(
    bench_mix: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cut that is not a record boundary is detected; the rest is read by the single reader."""
    path = str(bench_mix["pcap"])
    split = plan_split(path, 4)
    assert split is not None
    a, b = split.ranges[1]
    bad = [*split.ranges[:1], (a, a + 7), (a + 7, b), *split.ranges[2:]]
    forged = type(split)(path, split.prefix, bad)
    monkeypatch.setattr("analyzer.run.jobs.plan_split", lambda *_: forged)
    assert analysis_document(run([path], jobs=2)) == analysis_document(run([path]))


def test_false_boundary_in_the_parents_ranges_falls_back(
    bench_mix: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parent's own ranges end at a false boundary: the records it fed stand, the single
    reader reads the rest (same document, same warnings)."""
    path = str(bench_mix["pcap"])
    split = plan_split(path, 4)
    assert split is not None
    (a, b), (_, c) = split.ranges[:2]
    forged = type(split)(path, split.prefix, [(a, b + 7), (b + 7, c), *split.ranges[2:]])
    monkeypatch.setattr("analyzer.run.jobs.plan_split", lambda *_: forged)
    assert analysis_document(run([path], jobs=2)) == analysis_document(run([path]))


def test_truncated_capture_keeps_the_single_run_warnings(
    tmp_path: Path, bench_mix: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A capture cut inside its last record: same frames, warning text and byte offset."""
    data = bench_mix["pcap"].read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) - 5])
    one, two = _both(cut, monkeypatch)
    assert one["captures"][0]["truncated"]
    assert two == one


def test_pcap_check_rejects_garbage(tmp_path: Path) -> None:
    """Random bytes after a pcap header give no split."""
    f = tmp_path / "junk.pcap"
    f.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 127) + b"\xff" * (3 << 20))
    assert plan_split(str(f), 4) is None


class _CountingFile:
    """A file object that counts the bytes read through it."""

    def __init__(self, f: object) -> None:
        self._f, self.read_bytes = f, 0

    def seek(self, pos: int) -> int:
        return self._f.seek(pos)  # type: ignore[attr-defined]

    def read(self, n: int) -> bytes:
        data = self._f.read(n)  # type: ignore[attr-defined]
        self.read_bytes += len(data)
        return data


def test_a_cut_reads_kilobytes_not_the_whole_search_window(bench_mix: dict[str, Path]) -> None:
    path = bench_mix["pcap"]
    with open(path, "rb") as raw:
        f = _CountingFile(raw)
        layout = analyzer.run.jobs._pcap_layout(f, f.read(4))
        split = analyzer.run.jobs._split(str(path), f, path.stat().st_size, 8, layout)
    assert split is not None and len(split.ranges) >= 8
    cuts = len(split.ranges) - 1
    assert f.read_bytes < cuts * (analyzer.run.jobs.SEARCH_BYTES // 4)


def test_a_boundary_past_the_first_window_is_found(tmp_path: Path) -> None:
    """Records longer than the first search window (jumbo frames): the cut is still a record
    boundary, found in the second, larger window."""
    big = analyzer.run.jobs.FIRST_SEARCH_BYTES + 4096
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 105)
    records = [struct.pack("<IIII", 1_700_000_000 + n, 0, big, big) + bytes([n % 251]) * big
               for n in range(40)]  # fmt: skip
    path = tmp_path / "jumbo.pcap"
    path.write_bytes(header + b"".join(records))
    split = plan_split(str(path), 4, min_bytes=0)
    assert split is not None and len(split.ranges) >= 3
    starts = {24 + k * (16 + big) for k in range(40)}
    assert all(a in starts for a, _ in split.ranges)
