"""The roam engine per station: the stations split into partitions by MAC, one tracker per
partition, whose results merged are exactly one tracker's.

A station's roams depend on its own frames and on state that is not the station's: the BSS
table (beacons, probe responses), retransmission and replay detection (per transmitter), the
acknowledgement table (keyed by transmitter, and an AP transmits to every station) and the
clock (holds, timeouts and sweeps fire on the first frame past a deadline, whoever sent it).
So a partition is given every item, and does a station's work only for its own stations:

- data frames (most of a capture) are partitioned: a partition processes those of its own
  stations; of another's, it only drops the transmitter's pending acknowledgement (that
  frame takes its place) and lets its clock see the timestamp;
- a station's own management and EAPOL frames (`sent_by_station`) touch no table another
  station's roams read but their transmitter's (retransmission memory, pending
  acknowledgement) and the time it last asked its AP something (an AP's answer after it is
  new, `Dedup.asked`): only the station's partition processes them, the others drop that
  transmitter's pending acknowledgement and note the time (`Tracker.station_sent`);
- the other management and EAPOL frames (an AP's), control frames, beacons and malformed
  items go to every partition: the shared tables stay those of one tracker, and the events of
  another partition's station are not acted on (`_event`); an ACK whose receiver has no
  pending data frame in a partition only tells it that ACKs are being captured;
- the clock is global: the driver ticks the partition at the first frame, of any station,
  that reaches its next deadline (`due`), as one tracker's clock would fire there; and it
  looks for jumps of that clock (analyzer.roam.clock) between consecutive frames, which a
  partition, seeing only some of them, could not: each partition ends or marks its own
  stations' attempts, the first one reports the jump.

Every result is emitted with a key: the frame position it was emitted at, the clock phase
(held attempts released, sweep, the frame itself, end of input) and, where several stations
emit at one position, the order one tracker visits them in (its stations in the order they
were created; held attempts by the end of their wait). `merge` sorts the partitions' results
by key and renumbers the attempts in the order they were opened.

Exactness has limits one tracker's caps set: a partition gets 1/parts of the station,
station-total and transmitter caps and of the replay-report memory, and a partition that
reaches one (or whose acknowledgement table reaches 1/parts of the size one tracker clears
at) says so in `inexact`; the caller then runs one tracker instead.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from analyzer.dot11.records import Frame, Kind, MacHeader
from analyzer.roam import clock
from analyzer.roam.acks import MAX_UNACKED
from analyzer.roam.attempt import Attempt
from analyzer.roam.caps import Limits
from analyzer.roam.dedup import TRANSMITTERS, Dedup
from analyzer.roam.events import BROADCAST, Event, roles_of, to_event
from analyzer.roam.records import Finding, Roam, StationSummary
from analyzer.roam.station import Station
from analyzer.roam.tracker import MAX_REPORTED, Output, Tracker

JUMP, HOLDS, SWEEP, ITEM, FINISH = range(5)  # clock phases at one position, in the order they run
END = 1 << 62  # the position of end of input
Order = tuple[int, str]  # (station created at / hold deadline, station MAC)
Key = tuple[int, int, Order]  # position, phase, order within the phase
_FIRST: Order = (-1, "")
_LAST: Order = (END, "")  # after every station's results at one position and phase


def owner(mac: str, parts: int) -> int:
    """The partition of a station (stable across processes, unlike `hash`)."""
    return zlib.crc32(mac.encode()) % parts


@dataclass(slots=True)
class PartOutput:
    """What a partition's tracker produced: results with their keys and sequence numbers,
    the attempts it opened (position, local id), its station totals, and why it cannot stand
    for its share of one tracker (None when it can)."""

    part: int
    emitted: list[tuple[Key, int, Roam | Finding]]
    opened: list[tuple[int, int]]
    stations: list[StationSummary]
    inexact: str | None


class PartTracker(Tracker):
    """The tracker of partition `part` of `parts` (see the module docstring). The driver sets
    `pos`, the position of each item, before handing it over (and `advance`s the clock first
    when the capture's clock is ahead of the item's timestamp), ticks the clock (`tick_at`)
    at the first item that reaches `due`, and hands every non-empty result list to `take`."""

    def __init__(self, part: int, parts: int, limits: Limits | None = None, **kwargs: object
                 ) -> None:  # fmt: skip
        whole = limits or Limits()
        share = Limits(max(1, whole.stations // parts), whole.bss, max(1, whole.tally // parts))
        super().__init__(limits=share, **kwargs)  # type: ignore[arg-type]
        self.part, self.parts = part, parts
        self._dedup = Dedup(max(1, TRANSMITTERS // parts))
        self.pos = 0
        self.due = 0  # the clock's next deadline: the first instant a tick would act
        self.phase = ITEM
        self.inexact: str | None = None
        self.emitted: list[tuple[Key, int, Roam | Finding]] = []
        self.opened: list[tuple[int, int]] = []
        self.unacked = self._unacked  # the acknowledgement table, which the driver reads
        self.unacked_max = max(1, MAX_UNACKED // 2 // parts)
        self._created: dict[str, int] = {}
        self._owns: dict[str, bool] = {}
        self._marks: list[tuple[int, Key]] = []
        self._marks_of: Output | None = None
        # the driver looks for jumps of the clock, over every frame (`jumped`)
        self.forward_ns, self.last_frame = self._forward_ns, (0, 0)
        self._back_ns = self._forward_ns = clock.NEVER

    # --- driver ------------------------------------------------------------------------

    def owns(self, mac: str) -> bool:
        owned = self._owns.get(mac)
        if owned is None:
            if len(self._owns) > 65_536:
                self._owns.clear()
            owned = self._owns[mac] = owner(mac, self.parts) == self.part
        return owned

    def advance(self, now_ns: int) -> None:
        """The capture's clock (the latest timestamp of any item so far) is `now_ns`, ahead
        of the next item's own timestamp (timestamps out of order)."""
        self._now = now_ns

    def jumped(self, pos: int, last_index: int, last_ts: int, ts: int, now_ns: int) -> bool:
        """The driver saw the capture's clock (at `now_ns`) jump between the frames at
        `last_index` and `pos` (analyzer.roam.clock); True when it starts again from `ts`,
        behind `now_ns`."""
        self.pos, self.phase = pos, JUMP
        self._last_index, self._last_ts = last_index, last_ts
        self._now = now = now_ns
        out: Output = []
        self._clock_jumped(pos, ts, out)
        self.phase = ITEM
        if out:
            self.take(out)
        self.due = min(self._hold_due, self._next_sweep)
        return self._now < now

    def tick_at(self, pos: int, now_ns: int) -> None:
        """The capture's clock reached `due` at the item at `pos`."""
        self.pos = pos
        out = self.tick(now_ns)
        if out:
            self.take(out)
        self.due = min(self._hold_due, self._next_sweep)

    def take(self, out: Output) -> None:
        """Key the results of one call (by the marks it left) and keep them."""
        marks = self._marks if out is self._marks_of else []
        key: Key = (self.pos, ITEM, _FIRST)
        seq, emitted, j = len(self.emitted), self.emitted, 0
        for i, result in enumerate(out):
            while j < len(marks) and marks[j][0] <= i:
                key = marks[j][1]
                j += 1
            emitted.append((key, seq + i, result))
        self._marks_of = None

    def check_unacked(self) -> None:
        """After a data frame of this partition: one tracker's table, of which this is a
        share, may have reached the size it is cleared at."""
        if len(self.unacked) > self.unacked_max:
            self.not_exact("acknowledgement table")

    def not_exact(self, why: str) -> None:
        if self.inexact is None:
            self.inexact = f"{why}: a partition reached its share of one tracker's cap"

    def output(self) -> PartOutput:
        self.pos, self.phase = END, FINISH
        self.take(self.finish())
        if self.caps.evicted:
            self.not_exact(", ".join(sorted(self.caps.evicted)))
        if self._dedup.evicted:
            self.not_exact("transmitters")
        self.phase = ITEM
        return PartOutput(self.part, self.emitted, self.opened, self.stations(), self.inexact)

    # --- the tracker's hooks -----------------------------------------------------------------

    def _mark(self, out: Output, phase: int, order: Order) -> None:
        if out is not self._marks_of:
            self._marks_of, self._marks = out, []
        self._marks.append((len(out), (self.pos, phase, order)))

    def _station_order(self, st: Station) -> Order:
        return (self._created.get(st.mac, -1), "")

    def _event(self, ev: Event, out: Output) -> None:
        if ev.sta == BROADCAST or self.owns(ev.sta):
            super()._event(ev, out)

    def _replay(self, ev: Event, first: object, out: Output) -> None:
        if not self.owns(ev.sta):
            return
        if len(self._reported) >= MAX_REPORTED // self.parts:
            self.not_exact("replayed-frame reports")
        super()._replay(ev, first, out)  # type: ignore[arg-type]

    def _jump_found(self, finding: Finding, out: Output) -> None:
        if self.part == 0:
            self._mark(out, JUMP, _FIRST)
            out.append(finding)

    def _flood_results(self, findings: list[Finding], out: Output) -> None:
        """A burst's finding from its station's partition (a broadcast one from the first),
        after every station's results of the same instant."""
        mine = [f for f in findings
                if (self.part == 0 if f.sta in (None, BROADCAST) else self.owns(f.sta or ""))]
        if mine:
            self._mark(out, self.phase, _LAST)
            out.extend(mine)

    def _pn_reused(self, finding: Finding, out: Output) -> None:
        """A station's PN_REUSE from its partition, one of group or other traffic (every
        partition sees it) from the first."""
        if self.part == 0 if finding.sta is None else self.owns(finding.sta):
            self._mark(out, ITEM, _FIRST)
            out.append(finding)

    def _station(self, mac: str, ts_ns: int, index: int, out: Output) -> Station:
        if mac not in self._stations:
            self._created[mac] = self.pos
        return super()._station(mac, ts_ns, index, out)

    def _open(self, st: Station, ev: Event) -> Attempt:
        att = super()._open(st, ev)
        self.opened.append((self.pos, att.id))
        return att

    def _release_holds(self, out: Output) -> None:
        over, self._hold_due = self._holds.release(self._now)
        for st, att in over:
            self._mark(out, HOLDS, (att.first_data_ns or 0, st.mac))
            self._emit(st, att, out, self._no_ack_why)

    def _sweep(self, out: Output) -> None:
        self.phase = SWEEP
        super()._sweep(out)
        self.phase = ITEM
        if len(self._created) > 2 * len(self._stations) + 1024:
            self._created = {m: p for m, p in self._created.items() if m in self._stations}

    def _expire(self, st: Station, now: int, out: Output) -> None:
        if st.attempt is not None:  # (without one, nothing to expire: no mark, no call)
            self._mark(out, self.phase, self._station_order(st))
            super()._expire(st, now, out)

    def _data_arrived(self, st: Station, att: Attempt, ts_ns: int, out: Output) -> None:
        super()._data_arrived(st, att, ts_ns, out)
        self.due = min(self._hold_due, self._next_sweep)

    def _close(self, st: Station, out: Output, why: str) -> None:
        self._mark(out, self.phase, self._station_order(st))
        super()._close(st, out, why)

    def _disconnect(self, st: Station, ev: Event, body: object, out: Output) -> None:
        self._mark(out, self.phase, self._station_order(st))
        super()._disconnect(st, ev, body, out)  # type: ignore[arg-type]


