"""Sensors on two channels, built from one scenario's frames (the single-sensor truth).

The scenario lasts about 45 s so that clock drift matters: 50 ppm over it is more than 2 ms,
twenty times the 100 µs the merged latencies must stay within."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from analyzer.capture.writer import write_capture
from analyzer.simulate import Scenario
from analyzer.simulate.frames import RADIOTAP_LEN

OLD_MHZ, NEW_MHZ = 5300, 5260
SKEW_NS = 2_500_000_000
DRIFT_PPM = 50
C_SKEW_NS, C_DRIFT_PPM = -1_200_000_000, -30  # the third sensor of the chained case
BEACON = 0x80
FAR_DBM = -85  # radiotap dBm antenna signal, offset 22
DATA = 1800  # data frames per stay on an AP: about 20 s

Frames = list[tuple[int, bytes]]
Shared = Callable[[int, bytes], bool]


def scenario(seed: int = 3) -> Scenario:
    """A station connects on 5300 MHz, stays 20 s, roams to 5260 MHz, stays 20 s, and roams
    back; both APs beacon throughout."""
    sc = Scenario(seed=seed, nanosecond=True)
    sc.ap("ap1", "00:1f:f3:c0:89:0f", "lab", OLD_MHZ, akm="psk", passphrase="correct horse")
    sc.ap("ap2", "00:1f:f3:c0:89:1f", "lab", NEW_MHZ, akm="psk", passphrase="correct horse")
    sc.sta("c", "02:00:00:00:00:01")
    sc.beacons("ap1", 450).beacons("ap2", 450)
    sc.connect("c", "ap1").data("c", DATA).roam("c", "ap2").data("c", DATA)
    sc.roam("c", "ap1").data("c", 40)
    return sc


def freq_mhz(data: bytes) -> int:
    return int(struct.unpack_from("<H", data, 18)[0])


def is_beacon(data: bytes) -> bool:
    return data[RADIOTAP_LEN] == BEACON


def split(frames: Frames, shared: Shared) -> tuple[Frames, Frames]:
    """Sensor A: 5300 MHz plus the shared frames; sensor B: 5260 MHz plus the shared ones."""
    a = [(ts, d) for i, (ts, d) in enumerate(frames) if freq_mhz(d) == OLD_MHZ or shared(i, d)]
    b = [(ts, d) for i, (ts, d) in enumerate(frames) if freq_mhz(d) == NEW_MHZ or shared(i, d)]
    return a, b


def on_clock(frames: Iterable[tuple[int, bytes]], start_ns: int, skew_ns: int,
             ppm: int) -> Iterator[tuple[int, bytes]]:
    """A sensor whose clock is `skew_ns` ahead at `start_ns` and runs `ppm` fast."""
    for ts, data in frames:
        yield ts + skew_ns + (ts - start_ns) * ppm // 1_000_000, data


def faint(frames: Frames, home_mhz: int) -> Iterator[tuple[int, bytes]]:
    """Frames from the other channel are heard weakly."""
    for ts, data in frames:
        if freq_mhz(data) != home_mhz:
            data = data[:22] + struct.pack("<b", FAR_DBM) + data[23:]
        yield ts, data


def skewed(frames: Frames, start_ns: int) -> Iterator[tuple[int, bytes]]:
    """Sensor B's clock: +2.5 s, running 50 ppm fast; B hears the 5300 MHz AP weakly."""
    return on_clock(faint(frames, NEW_MHZ), start_ns, SKEW_NS, DRIFT_PPM)


def some_shared(i: int, data: bytes) -> bool:
    return is_beacon(data) or i % 4 == 0


def write_sensors(
    tmp: Path, shared: Shared = some_shared, seed: int = 3
) -> tuple[Path, Path, Path, Scenario]:
    """(single-sensor truth, sensor A, sensor B with its skewed clock, the scenario)."""
    sc = scenario(seed)
    frames = list(sc.frames())
    full, a_path, b_path = tmp / "full.pcap", tmp / "a.pcap", tmp / "b.pcap"
    write_capture(full, frames)
    a, b = split(frames, shared)
    write_capture(a_path, a)
    write_capture(b_path, skewed(b, frames[0][0]))
    return full, a_path, b_path, sc


def write_chain(tmp: Path, seed: int = 3) -> tuple[Path, list[Path], Scenario]:
    """Three sensors: A hears 5300 MHz, C 5260 MHz, B a share of both. A and C have no frame
    in common; B's clock is +2.5 s and 50 ppm fast, C's -1.2 s and 30 ppm slow."""
    sc = scenario(seed)
    frames = list(sc.frames())
    start = frames[0][0]
    full = tmp / "full.pcap"
    write_capture(full, frames)
    a = [(ts, d) for ts, d in frames if freq_mhz(d) == OLD_MHZ]
    b = [(ts, d) for i, (ts, d) in enumerate(frames) if some_shared(i, d)]
    c = [(ts, d) for ts, d in frames if freq_mhz(d) == NEW_MHZ]
    paths = [tmp / "a.pcap", tmp / "b.pcap", tmp / "c.pcap"]
    write_capture(paths[0], a)
    write_capture(paths[1], on_clock(b, start, SKEW_NS, DRIFT_PPM))
    write_capture(paths[2], on_clock(c, start, C_SKEW_NS, C_DRIFT_PPM))
    return full, paths, sc
