"""Benchmark: our decode path against tshark on the same generated capture, as ratios.

Usage: python bench/bench.py [--frames 1000000] [--keep]
Generates a bench_mix capture with the scenario builder, then runs, each in its own process:
  decode   - read + prefilter + decode every relevant frame (no output)
  jobs1    - `roam-analyzer analyze --format json --jobs 1` end to end (one core)
  jobs2    - the same with --jobs 2 (analyzer.parallel: two worker processes)
  tshark   - `tshark -T fields` extracting the same management/EAPOL fields
and prints frames/s and peak RSS of each, and the ratios to tshark.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TSHARK_FIELDS = (
    "frame.number",
    "wlan.fc.type_subtype",
    "wlan.fc.retry",
    "wlan.sa",
    "wlan.da",
    "wlan.bssid",
    "eapol.type",
    "wlan_rsna_eapol.keydes.msgnr",
    "eap.code",
    "wlan.pmkid.akms",
    "wlan.rsn.ie.pmkid",
    "wlan.ssid",
)

DECODE_ONLY = """
import sys
from analyzer.capture import open_capture
from analyzer.dot11 import decode, peek
n = 0
for rec in open_capture(sys.argv[1]):
    if peek(rec.linktype, rec.data) >= 0 and decode(rec) is not None:
        n += 1
print(n)
"""


def measure(argv: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        raise SystemExit(f"{argv[0]} failed with status {status}")
    return elapsed, usage.ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated capture")
    parser.add_argument("--no-tshark", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="roam-bench-"))
    capture = workdir / "bench.pcap"
    from analyzer.simulate.library import simulate

    t0 = time.perf_counter()
    simulate("bench_mix", str(capture), fmt="pcap", frames=args.frames)
    size_mb = capture.stat().st_size / 1e6
    print(f"generated {args.frames} frames ({size_mb:.0f} MB) in {time.perf_counter() - t0:.1f} s")
    runs = {
        "decode": [sys.executable, "-c", DECODE_ONLY, str(capture)],
    }
    for jobs in (1, 2):
        runs[f"jobs{jobs}"] = [sys.executable, "-m", "analyzer", "analyze", "--format", "json",
                               "--quiet", "--jobs", str(jobs), str(capture)]
    runs["analyze"] = runs["jobs1"]
    tshark = shutil.which("tshark")
    if tshark and not args.no_tshark:
        fields = [a for f in TSHARK_FIELDS for a in ("-e", f)]
        runs["tshark"] = [tshark, "-r", str(capture), "-n", "-T", "fields", *fields]
    results = {name: measure(argv) for name, argv in runs.items() if name != "analyze"}
    results["analyze"] = results["jobs1"]
    print(f"{'run':<8} {'seconds':>8} {'frames/s':>12} {'peak RSS MiB':>13}")
    for name, (secs, rss) in results.items():
        print(f"{name:<8} {secs:8.2f} {args.frames / secs:12,.0f} {rss / 1024:13.1f}")
    if "tshark" in results:
        t_secs, t_rss = results["tshark"]
        for name in ("decode", "analyze"):
            secs, rss = results[name]
            print(f"{name} vs tshark: {t_secs / secs:.1f}x faster, {rss / t_rss:.2f}x the memory")
    print(f"jobs2 vs jobs1: {results['jobs1'][0] / results['jobs2'][0]:.2f}x")
    if not args.keep:
        shutil.rmtree(workdir)
    else:
        print(f"capture kept at {capture}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
