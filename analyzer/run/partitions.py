"""One large capture's roam engine as per-station partitions (analyzer.roam.partition), each
fed the compact chunks of the capture's byte ranges (analyzer.run.jobs) in range order.

Every partition reads every chunk: it processes the data frames and the own management and
EAPOL frames of its own stations and, of the others' stations, only drops the transmitter's
pending acknowledgement; beacons, the frames APs send, control frames and malformed items it
processes all, so the tables one tracker shares between stations are the same in each (see
analyzer.roam.partition). Its clock is the capture's: it ticks at the first item of any
station past its next deadline. Partition 0 also keeps the inventory (counts, PMKID
sightings) and the reading's accounting, which every partition would keep alike.

`settle` merges the partitions' results into the client's engine (its PMKSA judge sees the
roams in one tracker's order), which then gives exactly `analyze FILE`'s analysis. A partition
that met a range it does not trust (a false boundary, damage, a truncated end) or reached its
share of a cap says so (`PartRun.why`): the caller feeds one engine instead
(analyzer.run.jobs.feed_chunks), which reads the rest of the file itself where needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.capture import CaptureInfo
from analyzer.dot11.records import MacHeader, Malformed
from analyzer.roam.caps import Limits
from analyzer.roam.clock import BACK_NS
from analyzer.roam.inventory import Inventory
from analyzer.roam.partition import (
    PartOutput,
    PartTracker,
    data_station,
    lean_station,
    merge,
    sent_by_station,
)
from analyzer.run.engine import UNCOUNTED, Analysis, CaptureResult, Engine, count_malformed
from analyzer.run.jobs import (
    COUNTED,
    LEAN_ACK,
    LEAN_BEACON,
    LEAN_DATA,
    LEAN_PN,
    Chunk,
    account,
    good_reading,
    pn_fields,
    rebuilt,
    renumbered,
)


@dataclass(slots=True)
class PartRun:
    """One partition's work on one capture: its tracker's output, or why it cannot stand for
    its share of one tracker; partition 0 also the reading's accounting, malformed counts and
    inventory."""

    part: int
    output: PartOutput | None
    why: str | None
    info: CaptureInfo
    capture: CaptureResult
    inventory: Inventory | None


def run_part(
    chunks: Iterable[Chunk], info: CaptureInfo, part: int, parts: int, limits: Limits | None = None
) -> PartRun:
    """Partition `part` of `parts` over every chunk of a capture, in range order; `info` is
    the opened capture's (nothing read yet); `limits`: one tracker's caps."""
    tracker = PartTracker(part, parts, limits)
    result = CaptureResult(info)
    inventory = Inventory() if part == 0 else None
    expected = list(info.warnings), len(info.linktypes)
    fed = now = 0
    for chunk in chunks:
        if not good_reading(chunk.info, *expected, info.empty):
            why = f"range from record {fed + 1} not trusted"
            return PartRun(part, None, why, info, result, inventory)
        account(info, chunk.info)
        now = _feed(tracker, chunk, fed, now, result, inventory)
        fed += chunk.info.frames
    output = tracker.output()
    return PartRun(part, output, output.inexact, info, result, inventory)


# What a partition does with a template's frames (`_actions`).
_FOREIGN_DATA, _OWN_DATA, _BEACON, _ACK, _FULL, _FOREIGN_FULL, _FOREIGN_SENT = range(7)
_OWN_PN, _FOREIGN_PN = 7, 8  # data frames with PN fields (their own column)


def _actions(tracker: PartTracker, templates: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    """Per template: what this partition does with its frames, and the address it needs:
    another partition's station's data frame or own management/EAPOL frame only drops its
    transmitter's pending acknowledgement here."""
    owns = tracker.owns
    actions: list[tuple[int, Any]] = []
    for op, t in templates:
        if op == LEAN_DATA or op == LEAN_PN:
            sta = lean_station(t[0], t[1], t[2])
            own = sta is None or owns(sta)
            if op == LEAN_PN:
                actions.append((_OWN_PN if own else _FOREIGN_PN, t[2]))
            else:
                actions.append((_OWN_DATA if own else _FOREIGN_DATA, t[2]))
        elif op == LEAN_BEACON:
            actions.append((_BEACON, t))
        elif op == LEAN_ACK:
            actions.append((_ACK, t))
        else:
            sent = sent_by_station(t)
            sta = data_station(t) or sent
            header = t.header
            if sta is None or owns(sta):
                actions.append((_FULL, None))
            else:
                ta = header.addr2 if type(header) is MacHeader else None
                actions.append((_FOREIGN_SENT if sent else _FOREIGN_FULL, ta))
    return actions


