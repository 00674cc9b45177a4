"""Several sensors: clock alignment, cross-sensor de-duplication, unaligned roams.

Each sensor (one capture) has its own clock. A frame heard by two sensors pins their clocks
together: the same beacon (same BSSID and TSF in its body) or the same non-retried frame (same
transmitter, sequence number and content hash). Least squares over those pairs gives each
sensor's offset and linear drift against the reference sensor (the first capture). Every table
here is bounded, so memory follows the number of sensors, not the size of the captures.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from analyzer.dot11.records import Beacon, Frame, Kind, MacHeader
from analyzer.roam.inventory import frame_roles
from analyzer.roam.records import Finding, Roam

MATCH_TABLE = 1 << 16  # keys remembered per sensor while pairing (a few seconds of skew)
COPY_WINDOW_NS = 20_000_000  # an aligned copy on another sensor arrives within this
COPY_TABLE = 1 << 16
TRANSMITTERS = 4096  # per sensor, for the RSSI/channel table
TIMELINE = 256  # recent frames per station, to tell which sensors an attempt spans
STATIONS = 4096
UNALIGNED = "UNALIGNED_LATENCY"


def match_key(frame: Frame) -> tuple[Any, ...] | None:
    """What identifies one transmission on every sensor that heard it, or None when the
    frame cannot pin two clocks (a retry, no sequence number, no body)."""
    header = frame.header
    if not isinstance(header, MacHeader) or header.addr2 is None or header.seq is None:
        return None
    body = frame.body
    if frame.kind == Kind.BEACON and isinstance(body, Beacon):
        return ("tsf", header.addr3, body.tsf)
    if header.retry or body is None:
        return None
    return ("seq", header.addr2, header.seq, header.frag or 0,
            hash((frame.kind, header.addr1, header.addr3, body)))


@dataclass(slots=True)
class _Pairs:
    """Exact integer sums of the pairs (u, v): u = sensor time, v = reference - sensor,
    both relative to the first pair so the sums stay small."""

    u0: int = 0
    v0: int = 0
    n: int = 0
    su: int = 0
    sv: int = 0
    suu: int = 0
    suv: int = 0
    svv: int = 0

    def add(self, ts_sensor: int, ts_ref: int) -> None:
        if self.n == 0:
            self.u0, self.v0 = ts_sensor, ts_ref - ts_sensor
        u, v = ts_sensor - self.u0, ts_ref - ts_sensor - self.v0
        self.n += 1
        self.su += u
        self.sv += v
        self.suu += u * u
        self.suv += u * v
        self.svv += v * v

    def fit(self) -> tuple[Fraction, Fraction, float]:
        """(c, d, rms residual in ns) of v = c + d * u by least squares."""
        n, su, sv = self.n, self.su, self.sv
        den = n * self.suu - su * su
        d = Fraction(n * self.suv - su * sv, den) if n > 1 and den else Fraction(0)
        c = (sv - d * su) / n
        sse = (self.svv - 2 * c * sv - 2 * d * self.suv + n * c * c
               + 2 * c * d * su + d * d * self.suu)
        return c, d, math.sqrt(max(float(sse), 0.0) / n)


@dataclass(frozen=True, slots=True)
class SensorClock:
    """One sensor's clock against the reference: reference_ts = ts + shift_ns + rate *
    (ts - at_ns). `status` is reference | aligned | override | unaligned."""

    sensor: int
    name: str
    status: str
    matched: int = 0
    at_ns: int = 0
    shift_ns: float = 0.0
    rate: float = 0.0
    residual_ns: float | None = None

    @property
    def aligned(self) -> bool:
        return self.status != "unaligned"

    @property
    def offset_s(self) -> float:
        """How far the sensor's clock is ahead of the reference (at `at_ns`)."""
        return 0.0 - self.shift_ns / 1e9

    @property
    def drift_ppm(self) -> float:
        """How much faster the sensor's clock runs than the reference's."""
        return (1.0 / (1.0 + self.rate) - 1.0) * 1e6

    def correct(self, ts_ns: int) -> int:
        """The reference clock's time for the sensor's `ts_ns`."""
        if self.status == "reference":
            return ts_ns
        return ts_ns + round(self.shift_ns + self.rate * (ts_ns - self.at_ns))

    def to_dict(self) -> dict[str, Any]:
        residual = self.residual_ns
        return {
            "sensor": self.sensor,
            "name": self.name,
            "status": self.status,
            "reference": self.status == "reference",
            "offset_s": round(self.offset_s, 9),
            "drift_ppm": round(self.drift_ppm, 3),
            "matched_frames": self.matched,
            "residual_us": None if residual is None else round(residual / 1000, 3),
        }