def merge(parts: Sequence[PartOutput]) -> tuple[list[Roam | Finding], list[StationSummary]]:
    """The partitions' results in one tracker's order, attempts numbered in the order they
    were opened; their station totals by station."""
    opened = sorted((pos, p.part, local) for p in parts for pos, local in p.opened)
    ids = {(part, local): n for n, (_, part, local) in enumerate(opened, 1)}
    keyed = sorted((key, p.part, seq, result) for p in parts for key, seq, result in p.emitted)
    results = [_renumbered(result, part, ids) for _, part, _, result in keyed]
    stations = sorted((s for p in parts for s in p.stations), key=lambda s: s.sta)
    return results, stations


def _renumbered(
    result: Roam | Finding, part: int, ids: Mapping[tuple[int, int], int]
) -> Roam | Finding:
    if isinstance(result, Roam):
        return replace(result, id=ids[(part, result.id)])
    if result.roam_id is not None:
        return replace(result, roam_id=ids.get((part, result.roam_id), result.roam_id))
    return result


def data_station(frame: Frame) -> str | None:
    """The station of a data frame the tracker gives a station (uplink or downlink with a
    station address); None for any other frame, which every partition processes."""
    header = frame.header
    if frame.kind is not Kind.DATA or not isinstance(header, MacHeader):
        return None
    return lean_station(header.fc_flags, header.addr1, header.addr2)


def sent_by_station(frame: Frame) -> str | None:
    """The station that sent this management or EAPOL frame itself (its transmitter), whose
    partition alone processes it; None for a frame an AP sent, or any other frame."""
    ev = to_event(frame)
    if ev is None or ev.from_ap or ev.sta == BROADCAST:
        return None
    header = frame.header
    if isinstance(header, MacHeader) and header.addr2 != ev.sta:
        return None
    return ev.sta


def lean_station(fc_flags: int, addr1: str | None, addr2: str | None) -> str | None:
    """`data_station` from a data frame's Frame Control flags and addresses."""
    roles = roles_of(fc_flags, addr1, addr2)
    return None if roles is None else roles[0]
