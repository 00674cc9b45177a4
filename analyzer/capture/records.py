"""What the capture layer yields: raw records, no protocol knowledge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class RawRecord(NamedTuple):
    """One captured packet as it was stored."""

    index: int  # 1-based position in its capture (across all sections of a pcapng)
    ts_ns: int  # absolute time, integer nanoseconds since the epoch
    linktype: int
    data: bytes
    interface: int  # pcapng interface id (0 for pcap)
    orig_len: int  # length on the wire; > len(data) when cut by the snaplen

    @property
    def snapped(self) -> bool:
        return self.orig_len > len(self.data)


@dataclass(slots=True)
class CaptureInfo:
    """What the reader learned about one capture while reading it (updated as it streams)."""

    path: str
    format: str  # "pcap" | "pcapng"
    linktypes: list[int] = field(default_factory=list)  # one per interface, in IDB order
    frames: int = 0
    truncated: bool = False  # damaged: the file ended or broke inside a record/block, or a
    # corrupt block was skipped (the reading went on after it)
    warnings: list[str] = field(default_factory=list)
    first_ts_ns: int | None = None
    last_ts_ns: int | None = None
    compressed: bool = False
    empty: int = 0  # records that captured no byte (a bound on them: MAX_EMPTY)