class ClockEstimator:
    """Pairs the frames two sensors both heard; `clocks()` fits each sensor to the reference.

    Fed in roughly time order (a merge by raw timestamps): a sensor whose clock is more than
    the span of MATCH_TABLE keys away from the reference finds no pairs."""

    def __init__(self, sensors: int, reference: int = 0, table: int = MATCH_TABLE) -> None:
        self.reference = reference
        self._limit = table
        self._tables: list[OrderedDict[tuple[Any, ...], int]] = [
            OrderedDict() for _ in range(sensors)
        ]
        self._pairs = [_Pairs() for _ in range(sensors)]

    def feed(self, sensor: int, frame: Frame) -> None:
        key = match_key(frame)
        if key is None:
            return
        table = self._tables[sensor]
        if key in table:
            return  # the same key twice on one sensor: ambiguous, the first one stands
        table[key] = frame.ts_ns
        if len(table) > self._limit:
            table.popitem(last=False)
        ref = self.reference
        if sensor != ref:
            ts_ref = self._tables[ref].get(key)
            if ts_ref is not None:
                self._pairs[sensor].add(frame.ts_ns, ts_ref)
            return
        for other, tab in enumerate(self._tables):
            ts = tab.get(key) if other != ref else None
            if ts is not None:
                self._pairs[other].add(ts, frame.ts_ns)

    def clocks(
        self, names: Sequence[str], overrides: Mapping[int, float] | None = None
    ) -> list[SensorClock]:
        overrides = overrides or {}
        return [self._clock(s, name, overrides.get(s)) for s, name in enumerate(names)]

    def _clock(self, sensor: int, name: str, override: float | None) -> SensorClock:
        pairs = self._pairs[sensor]
        if override is not None:
            return SensorClock(sensor, name, "override", pairs.n, shift_ns=-override * 1e9)
        if sensor == self.reference:
            return SensorClock(sensor, name, "reference", residual_ns=0.0)
        if pairs.n == 0:
            return SensorClock(sensor, name, "unaligned")
        c, d, rms = pairs.fit()
        return SensorClock(sensor, name, "aligned", pairs.n, pairs.u0,
                           float(pairs.v0 + c), float(d), rms)


def unaligned_clocks(names: Sequence[str], overrides: Mapping[int, float]) -> list[SensorClock]:
    """Clocks without an alignment pass (a stream that cannot be read twice)."""
    return ClockEstimator(len(names)).clocks(names, overrides)


def copy_key(frame: Frame) -> tuple[Any, ...] | None:
    header = frame.header
    if not isinstance(header, MacHeader) or header.addr2 is None or header.seq is None:
        return None
    return (header.addr2, header.seq, header.frag or 0, header.retry, frame.kind,
            header.addr1, header.addr3, hash(frame.body))


@dataclass(slots=True)
class Heard:
    """What one sensor heard of one transmitter: frames, last RSSI and channel."""

    frames: int = 0
    signal_dbm: int | None = None
    freq_mhz: int | None = None


@dataclass(slots=True)
class SensorStats:
    frames: int = 0  # relevant frames decoded from this sensor
    copies: int = 0  # of those, already heard by another sensor (not counted again)
    heard: OrderedDict[str, Heard] = field(default_factory=OrderedDict)