def _feed(
    tracker: PartTracker, chunk: Chunk, base: int, now: int, result: CaptureResult,
    inventory: Inventory | None,
) -> int:  # fmt: skip
    """One chunk into one partition (analyzer.run.jobs._feed's loop, with the capture's clock
    and the station routing of analyzer.roam.partition); returns the capture's clock."""
    templates = chunk.templates
    actions = _actions(tracker, templates)
    objects, seqs, tsfts = iter(chunk.objects), iter(chunk.seq), iter(chunk.tsft)
    pns = pn_fields(chunk)
    tick_at, take, advance = tracker.tick_at, tracker.take, tracker.advance
    data_seen, beacon_seen, ack_seen = tracker.data_seen, tracker.beacon_seen, tracker.ack_seen
    unacked, unacked_max = tracker.unacked, tracker.unacked_max
    count_beacon = inventory.count_beacon if inventory is not None else None
    add = inventory.add if inventory is not None else None
    due = tracker.due
    last_ts, last_index = tracker.last_frame
    forward_ns = tracker.forward_ns
    for index, ts, n in zip(chunk.index, chunk.ts, chunk.tid, strict=True):
        index += base
        if (ts < last_ts - BACK_NS or ts - last_ts > forward_ns) and last_index:
            if tracker.jumped(index, last_index, last_ts, ts, now):
                now = ts
            due = tracker.due
        last_ts, last_index = ts, index
        if ts > now:
            now = ts
        elif ts < now:  # the item's own clock would lag the capture's
            advance(now)
        if now >= due:
            tick_at(index, now)
            due = tracker.due
        if n < 0:
            item = renumbered(next(objects), index)
        else:
            action, t = actions[n]
            if action == _FOREIGN_DATA:
                unacked.pop(t, None)
                continue
            if action == _FOREIGN_PN:
                next(pns)
                unacked.pop(t, None)
                continue
            if action == _OWN_DATA or action == _OWN_PN:
                tracker.pos = index
                if action == _OWN_PN:
                    results = data_seen(ts, index, *templates[n][1], next(pns))
                else:
                    results = data_seen(ts, index, *templates[n][1])
                if results:
                    take(results)
                if len(unacked) > unacked_max:
                    tracker.check_unacked()
                due = tracker.due
                continue
            if action == _BEACON:
                if count_beacon is not None:
                    count_beacon(t[0])
                tracker.pos = index
                results = beacon_seen(ts, index, *t[1])
                if results:
                    take(results)
                continue
            if action == _ACK:
                if t in unacked:
                    tracker.pos = index
                    results = ack_seen(ts, index, t)
                    if results:
                        take(results)
                elif not tracker.acks:  # no pending data of `t` here: it only says ACKs
                    tracker.acks = 1  # are being captured
                continue
            op, frame = templates[n]
            item = rebuilt(op == COUNTED, frame, index, ts, seqs, tsfts)
            if action >= _FOREIGN_FULL:
                if add is not None and item.kind not in UNCOUNTED:
                    add(0, item)
                unacked.pop(t, None)
                if action == _FOREIGN_SENT:
                    tracker.station_sent(item)
                continue
        if isinstance(item, Malformed):
            count_malformed(result, item)
        else:
            if add is not None and item.kind not in UNCOUNTED:
                add(0, item)
            sent = sent_by_station(item) if n < 0 else None
            sta = (data_station(item) or sent) if n < 0 else None
            if sta is not None and not tracker.owns(sta):
                if type(item.header) is MacHeader:
                    unacked.pop(item.header.addr2, None)
                if sent:
                    tracker.station_sent(item)
                continue
        tracker.pos = index
        results = tracker.feed(item)
        if results:
            take(results)
        tracker.check_unacked()
        due = tracker.due
    tracker.last_frame = (last_ts, last_index)
    return now


def settle(engine: Engine, info: CaptureInfo, runs: Sequence[PartRun]) -> Analysis:
    """The partitions' work as the engine's analysis of capture 0 (whose `info`, opened and
    not read, ends as the single run leaves it): merged results judged in order, partition
    0's accounting, malformed counts and inventory."""
    first = runs[0]
    for name in CaptureInfo.__slots__:  # type: ignore[attr-defined]
        setattr(info, name, getattr(first.info, name))
    analysis = engine.analysis
    capture = analysis.captures[0]
    capture.malformed = first.capture.malformed
    capture.malformed_reasons = first.capture.malformed_reasons
    if first.inventory is not None:
        analysis.inventory = first.inventory
    outputs = [run.output for run in runs if run.output is not None]
    results, stations = merge(outputs)
    engine.collect(results)
    return engine.settle([], stations)


def analyze_by_station(
    engine: Engine, info: CaptureInfo, chunks: Sequence[Chunk], parts: int
) -> Analysis | None:
    """Every partition in this process, one after another (the reference run the tests and
    the Dask backend's results are held to); None when a partition cannot stand for its
    share (see `PartRun.why`)."""
    from copy import deepcopy

    runs = [run_part(chunks, deepcopy(info), p, parts) for p in range(parts)]
    if any(run.why is not None for run in runs):
        return None
    return settle(engine, info, runs)
