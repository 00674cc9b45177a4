"""The parallel path of one capture gives exactly the single-process document."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.parallel import plan_split, read_chunk
from analyzer.pipeline import run
from analyzer.report.jsonout import analysis_document
from analyzer.simulate.library import simulate

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT.parent / "shared" / "pcaps" / "public"


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict, dict]:
    monkeypatch.setattr("analyzer.parallel.MIN_SPLIT_BYTES", 0)
    one = analysis_document(run([str(path)]))
    two = analysis_document(run([str(path)], jobs=2))
    return one, two


@pytest.fixture(scope="module")
def bench_mix(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("mix")
    paths = {fmt: out / f"mix.{fmt}" for fmt in ("pcap", "pcapng")}
    for fmt, path in paths.items():
        simulate("bench-mix", str(path), fmt=fmt, frames=100_000)
    return paths


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
    chunks = [read_chunk((str(path), split.prefix, a, b)) for a, b in split.ranges]
    assert not any(c.truncated or c.warnings for c in chunks)
    with open_capture(str(path)) as cap:
        total = sum(1 for _ in cap)
    assert sum(c.frames for c in chunks) == total
    assert [a for a, _ in split.ranges[1:]] == [b for _, b in split.ranges[:-1]]


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
    monkeypatch.setattr("analyzer.parallel.plan_split", lambda *_: forged)
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
