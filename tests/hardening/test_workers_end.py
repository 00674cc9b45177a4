"""Workers end with their parent: no decoding worker outlives a stopped or killed `analyze`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analyzer.simulate.library import simulate
from bench.rss import tree

REPO = Path(__file__).resolve().parents[2]
WAIT_S = 60  # a bound on waiting, not a speed requirement


def children(pid: int) -> set[int]:
    """Every descendant of `pid` (Linux /proc)."""
    return tree(pid) - {pid}


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("workers") / "big.pcapng"
    simulate("bench-mix", path, fmt="pcapng", frames=300_000)
    return path


def _stop_and_watch(argv: list[str], least: int, sig: int) -> tuple[int | None, set[int]]:
    """Start `analyze`, wait for `least` descendants, send `sig` to it alone; return its exit
    code and the descendants still alive once it has gone."""
    proc = subprocess.Popen([sys.executable, "-m", "analyzer", *argv], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + WAIT_S
        while proc.poll() is None and time.monotonic() < deadline:
            seen |= children(proc.pid)
            if len(seen) >= least:
                break
            time.sleep(0.02)
        assert proc.poll() is None and len(seen) >= least, "the workers never started"
        proc.send_signal(sig)
        code = proc.wait(timeout=WAIT_S)
        deadline = time.monotonic() + WAIT_S
        while any(alive(p) for p in seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        return code, {p for p in seen if alive(p)}
    finally:
        proc.kill()
        for p in seen:
            if alive(p):
                os.kill(p, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
def test_no_jobs_worker_survives_its_parent(big: Path, sig: int) -> None:
    """On the pure path: with the compiled core one capture is read in one process."""
    code, left = _stop_and_watch(["--pure", "analyze", str(big), "--jobs", "2", "--quiet",
                                  "--format", "json"], 2, sig)
    assert left == set()
    assert code == -sig if sig == signal.SIGKILL else code == 128 + sig


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux /proc")
def test_no_dask_local_worker_survives_a_killed_client(big: Path) -> None:
    pytest.importorskip("distributed")
    code, left = _stop_and_watch(["analyze", str(big), "--dask", "local", "--quiet",
                                  "--format", "json"], 2, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert left == set()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux /proc")
def test_a_batch_stopped_by_sigterm_ends_its_pool_workers_at_once(big: Path) -> None:
    """`analyze DIR --jobs 2`: the pool's workers are killed, not waited for."""
    batch = big.parent / "batch"
    batch.mkdir(exist_ok=True)
    for n in range(3):
        target = batch / f"c{n}.pcapng"
        if not target.exists():
            os.link(big, target)
    code, left = _stop_and_watch(["analyze", str(batch), "--jobs", "2", "--quiet",
                                  "--format", "json"], 2, signal.SIGTERM)
    assert left == set()
    assert code == 128 + signal.SIGTERM

