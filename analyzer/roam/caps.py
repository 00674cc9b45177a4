"""Bounds on the tracker's tables, so a flood of random MACs cannot grow memory without end.

Expiry keeps the state to what is active; these caps are the backstop for when the air itself
is hostile (MAC randomisation at scale, an attacker forging stations or BSSIDs). When a table
is full the least recently heard tenth of it goes in one batch (amortised O(log n) per
insertion), and the first time each cap is hit a STATE_CAP_REACHED finding says so. An
evicted station's open attempt is counted, not reported: under a flood those are the forged
half-open ones; a succeeded attempt still waiting for data is reported as usual.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

from analyzer.roam import findings as fnd
from analyzer.roam.records import Finding, Roam

MAX_STATIONS = 20_000  # stations with state (each holds at most one open attempt)
MAX_BSS = 10_000  # BSSIDs heard from
MAX_TALLY = 100_000  # per-station totals kept for the summary after the state expires
EVICT_FRACTION = 10  # evict 1/EVICT_FRACTION of a full table at once

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Limits:
    stations: int = MAX_STATIONS
    bss: int = MAX_BSS
    tally: int = MAX_TALLY


def oldest(table: dict[str, T], age: Callable[[T], int] | None, limit: int) -> list[str]:
    """Keys to evict from a table at its `limit`: the smallest `age` (or insertion order)."""
    if len(table) < limit:
        return []
    n = max(1, len(table) // EVICT_FRACTION)
    if age is None:
        return [key for key, _ in zip(table, range(n), strict=False)]
    return heapq.nsmallest(n, table, key=lambda k: age(table[k]))


@dataclass(slots=True)
class CapNotices:
    """Which caps were hit, how often entries were evicted, and the one finding per cap."""

    evicted: dict[str, int] = field(default_factory=dict)

    def note(
        self, what: str, count: int, limit: int, frame: int, out: list[Roam | Finding]
    ) -> None:
        """Count `count` entries of `what` forgotten; STATE_CAP_REACHED the first time only."""
        first = what not in self.evicted
        self.evicted[what] = self.evicted.get(what, 0) + count
        if first:
            msg = (f"more than {limit} {what} tracked at once: the least recently heard are "
                   "forgotten from now on (a flood of random MACs, or a very large capture)")
            out.append(fnd.make("STATE_CAP_REACHED", frame, None, None, msg))

    def make_room(
        self, table: dict[str, T], age: Callable[[T], int] | None, limit: int, what: str,
        frame: int, out: list[Roam | Finding],
    ) -> list[T]:
        """Evict the oldest entries of a full `table`; returns them (their state is gone)."""
        gone = [table.pop(key) for key in oldest(table, age, limit)]
        if gone:
            self.note(what, len(gone), limit, frame, out)
        return gone


class _Heard(Protocol):
    last_ns: int


def heard(entry: _Heard) -> int:
    """The age of a station or BSS: when it was last heard."""
    return entry.last_ns


MAX_UNANSWERED = 1_000  # attempts no AP answered that are listed; the rest are counted


def unanswered(roam: Roam) -> bool:
    """An attempt that did not succeed and in which no AP said anything: no Authentication or
    (Re)Association status, no EAP, no M1, no FT or FILS answer: requests nobody answered."""
    ev = roam.evidence
    return (roam.outcome != "success" and not ev.auth_statuses and ev.assoc_status is None
            and not ev.eap_seen and ev.m1_count == 0 and not ev.ft_frames
            and not ev.fils_ap_pmkids)


@dataclass(slots=True)
class Unanswered:
    """Past `limit` unanswered attempts in a capture, the rest are counted, not listed: under
    a flood of forged requests (random MACs, a tool) they would be most of the document and
    of the memory, and say nothing but that. UNANSWERED_ATTEMPTS gives their count and
    frames."""

    limit: int = MAX_UNANSWERED
    listed: int = 0
    folded: int = 0
    frames: list[int] = field(default_factory=list)
    last_frame: int | None = None

    def keep(self, roam: Roam) -> bool:
        """Whether `roam` is listed; one that is not is counted."""
        if not unanswered(roam):
            return True
        if self.listed < self.limit:
            self.listed += 1
            return True
        self.folded += 1
        if roam.frames:
            if len(self.frames) < MAX_FOLDED_FRAMES:
                self.frames.append(roam.frames[0])
            self.last_frame = roam.frames[0]
        return False

    def finding(self) -> Finding | None:
        if not self.folded:
            return None
        frames = list(self.frames)
        if self.last_frame is not None and self.folded > len(frames):
            frames.append(self.last_frame)
        msg = (f"{self.folded} more attempts whose requests no AP answered are counted, not "
               f"listed, after the first {self.limit}: a flood of forged requests, or a sensor "
               "that does not hear the APs (frames: the first of each, at most "
               f"{MAX_FOLDED_FRAMES}, and the last)")
        found = fnd.make("UNANSWERED_ATTEMPTS", frames[0] if frames else None, None, None, msg)
        return replace(found, frames=tuple(frames))


MAX_FOLDED_FRAMES = 1_000
