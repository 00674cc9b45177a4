"""Benchmark: `roam-analyzer live -i` under a burst through a radiotap TAP device.

Usage (root): python bench/live_bench.py [--rate 50000] [--seconds 5] [--data-latency]
Re-runs itself in a private network namespace (unshare -n), creates a TAP device with link
type radiotap, starts `live -i mon0 --format jsonl`, and writes a bench_mix capture into the
TAP at `rate` frames/s for `seconds`. Prints what was offered, what the live process received,
the kernel drops it reported, its CPU time (start-up included), and for each roam how long
after its last frame (kernel receive time, the roam's `t_end`) its JSON line reached us.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.simulate.bench import bench_mix  # noqa: E402
from tests.live.ns_run import IFACE, wait_bound  # noqa: E402
from tests.live.tap import Tap, why_not  # noqa: E402

MARK = "ROAM_LIVE_BENCH_NS"


def offer(tap: Tap, frames: list[bytes], rate: float) -> float:
    """Write frames at `rate`/s (checked every 64 frames); return the seconds it took."""
    write, step = tap.write, 1.0 / rate
    start = time.monotonic()
    for i in range(0, len(frames), 64):
        delay = start + i * step - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        for data in frames[i : i + 64]:
            write(data)
    return time.monotonic() - start


def read_lines(proc: subprocess.Popen[str], got: list[tuple[float, dict]]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        got.append((time.time(), json.loads(line)))


def bench(rate: float, seconds: float, data_latency: bool) -> dict:
    n = int(rate * seconds)
    frames = [data for _, data in bench_mix(n)]
    args = ["--data-latency"] if data_latency else []
    cmd = [sys.executable, "-m", "analyzer", "live", "-i", IFACE, "--format", "jsonl", *args]
    got: list[tuple[float, dict]] = []
    with Tap(IFACE) as tap:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        reader = threading.Thread(target=read_lines, args=(proc, got), daemon=True)
        reader.start()
        wait_bound(IFACE, proc)
        took = offer(tap, frames, rate)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
        reader.join(timeout=10)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the live process, reaped
    roams = [(at, d) for at, d in got if d["type"] == "roam" and d["kind"] == "roam"]
    delays = sorted((at - d["t_end"]) * 1000 for at, d in roams if d["t_end"])
    live = next(d for _, d in got if d["type"] == "summary")["live"]
    return {
        "offered": len(frames), "offered_per_s": round(len(frames) / took),
        "data_latency": data_latency, "received": live["frames_received"],
        "kernel_drops": live["kernel_drops"], "roams": len(roams),
        "live_cpu_s": {"user": round(usage.ru_utime, 2), "sys": round(usage.ru_stime, 2)},
        "print_delay_ms": {
            "median": round(delays[len(delays) // 2], 1) if delays else None,
            "max": round(delays[-1], 1) if delays else None,
            "all": [round(d, 1) for d in delays],
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=50_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--data-latency", action="store_true")
    args = parser.parse_args()
    if os.environ.get(MARK) != "1":
        reason = why_not()
        if reason is not None:
            print(f"live_bench: {reason}", file=sys.stderr)
            return 2
        env = {**os.environ, MARK: "1"}
        return subprocess.call(["unshare", "-n", sys.executable, __file__, *sys.argv[1:]],
                               env=env)
    print(json.dumps(bench(args.rate, args.seconds, args.data_latency), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
