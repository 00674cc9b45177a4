"""Retransmission folding and replay detection, per transmitter, in a bounded window.

IEEE 802.11-2020 10.3.2.14: a duplicate has the transmitter, sequence number and fragment
number of an earlier frame and the Retry bit set. The same frame repeated later *without*
Retry, or long after the first, is a replay (an attack tool or a confused client). A copy
with the same content seen by another capture interface within a few milliseconds is the
same transmission heard by two sensors; one within COPY_WINDOW_NS on the same interface
is the capture recording a frame twice. Neither is an event.

None of these applies to an AP's frame sent after a new request from the station it goes to:
some APs restart the sequence number for every exchange and answer repeated requests with
the same bytes, and each answer is a new frame.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum, auto

from analyzer.dot11.records import Frame, MacHeader

RETRY_WINDOW_NS = 1_000_000_000
SENSOR_WINDOW_NS = 50_000_000
COPY_WINDOW_NS = 5_000_000
PER_TRANSMITTER = 16
TRANSMITTERS = 4096
ASKED = 4 * TRANSMITTERS  # (station, AP) pairs whose last request time is kept
_ALL = "ff:ff:ff:ff:ff:ff"


class Verdict(Enum):
    NEW = auto()
    RETRY = auto()
    REPLAY = auto()
    COPY = auto()  # the same transmission again: a second sensor, or recorded twice


@dataclass(slots=True)
class Seen:
    """The first transmission of a (sequence, fragment, TID)."""

    content: int
    ts_ns: int
    index: int
    interface: int


Key = tuple[int, int, int]


class Dedup:
    """Bounded: PER_TRANSMITTER keys for each of the `transmitters` most recent transmitters
    (`evicted`: how many were forgotten to stay within that)."""

    def __init__(self, transmitters: int = TRANSMITTERS) -> None:
        self._by_ta: OrderedDict[str, OrderedDict[Key, Seen]] = OrderedDict()
        self._transmitters = transmitters
        self._asked: OrderedDict[tuple[str, str], int] = OrderedDict()  # (sta, ap) -> ts
        self.evicted = 0

    def check(self, frame: Frame, from_ap: bool = False) -> tuple[Verdict, Seen | None]:
        """Classify a frame, remembering it when it is new. `Seen` is the first copy.
        `from_ap`: the frame is an AP's, new if its station asked again since (`asked`)."""
        header = frame.header
        if not isinstance(header, MacHeader) or header.seq is None or header.addr2 is None:
            return Verdict.NEW, None
        window = self._window(header.addr2)
        key = (header.seq, header.frag or 0, header.tid or 0)
        content = hash((frame.kind, header.addr1, header.addr3, frame.body))
        first = window.get(key)
        verdict = Verdict.NEW
        if first is not None and not (from_ap and self._asked_since(header, first.ts_ns)):
            verdict = _judge(first, frame, header.retry, content)
        if verdict is Verdict.NEW:
            self._remember(window, key, Seen(content, frame.ts_ns, frame.index, frame.interface))
            return verdict, None
        return verdict, first

    def asked(self, frame: Frame) -> None:
        """A station's management or EAPOL frame: unless it carries the Retry bit, a new
        request, after which its AP's answers are new frames whatever their bytes."""
        header = frame.header
        if not isinstance(header, MacHeader) or header.addr2 is None or header.retry:
            return
        pair = (header.addr2, header.addr1)
        self._asked[pair] = frame.ts_ns
        self._asked.move_to_end(pair)
        if len(self._asked) > ASKED:
            self._asked.popitem(last=False)

    def _asked_since(self, header: MacHeader, ts_ns: int) -> bool:
        """Did the frame's receiver ask its transmitter (or everyone) anything after `ts_ns`?"""
        sta, ap = header.addr1, header.addr2 or ""
        return any(t > ts_ns for t in (self._asked.get((sta, ap)), self._asked.get((sta, _ALL)))
                   if t is not None)  # fmt: skip

    def _window(self, ta: str) -> OrderedDict[Key, Seen]:
        window = self._by_ta.get(ta)
        if window is None:
            window = self._by_ta[ta] = OrderedDict()
            if len(self._by_ta) > self._transmitters:
                self._by_ta.popitem(last=False)
                self.evicted += 1
        else:
            self._by_ta.move_to_end(ta)
        return window

    @staticmethod
    def _remember(window: OrderedDict[Key, Seen], key: Key, seen: Seen) -> None:
        window[key] = seen
        window.move_to_end(key)
        if len(window) > PER_TRANSMITTER:
            window.popitem(last=False)


def _judge(first: Seen, frame: Frame, retry: bool, content: int) -> Verdict:
    dt = frame.ts_ns - first.ts_ns
    same = content == first.content
    if same and frame.interface != first.interface and abs(dt) <= SENSOR_WINDOW_NS:
        return Verdict.COPY
    if retry and dt <= RETRY_WINDOW_NS:
        return Verdict.RETRY
    if same and abs(dt) <= COPY_WINDOW_NS:
        return Verdict.COPY
    return Verdict.REPLAY if same else Verdict.NEW
