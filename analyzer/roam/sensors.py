"""Several sensors: clock alignment, cross-sensor de-duplication, unaligned roams.

Each sensor (one capture) has its own clock. A frame heard by two sensors pins their clocks
together: the same beacon (same BSSID and TSF in its body) or the same non-retried frame (same
transmitter, sequence number and content hash). Least squares over those pairs gives each
sensor's offset and linear drift against the reference sensor (the first capture), directly or
chained through sensors that heard frames of both. Every table here is bounded, so memory
follows the number of sensors, not the size of the captures.
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
# An ACK or a CTS has no transmitter and no sequence number: all ACKs to one receiver are
# alike, so a copy is told by time alone. Two ACKs to one receiver are at least a frame of
# that receiver, SIFS and the ACK apart (~100 us in a TXOP burst, IEEE 802.11-2020 10.3.2.9):
# within less than that, an ACK on another sensor is this one. A copy whose aligned time
# strays further (host timestamp jitter) is kept, written twice as before, rather than a
# distinct ACK being lost.
RESPONSE_WINDOW_NS = 100_000
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
class ClockMap:
    """One clock's times on another clock: t' = t + shift_ns + rate * (t - at_ns)."""

    at_ns: int = 0
    shift_ns: float = 0.0
    rate: float = 0.0
    residual_ns: float | None = 0.0

    def then(self, outer: ClockMap) -> ClockMap:
        """This map followed by `outer` (sensor -> neighbour -> reference)."""
        middle = self.at_ns + self.shift_ns  # our at_ns on the neighbour's clock
        shift = self.shift_ns + outer.shift_ns + outer.rate * (middle - outer.at_ns)
        rate = self.rate + outer.rate + self.rate * outer.rate
        return ClockMap(self.at_ns, shift, rate, _rss(self.residual_ns, outer.residual_ns))

    def inverse(self) -> ClockMap:
        return ClockMap(round(self.at_ns + self.shift_ns), -self.shift_ns,
                        1.0 / (1.0 + self.rate) - 1.0, self.residual_ns)


def _rss(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else math.hypot(a, b)


@dataclass(frozen=True, slots=True)
class SensorClock:
    """One sensor's clock against the reference: reference_ts = ts + shift_ns + rate *
    (ts - at_ns). `status` is reference | aligned | override | unaligned | same_clock (a live
    interface: the host's clock, like the reference's). `via` names the sensor an aligned
    clock was chained through when it shares no frames with the reference."""

    sensor: int
    name: str
    status: str
    matched: int = 0
    at_ns: int = 0
    shift_ns: float = 0.0
    rate: float = 0.0
    residual_ns: float | None = None
    via: str | None = None

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

    @property
    def map(self) -> ClockMap:
        return ClockMap(self.at_ns, self.shift_ns, self.rate, self.residual_ns)

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
            "via": self.via,
        }


class ClockEstimator:
    """Pairs the frames two sensors both heard; `clocks()` fits each sensor to the reference,
    directly or, when it shares no frames with it, through a chain of sensors that do.

    Fed in roughly time order (a merge by raw timestamps): a sensor whose clock is more than
    the span of MATCH_TABLE keys away from the others finds no pairs. Every pair of sensors
    keeps its own sums, so memory grows with the square of the number of sensors only."""

    def __init__(self, sensors: int, reference: int = 0, table: int = MATCH_TABLE) -> None:
        self.reference = reference
        self._limit = table
        self._tables: list[OrderedDict[tuple[Any, ...], int]] = [
            OrderedDict() for _ in range(sensors)
        ]
        self._links: dict[tuple[int, int], _Pairs] = {}

    def feed(self, sensor: int, frame: Frame) -> None:
        key = match_key(frame)
        if key is None:
            return
        table = self._tables[sensor]
        if key in table:
            return  # the same key twice on one sensor: ambiguous, the first one stands
        ts = table[key] = frame.ts_ns
        if len(table) > self._limit:
            table.popitem(last=False)
        for other, tab in enumerate(self._tables):
            ts_other = tab.get(key) if other != sensor else None
            if ts_other is not None:
                self._pair(sensor, ts, other, ts_other)

    def _pair(self, sensor: int, ts: int, other: int, ts_other: int) -> None:
        """Link (lo, hi) keeps hi's time against lo's: the map from hi's clock to lo's."""
        lo, hi, ts_lo, ts_hi = ((sensor, other, ts, ts_other) if sensor < other
                                else (other, sensor, ts_other, ts))
        pairs = self._links.get((lo, hi))
        if pairs is None:
            pairs = self._links[(lo, hi)] = _Pairs()
        pairs.add(ts_hi, ts_lo)

    @property
    def pairs(self) -> int:
        """Frames paired so far, over all pairs of sensors."""
        return sum(p.n for p in self._links.values())

    def matched(self, a: int, b: int) -> int:
        pairs = self._links.get((min(a, b), max(a, b)))
        return 0 if pairs is None else pairs.n

    def clocks(
        self, names: Sequence[str], overrides: Mapping[int, float] | None = None
    ) -> list[SensorClock]:
        """Overrides and the reference first, then, hop by hop, every sensor that shares
        frames with one already placed (the reference preferred, then the most pairs)."""
        known = self._fixed(names, overrides or {})
        while True:
            layer = {s: self._through(s, names, known)
                     for s in range(len(names)) if s not in known}
            found = {s: c for s, c in layer.items() if c is not None}
            if not found:
                break
            known.update(found)
        return [known.get(s) or SensorClock(s, names[s], "unaligned")
                for s in range(len(names))]

    def _fixed(self, names: Sequence[str],
               overrides: Mapping[int, float]) -> dict[int, SensorClock]:
        ref = self.reference
        known = {s: SensorClock(s, names[s], "override", self.matched(s, ref),
                                shift_ns=-seconds * 1e9)
                 for s, seconds in overrides.items()}
        if ref not in known:
            known[ref] = SensorClock(ref, names[ref], "reference", residual_ns=0.0)
        return known

    def _through(self, sensor: int, names: Sequence[str],
                 known: Mapping[int, SensorClock]) -> SensorClock | None:
        links = [(known[k].status == "reference", n, k)
                 for k in known if (n := self.matched(sensor, k))]
        if not links:
            return None
        _direct, n, via = max(links)
        hop, parent = self._hop(sensor, via), known[via]
        total = hop if parent.status == "reference" else hop.then(parent.map)
        return SensorClock(sensor, names[sensor], "aligned", n, total.at_ns, total.shift_ns,
                           total.rate, total.residual_ns,
                           None if parent.status == "reference" else parent.name)

    def _hop(self, sensor: int, other: int) -> ClockMap:
        """The fitted map from `sensor`'s clock to `other`'s."""
        lo, hi = min(sensor, other), max(sensor, other)
        pairs = self._links[(lo, hi)]
        c, d, rms = pairs.fit()
        fitted = ClockMap(pairs.u0, float(pairs.v0 + c), float(d), rms)
        return fitted if sensor == hi else fitted.inverse()


def unaligned_clocks(names: Sequence[str], overrides: Mapping[int, float]) -> list[SensorClock]:
    """Clocks without an alignment pass (a stream that cannot be read twice)."""
    return ClockEstimator(len(names)).clocks(names, overrides)


def copy_key(frame: Frame) -> tuple[Any, ...] | None:
    header = frame.header
    if not isinstance(header, MacHeader) or header.addr2 is None or header.seq is None:
        return None
    return (header.addr2, header.seq, header.frag or 0, header.retry, frame.kind,
            header.addr1, header.addr3, hash(frame.body))


Response = tuple[int, int, int, str]  # an ACK or a CTS: FC0, FC1, Duration, RA


def response_of(frame: Frame) -> Response | None:
    """A decoded ACK as `analyzer.dot11.decode.response_key` gives it from the bytes."""
    header = frame.header
    if frame.kind != Kind.CONTROL or not isinstance(header, MacHeader) or header.subtype != 13:
        return None
    return 0xD4, header.fc_flags, header.duration, header.addr1


class _Written:
    """An ACK or CTS kept from one sensor, and the other sensors whose copy it stands for."""

    __slots__ = ("ts_ns", "sensor", "copies")

    def __init__(self, ts_ns: int, sensor: int) -> None:
        self.ts_ns, self.sensor, self.copies = ts_ns, sensor, 0  # copies: a bit per sensor


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
        self._responses: dict[Response, deque[_Written]] = {}
        self._written: deque[tuple[Response, _Written]] = deque()
        self.stats = [SensorStats() for _ in range(sensors)]

    def keep(self, sensor: int, frame: Frame) -> bool:
        stats = self.stats[sensor]
        stats.frames += 1
        self._hear(stats, frame)
        key = copy_key(frame)
        if key is None:
            response = response_of(frame)
            return response is None or self._keep_response(sensor, response, frame.ts_ns)
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

    def keep_response(self, sensor: int, response: Response, ts_ns: int) -> bool:
        """`keep` for an ACK or CTS known by its octets (`response_key`), decoded or not."""
        self.stats[sensor].frames += 1
        return self._keep_response(sensor, response, ts_ns)

    def _keep_response(self, sensor: int, response: Response, ts_ns: int) -> bool:
        """A copy is the nearest in time, within RESPONSE_WINDOW_NS, of the same octets kept
        from another sensor and not yet standing for a copy from this one: so two ACKs of one
        sensor are never folded, and each kept one absorbs at most one copy per sensor."""
        self._expire_responses(ts_ns)
        kept = self._responses.get(response)
        if kept:
            bit, window = 1 << sensor, self._window_responses
            near = [w for w in kept if w.sensor != sensor and not w.copies & bit
                    and abs(ts_ns - w.ts_ns) <= window]
            if near:
                min(near, key=lambda w: abs(ts_ns - w.ts_ns)).copies |= bit
                self.stats[sensor].copies += 1
                return False
        else:
            kept = self._responses[response] = deque()
        written = _Written(ts_ns, sensor)
        kept.append(written)
        self._written.append((response, written))
        return True

    @property
    def _window_responses(self) -> int:
        return min(self._window, RESPONSE_WINDOW_NS)

    def _expire_responses(self, now: int) -> None:
        written, responses, window = self._written, self._responses, self._window_responses
        while written and (now - written[0][1].ts_ns > window or len(written) > COPY_TABLE):
            response, _ = written.popleft()
            kept = responses[response]
            kept.popleft()
            if not kept:
                del responses[response]

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

    def update(self, clocks: Sequence[SensorClock]) -> None:
        """Clocks estimated while the sources are still running (live)."""
        self.clocks = list(clocks)

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
    return (f"no frames in common with the reference sensor {reference} or any sensor aligned "
            "to it: clock not aligned (offset 0); latencies across sensors are marked unaligned")
