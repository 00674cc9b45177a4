"""`live` with several sources, one per sensor: merged, aligned online, de-duplicated.

Monitor interfaces on one host share its clock (kernel receive time): their frames only need
de-duplicating. Several `-r` streams come from sensors with their own clocks, and a live run
cannot read them twice, so the clocks are estimated online from the frames the streams share
(`ClockEstimator`, the same pairing and fit as `analyze`): the first records wait, up to
WARMUP_S, until every stream's clock is estimated; after that the estimate is refitted as
frames keep arriving. `--offset` fixes a stream's clock instead. The streams are merged on the
reference clock: a record goes on once every open stream has a later one, or once a quiet
stream has held the others back for HOLD_S.

A regular file (`paced`: read at the analysis' pace) is never quiet, only not read yet: it is
waited for, and the warm-up ends on what the streams hold (every file WARMUP_S of its own time,
or ended), never on wall time, so the result does not depend on how fast each reading thread
happens to run.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Protocol

from analyzer.capture import CaptureInfo, RawRecord
from analyzer.capture.live import InterfaceStats
from analyzer.dot11 import decode, peek
from analyzer.dot11.records import Frame, Kind, Malformed
from analyzer.roam.records import Finding, Roam
from analyzer.roam.sensors import (
    ClockEstimator,
    CrossDedup,
    SensorClock,
    SensorReport,
    Timeline,
    no_common_frames,
)
from analyzer.run.engine import Engine

HOLD_S = 1.0  # a stream with nothing pending holds the others back this long at most
WARMUP_S = 5.0  # the first records wait this long at most (wall or stream time) for clocks
MIN_MATCH = 8  # frames in common before an online clock estimate is trusted
HELD = 65_536  # records held per stream while warming up
CHUNK = 1024  # records taken from one stream at a time
REFIT = 512  # relevant frames between two online refits
BATCH = 4096  # records handed on per poll
_NO_BODY = (int(Kind.DATA), int(Kind.CONTROL))


class Source(Protocol):
    """One sensor's stream, read by its own thread (analyzer.run.live._Stream)."""

    stats: list[InterfaceStats]
    ended: bool
    info: CaptureInfo | None
    paced: bool  # a regular file: its records exist, they wait for the analysis

    def take(self) -> RawRecord | None: ...


def same_clock(names: Sequence[str]) -> list[SensorClock]:
    """Monitor interfaces of one host: kernel timestamps, one clock."""
    return [SensorClock(n, name, "reference" if n == 0 else "same_clock", residual_ns=0.0)
            for n, name in enumerate(names)]


