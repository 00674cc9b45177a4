"""Benchmark: peak memory under a flood of random station MACs (goal: < 150 MB at 1 M).

Usage: python bench/flood.py [--macs 1000000] [--seconds 100] [--keep]
Writes a capture where every frame comes from a new locally administered MAC: Probe Requests
(MAC randomisation), Open System Authentication requests and Association Requests offering a
random PMKID, never answered (half-open attempts), data frames to a few BSSIDs, and beacons
from random BSSIDs. Then, each in its own process, measures peak RSS (ru_maxrss) of:
  file - `analyzer.run.dispatch.run` on the file, every roam and finding kept in the Analysis
  live - the same records streamed through decode and the tracker, results handed on
         one at a time (as the live interface does), nothing kept
"""

from __future__ import annotations

import argparse
import json
import random
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RADIOTAP = bytes.fromhex("0000080000000000")
BSSIDS = [bytes.fromhex(f"0a00000000{n:02x}") for n in range(4)]
BROADCAST = b"\xff" * 6
# SSID "free", then an RSNE (CCMP, 802.1X) announcing one PMKID: the PMKID's 16 bytes follow
ASSOC_ELEMENTS = bytes.fromhex("000466726565" "3026" "0100000fac04" "0100000fac04" "0100000fac01"
                               "0000" "0100")

MEASURE = """
import json, resource, sys, time
from analyzer.roam.caps import MAX_STATIONS
mode, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if mode == "file":
    from analyzer.run.dispatch import run
    from analyzer.roam.tracker import Tracker
    tracker = Tracker()
    analysis = run([path], tracker=tracker)
    frames = analysis.captures[0].info.frames
    roams, findings = len(analysis.roams), len(analysis.findings)
    pmkids = [len(analysis.inventory.pmkids), analysis.inventory.pmkids_dropped]
else:
    from analyzer.capture import open_capture
    from analyzer.dot11 import decode, peek
    from analyzer.roam.records import Roam
    from analyzer.roam.tracker import Tracker
    tracker = Tracker()
    roams = findings = frames = 0
    pmkids = None
    def hand_on(results):
        global roams, findings
        for r in results:
            if isinstance(r, Roam):
                roams += 1
            else:
                findings += 1
    with open_capture(path) as cap:
        for rec in cap:
            frames += 1
            if peek(rec.linktype, rec.data) < 0:
                continue
            item = decode(rec)
            if item is not None:
                hand_on(tracker.feed(item))
    hand_on(tracker.finish())
print(json.dumps({
    "mode": mode, "frames": frames, "seconds": round(time.perf_counter() - start, 1),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "active_stations": tracker.active_stations, "station_cap": MAX_STATIONS,
    "evicted": tracker.caps.evicted, "roams": roams, "findings": findings,
    "pmkids_listed_dropped": pmkids,
}))
"""


def random_mac(rng: random.Random) -> bytes:
    mac = bytearray(rng.randbytes(6))
    mac[0] = (mac[0] | 0x02) & 0xFE  # locally administered, unicast
    return bytes(mac)


def mgmt(subtype: int, da: bytes, sa: bytes, bssid: bytes, seq: int) -> bytes:
    return RADIOTAP + struct.pack("<HH6s6s6sH", subtype << 4, 0, da, sa, bssid, seq << 4)


def flood_frames(macs: int, seconds: float, seed: int, only: str = "mix"
                 ) -> Iterator[tuple[int, bytes]]:
    """The mix below, or (`only="assoc"`) Association Requests alone (issue 16's flood)."""
    rng = random.Random(seed)
    step = int(seconds * 1e9 / macs)
    ts = 1_700_000_000 * 10**9
    for i in range(macs):
        mac, seq, roll = random_mac(rng), i & 0xFFF, (6 if only == "assoc" else i % 10)
        if roll < 4:  # Probe Request, wildcard SSID
            frame = mgmt(4, BROADCAST, mac, BROADCAST, seq) + b"\x00\x00"
        elif roll < 6:  # Authentication request nobody answers
            bssid = BSSIDS[i % len(BSSIDS)]
            frame = mgmt(11, bssid, mac, bssid, seq) + struct.pack("<HHH", 0, 1, 0)
        elif roll < 7:  # Association Request offering a random PMKID, never answered
            bssid = BSSIDS[i % len(BSSIDS)]
            frame = mgmt(0, bssid, mac, bssid, seq) + struct.pack("<HH", 0x0011, 10)
            frame += ASSOC_ELEMENTS + rng.randbytes(16)
        elif roll < 9:  # data, ToDS, from a station never seen associating
            bssid = BSSIDS[i % len(BSSIDS)]
            header = struct.pack("<HH6s6s6sH", 0x0108, 0, bssid, mac, bssid, seq << 4)
            frame = RADIOTAP + header + bytes(20)
        else:  # beacon from a random BSSID
            fixed = struct.pack("<QHH", 0, 100, 0x0011) + b"\x00\x04free"
            frame = mgmt(8, BROADCAST, mac, mac, seq) + fixed
        ts += step
        yield ts, frame


def write_flood(path: Path, macs: int, seconds: float, seed: int, only: str = "mix") -> None:
    sys.path.insert(0, str(REPO))
    from analyzer.capture.writer import PcapWriter

    with path.open("wb") as f:
        writer = PcapWriter(f, 127)
        for ts, frame in flood_frames(macs, seconds, seed, only):
            writer.write(ts, frame)
        writer.flush()


def write_malformed(path: Path, frames: int) -> None:
    """`frames` radiotap frames each malformed for a reason of its own (the it_len and the
    frame length vary): distinct `malformed_reasons` by the million."""
    sys.path.insert(0, str(REPO))
    from analyzer.capture.writer import PcapWriter

    with path.open("wb") as f:
        writer = PcapWriter(f, 127)
        for n in range(frames):
            it_len, pad = 60 + n % 65_000, n // 65_000
            head = struct.pack("<BBHI", 0, 0, it_len, 0)
            writer.write(1_700_000_000 * 10**9 + n * 1000, head + b"\x80\0" + bytes(22 + pad))


def measure(mode: str, path: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, mode, str(path)],
        check=True, capture_output=True, text=True, cwd=REPO,
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--macs", type=int, default=1_000_000, help="frames, one new MAC each")
    parser.add_argument("--seconds", type=float, default=100.0, help="time the flood spans")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--modes", default="file,live")
    parser.add_argument("--keep", action="store_true", help="keep the capture (path printed)")
    parser.add_argument("--only", choices=("mix", "assoc"), default="mix",
                        help="assoc: forged Association Requests only")
    parser.add_argument("--write", metavar="FILE", help="only write the capture there")
    args = parser.parse_args()
    if args.write:
        write_flood(Path(args.write), args.macs, args.seconds, args.seed, args.only)
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="flood-"))
    path = tmp / "flood.pcap"
    began = time.perf_counter()
    write_flood(path, args.macs, args.seconds, args.seed, args.only)
    print(f"wrote {args.macs} frames ({path.stat().st_size >> 20} MiB) "
          f"in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    for mode in args.modes.split(","):
        print(json.dumps(measure(mode, path)))
    if args.keep:
        print(f"capture kept: {path}", file=sys.stderr)
    else:
        path.unlink()
        tmp.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())

