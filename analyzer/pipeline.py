"""The one place the stages are wired: captures -> records -> decoded frames -> roam state."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from analyzer.capture import Capture, CaptureInfo, RawRecord, open_capture
from analyzer.dot11 import SUPPORTED_LINKTYPES, decode, peek
from analyzer.dot11.records import Frame, Malformed
from analyzer.errors import UnsupportedLinkType
from analyzer.roam.inventory import Inventory

LINKTYPE_NAMES = {
    1: "Ethernet",
    105: "802.11",
    119: "Prism",
    127: "radiotap",
    163: "AVS",
    192: "PPI",
}


@dataclass(slots=True)
class CaptureResult:
    """One capture's reading: what the reader learned plus what failed to decode."""

    info: CaptureInfo
    malformed: int = 0
    malformed_reasons: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Analysis:
    """Everything one run produced; plain records, no presentation."""

    captures: list[CaptureResult]
    inventory: Inventory = field(default_factory=Inventory)

    @property
    def truncated(self) -> bool:
        return any(c.info.truncated for c in self.captures)


Decoded = tuple[int, Frame]
FrameSink = Callable[[int, Frame], None]


def open_captures(sources: Sequence[str]) -> list[Capture]:
    """Open every source first, so a user mistake in the last one fails before any work."""
    captures = [open_capture(s) for s in sources]
    for cap in captures:
        check_linktypes(cap.info)
    return captures


def check_linktypes(info: CaptureInfo) -> None:
    for lt in info.linktypes:
        if lt not in SUPPORTED_LINKTYPES:
            known = ", ".join(f"{n} ({v})" for v, n in sorted(LINKTYPE_NAMES.items()))
            raise UnsupportedLinkType(
                f"{info.path}: link type {lt} is not supported (supported: {known})"
            )


def merged_records(captures: Sequence[Capture]) -> Iterator[tuple[int, RawRecord]]:
    """All records of all captures in time order (a streaming k-way merge)."""
    if len(captures) == 1:
        yield from ((0, rec) for rec in captures[0])
        return
    streams = [((rec.ts_ns, n, rec) for rec in cap) for n, cap in enumerate(captures)]
    for _ts, n, rec in heapq.merge(*streams, key=lambda t: (t[0], t[1])):
        yield n, rec


def decoded_frames(
    captures: Sequence[Capture], results: Sequence[CaptureResult]
) -> Iterator[Decoded]:
    """Relevant decoded frames in time order; malformed ones are counted on their capture."""
    for n, rec in merged_records(captures):
        if peek(rec.linktype, rec.data) < 0:
            continue
        item = decode(rec)
        if item is None:
            continue
        if isinstance(item, Malformed):
            _count_malformed(results[n], item)
            continue
        yield n, item


def _count_malformed(result: CaptureResult, item: Malformed) -> None:
    result.malformed += 1
    key = f"{item.layer}: {item.reason}"
    result.malformed_reasons[key] = result.malformed_reasons.get(key, 0) + 1


def run(sources: Sequence[str], sinks: Iterable[FrameSink] = ()) -> Analysis:
    """Read, decode and take inventory of the captures; each sink sees every relevant frame."""
    captures = open_captures(sources)
    analysis = Analysis([CaptureResult(c.info) for c in captures])
    add = analysis.inventory.add
    extra = tuple(sinks)
    for n, frame in decoded_frames(captures, analysis.captures):
        add(n, frame)
        for sink in extra:
            sink(n, frame)
    return analysis
