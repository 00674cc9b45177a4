"""Long fuzz campaigns with the seeded mutator: frames through `decode`, files through the
pipeline. Every input runs under a hang guard; any exception, slow input or hang is counted
and the input saved for replay.

    python -m fuzz.campaign --frames 1000000 --files 10000 --cli 500 --jobs 2
    python -m fuzz.campaign --replay fuzz/findings/frame-127-....bin
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from fuzz import corpus
from fuzz.mutate import mutate_capture, mutate_frame
from fuzz.targets import LINKTYPES, CoreDifference, FrameTarget, run_cli, run_file

MAX_SAMPLES = 20


class Hang(Exception):
    """An input ran past the hang guard."""


@dataclass
class Stats:
    kind: str
    inputs: int = 0
    exceptions: int = 0
    hangs: int = 0
    differences: int = 0  # the compiled core disagreed with the pure path
    slow: int = 0  # inputs over the slow threshold
    max_s: float = 0.0
    seconds: float = 0.0
    samples: list[str] = field(default_factory=list)

    def merge(self, other: Stats) -> None:
        self.inputs += other.inputs
        self.exceptions += other.exceptions
        self.hangs += other.hangs
        self.differences += other.differences
        self.slow += other.slow
        self.max_s = max(self.max_s, other.max_s)
        self.seconds = max(self.seconds, other.seconds)
        self.samples += other.samples[: MAX_SAMPLES - len(self.samples)]


@dataclass(frozen=True)
class Job:
    kind: str  # "frames" | "files" | "cli"
    seed: int
    count: int
    root: str
    findings: str
    slow_s: float
    hang_s: float


def _on_alarm(_signum: int, _frame: object) -> None:
    raise Hang


@contextmanager
def guard(seconds: float) -> Iterator[None]:
    """Raise Hang in the input that runs past `seconds` (main thread, POSIX)."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _record(stats: Stats, job: Job, name: str, data: bytes, exc: BaseException) -> None:
    if isinstance(exc, Hang):
        stats.hangs += 1
    elif isinstance(exc, CoreDifference):
        stats.differences += 1
    else:
        stats.exceptions += 1
    if len(stats.samples) >= MAX_SAMPLES:
        return
    path = Path(job.findings) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    last = traceback.format_exception(exc)[-1].strip()
    stats.samples.append(f"{path}: {type(exc).__name__}: {last}")


def _timed(stats: Stats, job: Job, start: float) -> None:
    took = time.perf_counter() - start
    stats.max_s = max(stats.max_s, took)
    stats.slow += took > job.slow_s


def frames_job(job: Job) -> Stats:
    rng = random.Random(job.seed)
    seeds = corpus.load_frames(Path(job.root))
    target, stats, ts = FrameTarget(), Stats("frames"), 1_600_000_000 * 10**9
    begin = time.perf_counter()
    for i in range(1, job.count + 1):
        linktype, data = rng.choice(seeds)
        data = mutate_frame(rng, data, rng.choice(seeds)[1])
        if rng.random() < 0.05:
            linktype = rng.choice(LINKTYPES)
        ts += rng.choice((1, 1000, 10**6, 10**9, 10**10))
        start = time.perf_counter()
        try:
            with guard(job.hang_s):
                target(i, ts, linktype, data, rng.random() < 0.5)
        except Exception as exc:  # noqa: BLE001 - the point is to catch everything
            target.reset()
            _record(stats, job, f"frame-{linktype}-{job.seed}-{i}.bin", data, exc)
        _timed(stats, job, start)
        stats.inputs += 1
    stats.seconds = time.perf_counter() - begin
    return stats


def files_job(job: Job) -> Stats:
    rng = random.Random(job.seed)
    root = Path(job.root)
    blobs = corpus.load_files(root)
    frames = [data for _lt, data in corpus.load_frames(root)]
    stats = Stats("files")
    begin = time.perf_counter()
    for i in range(1, job.count + 1):
        blob = mutate_capture(rng, rng.choice(blobs), frames)
        start = time.perf_counter()
        try:
            with guard(job.hang_s):
                run_file(blob, render_text=i % 50 == 0, core=True)
        except Exception as exc:  # noqa: BLE001
            _record(stats, job, f"file-{job.seed}-{i}.bin", blob, exc)
        _timed(stats, job, start)
        stats.inputs += 1
    stats.seconds = time.perf_counter() - begin
    return stats