class StreamMerge:
    """Several streams merged into one time-ordered stream on the reference clock."""

    def __init__(self, streams: Sequence[Source], names: Sequence[str],
                 overrides: Mapping[int, float], arrived: threading.Event) -> None:
        self.streams = list(streams)
        self.stats = [s.stats[0] for s in self.streams]
        self._names = list(names)
        self.overrides = dict(overrides)
        self.estimator = ClockEstimator(len(self.streams))
        self.clocks = self.estimator.clocks(self._names, self.overrides)
        self.ended = False
        self.warnings: list[tuple[int, str]] = []  # (sensor, text), drained by the caller
        self._arrived = arrived
        self._held: list[deque[RawRecord]] = [deque() for _ in self.streams]
        self._warm = False
        self._first: float | None = None
        self._starved: float | None = None
        self._pairs_seen = 0
        self._since_fit = 0

    @property
    def damaged(self) -> bool:
        return any(s.info is not None and s.info.truncated for s in self.streams)

    def names(self) -> list[str]:
        return list(self._names)

    def poll(self, timeout: float) -> Iterator[RawRecord]:
        deadline = time.monotonic() + timeout
        for _ in range(BATCH):
            self._arrived.clear()
            self._fill()
            rec = self._next(time.monotonic())
            if rec is None:
                left = deadline - time.monotonic()
                if self.ended or left <= 0:
                    return
                self._arrived.wait(left)
                continue
            yield rec

    def housekeeping(self) -> None:
        return None

    def finish(self) -> None:
        """The clocks as fitted over everything received (for the sensors report)."""
        self._refit()

    def close(self) -> None:
        return None

    def _fill(self) -> None:
        limit = CHUNK if self._warm else HELD
        for n, stream in enumerate(self.streams):
            held = self._held[n]
            for _ in range(min(CHUNK, limit - len(held))):
                rec = stream.take()
                if rec is None:
                    break
                held.append(rec)
                self._estimate(n, rec)
        if self._first is None and any(self._held):
            self._first = time.monotonic()

    def _estimate(self, n: int, rec: RawRecord) -> None:
        kind = peek(rec.linktype, rec.data)
        if kind < 0 or kind in _NO_BODY:
            return
        item = decode(rec)
        if not isinstance(item, Frame):
            return
        self.estimator.feed(n, item)
        self._since_fit += 1
        if self._warm and self._since_fit >= REFIT:
            self._refit()

    def _refit(self) -> None:
        self._since_fit = 0
        clocks = self.estimator.clocks(self._names, self.overrides)
        for old, new in zip(self.clocks, clocks, strict=True):
            if self._warm and not old.aligned and new.aligned:
                self.warnings.append((new.sensor, (
                    f"{new.name}: clock aligned only after the warm-up; attempts before were "
                    "measured with offset 0")))
        self.clocks = clocks

    def _next(self, now: float) -> RawRecord | None:
        if not self._warm:
            if not self._warmed(now):
                return None
            self._settle()
        heads = [n for n, held in enumerate(self._held) if held]
        if not heads:
            self.ended = all(s.ended for s in self.streams)
            return None
        if self._waiting_for_one(now):
            return None
        correct = [c.correct for c in self.clocks]
        n = min(heads, key=lambda k: (correct[k](self._held[k][0].ts_ns), k))
        rec = self._held[n].popleft()
        return rec._replace(ts_ns=correct[n](rec.ts_ns), interface=n)

    def _waiting_for_one(self, now: float) -> bool:
        """An open stream with nothing pending may still send something earlier (a file
        will: it is waited for; a live stream for HOLD_S at most)."""
        streams = zip(self._held, self.streams, strict=True)
        empty = [s for held, s in streams if not held and not s.ended]
        if not empty:
            self._starved = None
            return False
        if any(s.paced for s in empty):
            return True
        if self._starved is None:
            self._starved = now
        return now - self._starved < HOLD_S

    def _warmed(self, now: float) -> bool:
        held, streams = self._held, self.streams
        if all(s.ended for s in streams) or any(len(h) >= HELD for h in held):
            return True
        spanned = [bool(h) and h[-1].ts_ns - h[0].ts_ns >= WARMUP_S * 1e9 for h in held]
        if all(s.paced for s in streams):  # files: what they hold decides, not wall time
            if all(done or s.ended for done, s in zip(spanned, streams, strict=True)):
                return True
        else:
            if self._first is not None and now - self._first >= WARMUP_S:
                return True
            if any(spanned):
                return True
        if self.estimator.pairs == self._pairs_seen:
            return False
        self._pairs_seen = self.estimator.pairs
        clocks = self.estimator.clocks(self._names, self.overrides)
        return all(c.status != "unaligned" and (c.status != "aligned" or c.matched >= MIN_MATCH)
                   for c in clocks)

    def _settle(self) -> None:
        self._refit()
        self._warm = True
        reference = self.clocks[self.estimator.reference].name
        for clock in self.clocks:
            if not clock.aligned:
                self.warnings.append((clock.sensor, no_common_frames(clock, reference)))


class LiveSensors:
    """Each transmission counts once; attempts spanning a sensor whose clock is not aligned
    are marked (UNALIGNED_LATENCY) the moment they complete."""

    def __init__(self, sensors: int, clocks: Callable[[], list[SensorClock]]) -> None:
        self._clocks = clocks
        self.dedup = CrossDedup(sensors)
        self.timeline = Timeline(clocks())

    def feeder(self, engine: Engine) -> Callable[[int, RawRecord], None]:
        """`Engine.record` for several sensors: decode, drop the copies, feed."""
        keep, feed, timeline = self.dedup.keep, engine.feed, self.timeline
        decoded = engine.decode_record

        def record(n: int, rec: RawRecord) -> None:
            item = decoded(n, rec)
            if item is None:
                return
            if not isinstance(item, Malformed):
                if not keep(n, item):
                    return
                if timeline.needed:
                    timeline.add(n, item)
            feed(n, item)

        return record

    def result(self, item: Roam | Finding) -> list[Finding]:
        """The UNALIGNED_LATENCY finding for a roam that needs one."""
        timeline = self.timeline
        if not timeline.needed or not isinstance(item, Roam):
            return []
        timeline.update(self._clocks())
        before = len(timeline.unaligned)
        timeline.result(item)
        return timeline.unaligned[before:]

    def report(self) -> SensorReport:
        marked = [f.roam_id for f in self.timeline.unaligned if f.roam_id is not None]
        return SensorReport(self._clocks(), self.dedup.stats, marked)
