"""The benchmark's `walk` run is the floor the speed goals are compared with: it must really
step over every record of the capture, or the floor it reports would be too high."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from analyzer.capture import open_capture
from analyzer.capture.writer import write_capture
from analyzer.simulate.bench import bench_mix

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench.py"


def _walk_script() -> str:
    spec = importlib.util.spec_from_file_location("bench", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.WALK_ONLY


def test_walk_floor_counts_every_record_across_its_read_chunks(tmp_path: Path) -> None:
    path = tmp_path / "mix.pcap"
    write_capture(path, list(bench_mix(30_000, seed=5)), fmt="pcap")
    assert path.stat().st_size > 8 << 20  # records straddle the walk's 8 MiB reads
    expected = sum(1 for _ in open_capture(str(path)))
    out = subprocess.run([sys.executable, "-c", _walk_script(), str(path)],
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert int(out.stdout) == expected == 30_000