def cli_job(job: Job) -> Stats:
    """Mutated captures through the command line: analyze --jobs 1 vs --jobs 2, merge, and
    every 20th through report (fuzz.targets.run_cli)."""
    import tempfile

    rng = random.Random(job.seed)
    root = Path(job.root)
    blobs = corpus.load_files(root)
    frames = [data for _lt, data in corpus.load_frames(root)]
    stats = Stats("cli")
    begin = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fuzz-cli-") as work:
        for i in range(1, job.count + 1):
            blob = mutate_capture(rng, rng.choice(blobs), frames)
            start = time.perf_counter()
            try:
                with guard(job.hang_s):
                    run_cli(blob, Path(work), report=i % 20 == 0)
            except Exception as exc:  # noqa: BLE001
                _record(stats, job, f"cli-{job.seed}-{i}.bin", blob, exc)
            _timed(stats, job, start)
            stats.inputs += 1
    stats.seconds = time.perf_counter() - begin
    return stats


def _run(job: Job) -> Stats:
    runs = {"frames": frames_job, "files": files_job, "cli": cli_job}
    return runs[job.kind](job)


def campaign(args: argparse.Namespace) -> dict[str, Stats]:
    root = str(corpus.build(Path(args.cache)))
    jobs = []
    for kind, total in (("frames", args.frames), ("files", args.files), ("cli", args.cli)):
        share, extra = divmod(total, args.jobs)
        for n in range(args.jobs):
            count = share + (n < extra)
            if count:
                seed = args.seed * 1000 + n + {"frames": 0, "files": 500, "cli": 700}[kind]
                jobs.append(Job(kind, seed, count, root, args.findings, args.slow, args.hang))
    totals = {"frames": Stats("frames"), "files": Stats("files"), "cli": Stats("cli")}
    # command-line inputs fork `--jobs 2` workers of their own: not from a (daemonic) pool
    # worker, so here, one after another; slow is their hang guard (a run is whole processes)
    cli = [replace(j, slow_s=j.hang_s) for j in jobs if j.kind == "cli"]
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        for stats in pool.imap_unordered(_run, [j for j in jobs if j.kind != "cli"]):
            totals[stats.kind].merge(stats)
    for job in cli:
        totals["cli"].merge(cli_job(job))
    return totals


def replay(path: Path) -> int:
    data = path.read_bytes()
    if path.name.startswith("frame-"):
        linktype = int(path.name.split("-")[1])
        target = FrameTarget()
        for fcs in (True, False):
            target(1, 1, linktype, data, fcs)
    else:
        run_file(data, render_text=True, core=True)
    print(f"{path}: no exception")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.campaign", description=__doc__)
    parser.add_argument("--frames", type=int, default=100_000, help="mutated frames")
    parser.add_argument("--files", type=int, default=1_000, help="mutated capture files")
    parser.add_argument("--cli", type=int, default=0,
                        help="mutated captures through the command line (analyze --jobs 1 "
                        "and 2, merge, report)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", default=str(corpus.DEFAULT_CACHE), help="corpus directory")
    parser.add_argument("--findings", default="fuzz/findings", help="where failing inputs go")
    parser.add_argument("--slow", type=float, default=1.0, help="slow-input threshold (s)")
    parser.add_argument("--hang", type=float, default=5.0, help="hang guard per input (s)")
    parser.add_argument("--replay", type=Path, help="run one saved input and show the error")
    args = parser.parse_args(argv)
    if args.replay is not None:
        return replay(args.replay)
    began = time.perf_counter()
    totals = campaign(args)
    report = {k: asdict(v) for k, v in totals.items()}
    report["wall_s"] = round(time.perf_counter() - began, 1)  # type: ignore[assignment]
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    bad = sum(s.exceptions + s.hangs + s.differences + s.slow for s in totals.values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
