"""Peak resident memory of a command and all its descendants, summed, sampled from /proc.

Usage: python bench/rss.py [--stdin FILE] -- COMMAND...
Prints one JSON line: exit code, peak of the tree's summed RSS, the largest single process's
peak, seconds. Linux only (reads /proc/PID/task/*/children and /proc/PID/status).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

SAMPLE_S = 0.02


def tree(pid: int) -> set[int]:
    found, todo = {pid}, [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                with open(f"/proc/{p}/task/{t}/children") as f:
                    kids = {int(k) for k in f.read().split()} - found
            except OSError:
                continue
            found |= kids
            todo.extend(kids)
    return found


def rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(argv: list[str], stdin: str | None = None) -> dict[str, object]:
    began = time.perf_counter()
    source = open(stdin, "rb") if stdin else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(argv, stdin=source, stdout=subprocess.DEVNULL)
    peak_sum = peak_one = 0
    while proc.poll() is None:
        sizes = [rss_kb(p) for p in tree(proc.pid)]
        peak_sum, peak_one = max(peak_sum, sum(sizes)), max(peak_one, max(sizes, default=0))
        time.sleep(SAMPLE_S)
    if stdin:
        source.close()  # type: ignore[union-attr]
    return {"exit": proc.returncode, "peak_tree_mb": round(peak_sum / 1024, 1),
            "peak_process_mb": round(peak_one / 1024, 1),
            "seconds": round(time.perf_counter() - began, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdin", help="feed this file on the command's stdin")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()
    print(json.dumps({"command": " ".join(args.command), **measure(args.command, args.stdin)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
