"""Several sensors wired together: an alignment pass, then the corrected streaming merge.

Pass 1 streams every capture once (a k-way merge by raw timestamps, management and EAPOL
frames only) to pair the frames two sensors both heard and fit each sensor's clock. Pass 2
reopens the captures and merges them again with each sensor's timestamps corrected, dropping
the copies of a frame other sensors already heard. Memory follows the number of sensors and
the bounded tables of `analyzer.roam.sensors`, never the size of a capture.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from analyzer.capture import Capture, RawRecord
from analyzer.capture.atomic import atomic_file
from analyzer.capture.writer import PcapngWriter
from analyzer.config.expectations import Expectations
from analyzer.config.keys import KeyRing
from analyzer.dot11 import decode, peek
from analyzer.dot11.decode import response_key
from analyzer.dot11.records import Frame, Kind, Malformed
from analyzer.errors import AnalyzerError
from analyzer.roam.records import Finding, Roam
from analyzer.roam.sensors import (
    ClockEstimator,
    CrossDedup,
    SensorClock,
    SensorReport,
    SensorStats,
    Timeline,
    no_common_frames,
    unaligned_clocks,
)
from analyzer.roam.tracker import Tracker
from analyzer.run.engine import (
    Analysis,
    CaptureResult,
    Engine,
    FrameSink,
    ResultSink,
    count_malformed,
    open_captures,
)

_CONTROL = int(Kind.CONTROL)
_NO_BODY = (int(Kind.DATA), _CONTROL)


def resolve_offsets(sources: Sequence[str], offsets: Mapping[str, float]) -> dict[int, float]:
    """`--offset SENSOR=SECONDS`: SENSOR is a capture as given, its file name, its name
    without extension, or its 1-based position on the command line."""
    out: dict[int, float] = {}
    for name, seconds in offsets.items():
        matches = [n for n, src in enumerate(sources) if name in _aliases(n, src)]
        if len(matches) != 1:
            what = "matches no capture" if not matches else "matches several captures"
            raise AnalyzerError(f"--offset {name}={seconds}: {name!r} {what}")
        if matches[0] in out:
            raise AnalyzerError(f"--offset {name}={seconds}: {sources[matches[0]]} has an "
                                "offset already")
        out[matches[0]] = seconds
    return out


def _aliases(n: int, source: str) -> set[str]:
    base = os.path.basename(source)
    return {source, base, base.split(".", 1)[0], str(n + 1)}


def estimate_clocks(sources: Sequence[str], overrides: Mapping[int, float]) -> list[SensorClock]:
    """Pass 1: each sensor's clock against the first capture's."""
    names = list(sources)
    if "-" in sources or all(n in overrides for n in range(1, len(sources))):
        return unaligned_clocks(names, overrides)
    captures = open_captures(sources)
    estimator = ClockEstimator(len(captures))
    feed = estimator.feed
    try:
        for n, rec in _merge([iter(c) for c in captures]):
            kind = peek(rec.linktype, rec.data)
            if kind < 0 or kind in _NO_BODY:
                continue
            item = decode(rec)
            if isinstance(item, Frame):
                feed(n, item)
    finally:
        for cap in captures:
            cap.close()
    return estimator.clocks(names, overrides)


def _merge(streams: Sequence[Iterator[RawRecord]]) -> Iterator[tuple[int, RawRecord]]:
    keyed = [_keyed(n, stream) for n, stream in enumerate(streams)]
    for _ts, n, rec in heapq.merge(*keyed, key=lambda t: (t[0], t[1])):
        yield n, rec


def _keyed(n: int, stream: Iterable[RawRecord]) -> Iterator[tuple[int, int, RawRecord]]:
    for rec in stream:
        yield rec.ts_ns, n, rec


def _corrected(capture: Capture, clock: SensorClock) -> Iterator[RawRecord]:
    if clock.status == "reference":
        yield from capture
        return
    correct = clock.correct
    for rec in capture:
        yield rec._replace(ts_ns=correct(rec.ts_ns))


def aligned_records(
    captures: Sequence[Capture], clocks: Sequence[SensorClock]
) -> Iterator[tuple[int, RawRecord]]:
    """All records of all captures, on the reference clock, in time order."""
    return _merge([_corrected(c, k) for c, k in zip(captures, clocks, strict=True)])


def aligned_items(
    captures: Sequence[Capture],
    results: Sequence[CaptureResult],
    clocks: Sequence[SensorClock],
    dedup: CrossDedup,
    timeline: Timeline,
) -> Iterator[tuple[int, Frame | Malformed]]:
    """Relevant decoded frames on the reference clock, each transmission once."""
    keep, needed = dedup.keep, timeline.needed
    for n, rec in aligned_records(captures, clocks):
        if peek(rec.linktype, rec.data) < 0:
            continue
        item = decode(rec)
        if item is None:
            continue
        if isinstance(item, Malformed):
            count_malformed(results[n], item)
        elif not keep(n, item):
            continue
        elif needed:
            timeline.add(n, item)
        yield n, item


def run_sensors(
    sources: Sequence[str],
    offsets: Mapping[str, float] | None = None,
    sinks: Iterable[FrameSink] = (),
    tracker: Tracker | None = None,
    on_result: ResultSink | None = None,
    expectations: Expectations | None = None,
    keys: KeyRing | None = None,
) -> Analysis:
    """`dispatch.run` for several sensors: aligned, de-duplicated, with a `sensors` report."""
    clocks = estimate_clocks(sources, resolve_offsets(sources, offsets or {}))
    captures = open_captures(sources)
    results = [CaptureResult(c.info) for c in captures]
    _warn_unaligned(clocks, results)
    dedup, timeline = CrossDedup(len(captures)), Timeline(clocks)

    def seen(result: Roam | Finding) -> None:
        timeline.result(result)
        if on_result is not None:
            on_result(result)

    engine = Engine(Analysis(results), sinks, tracker,
                    seen if timeline.needed else on_result, expectations, keys)
    feed = engine.feed
    for n, item in aligned_items(captures, results, clocks, dedup, timeline):
        feed(n, item)
    analysis = engine.finish()
    analysis.findings.extend(timeline.unaligned)
    roams = [f.roam_id for f in timeline.unaligned if f.roam_id is not None]
    analysis.sensors = SensorReport(clocks, dedup.stats, roams)
    return analysis


def _warn_unaligned(clocks: Sequence[SensorClock], results: Sequence[CaptureResult]) -> None:
    reference = next((c.name for c in clocks if c.status == "reference"), clocks[0].name)
    for clock, result in zip(clocks, results, strict=True):
        if not clock.aligned:
            result.info.warnings.append(no_common_frames(clock, reference))


@dataclass(slots=True)
class Merged:
    """What `write_merged` did."""

    frames: int
    clocks: list[SensorClock]
    stats: list[SensorStats]
    captures: list[CaptureResult]

    @property
    def truncated(self) -> bool:
        return any(c.info.truncated for c in self.captures)


def write_merged(
    sources: Sequence[str], output: str, offsets: Mapping[str, float] | None = None
) -> Merged:
    """The aligned, de-duplicated stream as one pcapng, one interface per sensor."""
    clocks = estimate_clocks(sources, resolve_offsets(sources, offsets or {}))
    captures = open_captures(sources)
    results = [CaptureResult(c.info) for c in captures]
    _warn_unaligned(clocks, results)
    dedup = CrossDedup(len(captures))
    with atomic_file(output, "wb") as f:  # the real name only once complete
        writer = PcapngWriter(f)
        interfaces: dict[tuple[int, int], int] = {}
        for n, rec in aligned_records(captures, clocks):
            if is_copy(dedup, n, rec):
                continue
            iface = interfaces.get((n, rec.linktype))
            if iface is None:
                name = os.path.basename(sources[n]) or f"sensor{n + 1}"
                iface = interfaces[(n, rec.linktype)] = writer.add_interface(rec.linktype, name)
            writer.write(iface, rec.ts_ns, rec.data, rec.orig_len)
        count = writer.count
    return Merged(count, clocks, dedup.stats, results)


def is_copy(dedup: CrossDedup, n: int, rec: RawRecord) -> bool:
    kind = peek(rec.linktype, rec.data)
    if kind == _CONTROL or kind < 0:  # an ACK or a CTS is told by its octets and its time
        response = response_key(rec.linktype, rec.data)
        if response is not None:
            return not dedup.keep_response(n, response, rec.ts_ns)
    if kind < 0:
        return False
    item = decode(rec)
    return isinstance(item, Frame) and not dedup.keep(n, item)