class CrossDedup:
    """A frame heard by several sensors counts once: the first copy goes on, the others are
    dropped. A sensor's n-th transmission of a key is a copy when another sensor already
    heard it at least n times, so retransmissions each count once too."""

    def __init__(self, sensors: int, window_ns: int = COPY_WINDOW_NS) -> None:
        self._window = window_ns
        self._seen: OrderedDict[tuple[Any, ...], tuple[int, list[int]]] = OrderedDict()
        self.stats = [SensorStats() for _ in range(sensors)]

    def keep(self, sensor: int, frame: Frame) -> bool:
        stats = self.stats[sensor]
        stats.frames += 1
        self._hear(stats, frame)
        key = copy_key(frame)
        if key is None:
            return True
        ts = frame.ts_ns
        self._expire(ts)
        entry = self._seen.get(key)
        if entry is None or ts - entry[0] > self._window:
            counts = [0] * len(self.stats)
            self._seen[key] = (ts, counts)
        else:
            counts = entry[1]
        mine = counts[sensor]
        counts[sensor] = mine + 1
        if any(c > mine for s, c in enumerate(counts) if s != sensor):
            stats.copies += 1
            return False
        return True

    def _expire(self, now: int) -> None:
        seen = self._seen
        while seen:
            ts, _ = next(iter(seen.values()))
            if now - ts <= self._window and len(seen) <= COPY_TABLE:
                return
            seen.popitem(last=False)

    @staticmethod
    def _hear(stats: SensorStats, frame: Frame) -> None:
        header, radio = frame.header, frame.radio
        if not isinstance(header, MacHeader) or header.addr2 is None:
            return
        heard = stats.heard.get(header.addr2)
        if heard is None:
            heard = stats.heard[header.addr2] = Heard()
            if len(stats.heard) > TRANSMITTERS:
                stats.heard.popitem(last=False)
        heard.frames += 1
        if radio is not None:
            heard.signal_dbm = radio.signal_dbm if radio.signal_dbm is not None \
                else heard.signal_dbm
            heard.freq_mhz = radio.freq_mhz or heard.freq_mhz


class Timeline:
    """Which sensors heard each station's recent frames, to find the attempts whose latencies
    span a sensor whose clock could not be aligned."""

    def __init__(self, clocks: Sequence[SensorClock]) -> None:
        self.clocks = list(clocks)
        self.needed = any(not c.aligned for c in clocks) and len(clocks) > 1
        self._by_sta: OrderedDict[str, deque[tuple[int, int]]] = OrderedDict()
        self.unaligned: list[Finding] = []

    def add(self, sensor: int, frame: Frame) -> None:
        sta, _bssid = frame_roles(frame)
        if sta is None:
            return
        line = self._by_sta.get(sta)
        if line is None:
            line = self._by_sta[sta] = deque(maxlen=TIMELINE)
            if len(self._by_sta) > STATIONS:
                self._by_sta.popitem(last=False)
        line.append((frame.ts_ns, sensor))

    def result(self, result: Roam | Finding) -> None:
        if not isinstance(result, Roam):
            return
        line = self._by_sta.get(result.sta, ())
        lo, hi = _span(result)
        sensors = {s for ts, s in line if lo <= ts <= hi}
        loose = sorted(s for s in sensors if not self.clocks[s].aligned)
        if len(sensors) < 2 or not loose:
            return
        names = ", ".join(self.clocks[s].name for s in loose)
        self.unaligned.append(Finding(
            UNALIGNED, "warning", result.frames[0] if result.frames else None, result.sta,
            result.to_bssid,
            f"attempt {result.id} spans sensors whose clocks could not be aligned ({names}): "
            "its latencies are unaligned", result.id,
        ))


def _span(roam: Roam) -> tuple[int, int]:
    """The attempt's time span, reaching back as far as its longest latency does (the data
    gap starts at the last data frame on the old AP, before the attempt)."""
    longest = max((v for v in roam.latency_ms.values() if v is not None), default=0.0)
    return min(roam.t_start_ns, roam.t_end_ns - round(longest * 1e6)), roam.t_end_ns


@dataclass(slots=True)
class SensorReport:
    """The `sensors` section of the analysis: clocks, de-duplication, unaligned attempts."""

    clocks: list[SensorClock]
    stats: list[SensorStats]
    unaligned_roams: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference": next((c.name for c in self.clocks if c.status == "reference"), None),
            "sensors": [
                _sensor_entry(c, s) for c, s in zip(self.clocks, self.stats, strict=True)
            ],
            "unaligned_roams": list(self.unaligned_roams),
        }


def _sensor_entry(clock: SensorClock, stats: SensorStats) -> dict[str, Any]:
    return {
        **clock.to_dict(),
        "frames": stats.frames,
        "copies": stats.copies,
        "heard": [
            {"ta": ta, "frames": h.frames, "signal_dbm": h.signal_dbm, "freq_mhz": h.freq_mhz}
            for ta, h in sorted(stats.heard.items())
        ],
    }


def no_common_frames(clock: SensorClock, reference: str) -> str:
    return (f"no frames in common with the reference sensor {reference}: clock not aligned "
            "(offset 0); latencies across sensors are marked unaligned")
