"""The roam engine: connection attempts per station, with method, trigger, outcome, phases,
latencies and findings, from decoded frames fed one at a time (`Tracker`)."""

from collections.abc import Iterable, Iterator

from analyzer.dot11.records import Frame, Malformed
from analyzer.roam.records import (
    Evidence,
    Finding,
    Missing,
    Phase,
    Roam,
    StationSummary,
    Trigger,
)
from analyzer.roam.tracker import Tracker

__all__ = [
    "Evidence",
    "Finding",
    "Missing",
    "Phase",
    "Roam",
    "StationSummary",
    "Tracker",
    "Trigger",
    "iter_results",
]


def iter_results(tracker: Tracker, items: Iterable[Frame | Malformed]) -> Iterator[Roam | Finding]:
    """Feed a stream and yield every result as it completes, the pending ones at the end."""
    for item in items:
        yield from tracker.feed(item)
    yield from tracker.finish()
