"""Two sensors on two channels, built from one scenario's frames (the single-sensor truth)."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from pathlib import Path

from analyzer.capture.writer import write_capture
from analyzer.simulate import Scenario
from analyzer.simulate.frames import RADIOTAP_LEN

OLD_MHZ, NEW_MHZ = 5300, 5260
SKEW_NS = 2_500_000_000
DRIFT_PPM = 50
BEACON = 0x80
FAR_DBM = -85  # radiotap dBm antenna signal, offset 22

Frames = list[tuple[int, bytes]]


def scenario(seed: int = 3) -> Scenario:
    """A station connects on 5300 MHz, roams to 5260 MHz and back; both APs beacon."""
    sc = Scenario(seed=seed, nanosecond=True)
    sc.ap("ap1", "00:1f:f3:c0:89:0f", "lab", OLD_MHZ, akm="psk", passphrase="correct horse")
    sc.ap("ap2", "00:1f:f3:c0:89:1f", "lab", NEW_MHZ, akm="psk", passphrase="correct horse")
    sc.sta("c", "02:00:00:00:00:01")
    sc.beacons("ap1", 40).beacons("ap2", 40)
    sc.connect("c", "ap1").data("c", 4).wait(400).roam("c", "ap2").data("c", 4)
    sc.wait(400).roam("c", "ap1").data("c", 4)
    return sc


def freq_mhz(data: bytes) -> int:
    return int(struct.unpack_from("<H", data, 18)[0])


def is_beacon(data: bytes) -> bool:
    return data[RADIOTAP_LEN] == BEACON


def split(frames: Frames, shared: Callable[[int, bytes], bool]) -> tuple[Frames, Frames]:
    """Sensor A: 5300 MHz plus the shared frames; sensor B: 5260 MHz plus the shared ones."""
    a = [(ts, d) for i, (ts, d) in enumerate(frames) if freq_mhz(d) == OLD_MHZ or shared(i, d)]
    b = [(ts, d) for i, (ts, d) in enumerate(frames) if freq_mhz(d) == NEW_MHZ or shared(i, d)]
    return a, b


def skewed(frames: Frames, start_ns: int) -> Iterator[tuple[int, bytes]]:
    """Sensor B's clock: +2.5 s, running 50 ppm fast; B hears the 5300 MHz AP weakly."""
    for ts, data in frames:
        if freq_mhz(data) != NEW_MHZ:  # heard from the other channel: weaker
            data = data[:22] + struct.pack("<b", FAR_DBM) + data[23:]
        yield ts + SKEW_NS + (ts - start_ns) * DRIFT_PPM // 1_000_000, data


def some_shared(i: int, data: bytes) -> bool:
    return is_beacon(data) or i % 4 == 0


def write_sensors(
    tmp: Path, shared: Callable[[int, bytes], bool] = some_shared, seed: int = 3
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
