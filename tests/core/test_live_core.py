"""`live -i` with the compiled core (analyzer._core LiveCore) against Engine.record, the
reference: the same roams and findings in the same order, the same summary, channels heard
and counters, on the records the kernel filter would pass (cut data frames with
--data-latency), from every library scenario, the benchmark mix, real captures and damaged
frames. The socket side (recvmmsg) is exercised by tests/live/test_live_tap.py."""

from __future__ import annotations

import contextlib
import io
import json
import random
from pathlib import Path
from typing import Any

import pytest

from analyzer import _core
from analyzer.capture import RawRecord, open_capture
from analyzer.capture.live import InterfaceStats, bpf_program
from analyzer.report.live import JsonLines
from analyzer.run import live
from analyzer.run.engine import _collect, count_malformed
from tests.conftest import public_capture_params
from tests.live.bpf import run_bpf

needs_core = pytest.mark.skipif(
    not _core.available(), reason=f"compiled core not built ({_core.why_missing()})"
)


def compiled_core() -> Any:
    """The compiled module, whichever path the environment selects (the suite also runs
    with ROAM_ANALYZER_PURE=1)."""
    before = _core.pure()
    _core.set_pure(False)
    try:
        return _core.core()
    finally:
        _core.set_pure(before)


Frames = list[tuple[int, bytes]]  # (time, radiotap frame)


def kernel_records(frames: Frames, data_headers: bool) -> list[RawRecord]:
    """What the socket gives for these frames: the filter's cut, numbered from 1."""
    program = bpf_program(data_headers)
    out = []
    for ts, data in frames:
        snap = run_bpf(program, data)
        if snap:
            out.append(RawRecord(len(out) + 1, ts, 127, data[:snap], 0, len(data)))
    return out


def live_output(records: list[RawRecord], compiled: bool,
                data_latency: bool) -> tuple[list[dict], int]:
    """Every line `live --format jsonl` writes for these records (the run's duration aside),
    and how many records the compiled core's tables took."""
    stats = live.LiveStats([InterfaceStats("mon0", 127)])
    out = io.StringIO()
    output = JsonLines(out)
    options = live.LiveOptions(interfaces=["mon0"], data_latency=data_latency)
    hear = live._hear(stats)
    engine = live._engine(options, stats, output, None, [] if compiled else [hear])
    tabled = 0
    if compiled:
        feed = compiled_core().LiveCore(engine, hear, _collect, count_malformed)
        assert feed.records(records) == len(records)
        tabled = feed.tabled
    else:
        for rec in records:
            engine.record(rec.interface, rec)
    analysis = engine.finish()
    counters = (engine.tracker.frames, engine.tracker.acks, dict(analysis.inventory.counts))
    summary = stats.to_dict()
    del summary["duration_s"]
    with contextlib.redirect_stderr(io.StringIO()):
        output.close(analysis, summary)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    return [*lines, {"channels": sorted(stats.channels), "counters": repr(counters)}], tabled


def assert_same(frames: Frames, data_latency: bool = True) -> tuple[list[dict], float]:
    """The lines both write, and the share of the records the tables took."""
    records = kernel_records(frames, data_latency)
    pure, _ = live_output(records, False, data_latency)
    core, tabled = live_output(records, True, data_latency)
    assert core == pure
    return pure, tabled / max(1, len(records))


def _radiotap(path: Path) -> Frames:
    with open_capture(path) as cap:
        return [(r.ts_ns, r.data) for r in cap if r.linktype == 127]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> list[Frames]:
    """Every scenario of `simulate --list` (bench mixes at 30 k frames)."""
    from analyzer.simulate.library import SCENARIOS, simulate

    out = tmp_path_factory.mktemp("library")
    frames = []
    for name in SCENARIOS:
        path = out / f"{name}.pcap"
        simulate(name, path, fmt="pcap", frames=30_000)
        frames.append(_radiotap(path))
    return frames


@needs_core
@pytest.mark.parametrize("data_latency", [True, False])
def test_live_core_is_engine_record_on_every_library_scenario(
    library: list[Frames], data_latency: bool
) -> None:
    roams = 0
    for frames in library:
        lines, _ = assert_same(frames, data_latency)
        roams += sum(1 for line in lines if line.get("type") == "roam")
    assert roams > 10


@needs_core
def test_live_core_takes_the_benchmark_mix_as_engine_record() -> None:
    from analyzer.simulate.bench import bench_mix

    lines, tabled = assert_same(list(bench_mix(60_000)))
    assert any(line.get("type") == "roam" for line in lines)
    assert tabled > 0.9  # the data frames cut to their headers, ACKs, beacons


@needs_core
@pytest.mark.public
@pytest.mark.parametrize("path", public_capture_params(), ids=lambda p: getattr(p, "name", p))
def test_live_core_is_engine_record_on_real_captures(path: Path) -> None:
    frames = _radiotap(path)
    if not frames:
        pytest.skip("no radiotap frames")
    assert_same(frames[:50_000])


@needs_core
def test_live_core_is_engine_record_on_damaged_frames(library: list[Frames]) -> None:
    """Flipped bytes in radiotap, headers and bodies: FCS mismatches, malformed frames,
    stations and BSSIDs that change under the tables."""
    rng = random.Random(18)
    for frames in library[:6]:
        damaged = list(frames)
        for i in rng.sample(range(len(damaged)), min(len(damaged) // 20, 2000)):
            ts, data = damaged[i]
            buf = bytearray(data)
            for _ in range(rng.randint(1, 3)):
                buf[rng.randrange(len(buf))] = rng.randrange(256)
            damaged[i] = ts, bytes(buf)
        assert_same(damaged)
