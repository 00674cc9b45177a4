"""The benchmark's runs must do the work they are named for: `walk` (the floor the speed goals
are compared with) steps over every record, `decode` and `lean` see every relevant frame."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.capture.writer import write_capture
from analyzer.dot11 import decode, peek
from analyzer.simulate.bench import bench_mix

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench.py"


def _script(name: str) -> str:
    spec = importlib.util.spec_from_file_location("bench", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def _count(script: str, path: Path) -> int:
    out = subprocess.run([sys.executable, "-c", _script(script), str(path)],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return int(out.stdout)


@pytest.fixture(scope="module")
def mix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "mix.pcap"
    write_capture(path, list(bench_mix(30_000, seed=5)), fmt="pcap")
    return path


def test_walk_floor_counts_every_record_across_its_read_chunks(mix: Path) -> None:
    assert mix.stat().st_size > 8 << 20  # records straddle the walk's 8 MiB reads
    assert _count("WALK_ONLY", mix) == sum(1 for _ in open_capture(str(mix))) == 30_000


def test_decode_and_lean_runs_see_every_relevant_frame(mix: Path) -> None:
    relevant = sum(1 for r in open_capture(str(mix))
                   if peek(r.linktype, r.data) >= 0 and decode(r) is not None)  # fmt: skip
    assert relevant > 20_000
    assert _count("DECODE_ONLY", mix) == _count("LEAN_DECODE", mix) == relevant
