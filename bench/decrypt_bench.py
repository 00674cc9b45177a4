"""Benchmark of the decryption pass (analyzer.decrypt): what keys cost.

Usage: python bench/decrypt_bench.py [--frames 1000000] [--session 40000] [--no-tshark]

1. bench_mix (--frames; beacons, data, control, a few dozen roams; PSK passphrase
   BENCH_PASSPHRASE): `analyze --jobs 1` without keys and with the key, each in its own
   process; the difference is the second pass (re-reading the file, peeking at the keyed
   stations' data frames, decrypting the first frames after each handshake).
2. A builder session whose every data frame is validly encrypted (a join, a roam with DHCP
   and ARP after it, then --session data frames and a PTK rekey inside protected frames): the
   pass bounded (what `analyze --key` does) against the same pass decrypting every frame
   (what `--decrypt-out` does), and tshark decrypting the file with the same key.
Prints seconds, frames/s and the pass's counters (peeked, decrypted).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASS_ONLY = """
import json, sys, time
from analyzer.capture import open_capture
from analyzer.config import load_keys
from analyzer.decrypt import DecryptPass
from analyzer.run.dispatch import run
keys = load_keys([sys.argv[2]])
roams = run([sys.argv[1]]).roams
t0 = time.perf_counter()
p = DecryptPass(roams, keys, everything=sys.argv[3] == "all")
with open_capture(sys.argv[1]) as records:
    p.run(records)
p.finish()
print(json.dumps({**p.stats.to_dict(), "wall": time.perf_counter() - t0}))
"""


def _timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if out.returncode not in (0, 3):
        raise SystemExit(f"{argv[:4]} failed: {out.stderr[-500:]}")
    return time.perf_counter() - t0, out.stdout


def _session(path: Path, n: int) -> str:
    from analyzer.simulate.scenario import Scenario

    sc = Scenario("pcapng", 7, acks=False)
    for name, bssid, chan in (("ap1", "00:1f:f3:c0:89:0f", 36), ("ap2", "00:19:e3:fb:eb:35", 44)):
        sc.ap(name, bssid, "lab", chan, akm="psk", passphrase="bench passphrase")
    sc.sta("s", "00:21:6a:5b:4c:3d")
    sc.wait(5).connect("s", "ap1").recover("s", dhcp="full").data("s", 20)
    sc.wait(50).roam("s", "ap2", first_data=False).recover("s", after_ms=20)
    sc.data("s", n, interval_ms=0.2).ptk_rekey("s").data("s", 100, interval_ms=0.2)
    sc.write(path)
    return "wpa-pwd:bench passphrase:lab"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1_000_000)
    parser.add_argument("--session", type=int, default=40_000)
    parser.add_argument("--no-tshark", action="store_true")
    args = parser.parse_args()
    from analyzer.simulate.bench import BENCH_PASSPHRASE, BENCH_SSID
    from analyzer.simulate.library import simulate

    work = Path(tempfile.mkdtemp(prefix="roam-decrypt-bench-"))
    try:
        mix = work / "mix.pcap"
        simulate("bench_mix", str(mix), fmt="pcap", frames=args.frames)
        base = [sys.executable, "-m", "analyzer", "analyze", "--format", "json", "--quiet",
                "--jobs", "1", str(mix)]
        plain, _ = _timed(base)
        keyed, _ = _timed([*base, "--key", f"wpa-pwd:{BENCH_PASSPHRASE}:{BENCH_SSID}"])
        _, stats = _timed([sys.executable, "-c", PASS_ONLY, str(mix),
                           f"wpa-pwd:{BENCH_PASSPHRASE}:{BENCH_SSID}", "bounded"])
        print(f"bench_mix {args.frames} frames: analyze {plain:.2f} s without keys, "
              f"{keyed:.2f} s with the key (+{(keyed / plain - 1) * 100:.0f} %)")
        print(f"  pass: {stats.strip()}")
        session = work / "session.pcapng"
        key = _session(session, args.session)
        for mode in ("bounded", "all"):
            _, out = _timed([sys.executable, "-c", PASS_ONLY, str(session), key, mode])
            s = json.loads(out)
            print(f"session ({s['records']} records, {s['protected']} protected) {mode}: "
                  f"{s['wall']:.2f} s, {s['records'] / s['wall']:,.0f} records/s, "
                  f"peeked {s['peeked']}, decrypted {s['decrypted']}")
        tshark = shutil.which("tshark")
        if tshark and not args.no_tshark:
            conf = work / "ws"
            conf.mkdir()
            (conf / "80211_keys").write_text('"wpa-pwd","bench passphrase:lab"\n')
            env = {**os.environ, "WIRESHARK_CONFIG_DIR": str(conf)}
            secs, out = _timed([tshark, "-n", "-r", str(session), "-o",
                                "wlan.enable_decryption:TRUE", "-Y", "wlan.analysis.tk",
                                "-T", "fields", "-e", "frame.number"], env)
            print(f"tshark decrypting the session: {secs:.2f} s, {len(out.split())} frames "
                  "with a TK")
    finally:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
