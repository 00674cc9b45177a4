"""The one place the stages are wired: captures -> records -> decoded frames -> roam state."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyzer import _core
from analyzer.capture import Capture, CaptureInfo, RawRecord, open_capture
from analyzer.config.expectations import Expectations
from analyzer.config.keys import KeyRing
from analyzer.dot11 import SUPPORTED_LINKTYPES, decode, peek
from analyzer.dot11.decode import FULL, ack_receiver, beacon_fields, data_fields
from analyzer.dot11.records import Frame, Kind, Malformed
from analyzer.errors import ConfigError, UnsupportedLinkType
from analyzer.roam.caps import Unanswered
from analyzer.roam.findings import aggregate
from analyzer.roam.inventory import Inventory, pmkid_cap_finding
from analyzer.roam.pmksa import PmksaJudge
from analyzer.roam.records import Finding, Roam, StationSummary
from analyzer.roam.tally import RoamTally
from analyzer.roam.tracker import Tracker
from analyzer.roam.verdicts import Violation

if TYPE_CHECKING:
    from analyzer.roam.sensors import SensorReport

# Kinds Inventory.add never counts (no count key, no PMKID): the loop skips the call.
UNCOUNTED = frozenset({Kind.DATA, Kind.OTHER_MGMT, Kind.CONTROL})
_DATA = int(Kind.DATA)
_BEACON = int(Kind.BEACON)
_ACK = int(Kind.CONTROL)  # ACKs (the lean path) and Block Acks (decoded in full)

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
    roams: list[Roam] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    stations: list[StationSummary] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)  # of the expectations (check)
    sensors: SensorReport | None = None  # several captures: clocks and de-duplication
    unanswered: Unanswered = field(default_factory=Unanswered)  # attempts counted, not listed
    decryption: Any = None  # with keys: the decryption pass's DecryptStats (analyzer.decrypt)
    derivations: Any = None  # the run's passphrase PMKs, shared with that pass (bounded)
    # A streaming run (live): roams and findings go to the result sink and are not kept; the
    # tally keeps what the summary needs (analyzer.roam.tally).
    tally: RoamTally | None = None

    @property
    def truncated(self) -> bool:
        return any(c.info.truncated for c in self.captures)


Decoded = tuple[int, Frame]
FrameSink = Callable[[int, Frame], None]
ResultSink = Callable[[Roam | Finding], None]


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
    streams = [_keyed(n, cap) for n, cap in enumerate(captures)]
    for _ts, n, rec in heapq.merge(*streams, key=lambda t: (t[0], t[1])):
        yield n, rec


def _keyed(n: int, capture: Capture) -> Iterator[tuple[int, int, RawRecord]]:
    # a function, not a generator expression: that would see only the last `n`
    for rec in capture:
        yield rec.ts_ns, n, rec


def decoded_items(
    captures: Sequence[Capture], results: Sequence[CaptureResult]
) -> Iterator[tuple[int, Frame | Malformed]]:
    """Relevant decoded frames in time order; malformed ones are counted on their capture."""
    if len(captures) == 1:
        yield from _decoded_one(captures[0], results[0])
        return
    for n, rec in merged_records(captures):
        item = _decode_relevant(rec)
        if item is None:
            continue
        if isinstance(item, Malformed):
            count_malformed(results[n], item)
        yield n, item


def _decoded_one(
    capture: Capture, result: CaptureResult
) -> Iterator[tuple[int, Frame | Malformed]]:
    """The single-capture hot loop: no merge, the prefilter inlined."""
    for rec in capture:
        if peek(rec.linktype, rec.data) < 0:
            continue
        item = decode(rec)
        if item is None:
            continue
        if isinstance(item, Malformed):
            count_malformed(result, item)
        yield 0, item


def _decode_relevant(rec: RawRecord) -> Frame | Malformed | None:
    return decode(rec) if peek(rec.linktype, rec.data) >= 0 else None


def decoded_frames(
    captures: Sequence[Capture], results: Sequence[CaptureResult]
) -> Iterator[Decoded]:
    for n, item in decoded_items(captures, results):
        if not isinstance(item, Malformed):
            yield n, item


MAX_REASONS = 100  # distinct malformed reasons listed per capture
OTHER_REASONS = "(other reasons)"


def count_malformed(result: CaptureResult, item: Malformed) -> None:
    """Count a malformed frame by its reason; reasons quote lengths and values from the frame,
    so past MAX_REASONS distinct ones the rest are counted together under OTHER_REASONS."""
    result.malformed += 1
    key = f"{item.layer}: {item.reason}"
    reasons = result.malformed_reasons
    if key not in reasons and len(reasons) >= MAX_REASONS:
        key = OTHER_REASONS
    reasons[key] = reasons.get(key, 0) + 1


def read_again(analysis: Analysis, source: str, keys: KeyRing | None,
                decrypt_out: str | None = None) -> Analysis:
    """What a second read of one capture file adds: with keys, what decryption shows
    (analyzer.decrypt: recovery latencies, protected EAPOL, inferred successes proven); after
    a replay, key reinstallation (analyzer.reinstall). A stream or FIFO is read once."""
    if not isinstance(source, str | PathLike) or not Path(source).is_file():
        return analysis
    if keys:
        from analyzer.decrypt import post_pass

        analysis.decryption = post_pass(analysis, str(source), keys, decrypt_out)
    if any(f.code in _REPLAYS for f in analysis.findings):
        _reinstallations(analysis, source)
    return analysis


_REPLAYS = frozenset({"M3_REPLAYED", "FT_REASSOC_REPLAYED"})


def _reinstallations(analysis: Analysis, source: str) -> None:
    """After a replayed M3 or FT Reassociation, read the file again for the victim's packet
    numbers (analyzer.reinstall)."""
    from analyzer.reinstall import find_reinstallations, watches

    with open_capture(source) as again:
        analysis.findings.extend(find_reinstallations(watches(analysis.findings), again))


def run_tshark(
    sources: Sequence[str], sinks: Iterable[FrameSink], tracker: Tracker | None,
    on_result: ResultSink | None, expectations: Expectations | None, keys: KeyRing | None,
    engine: str, decrypt_out: str | None = None,
) -> Analysis:
    """`run` with tshark decoding one capture: its records go through `Engine.feed`."""
    if engine != "tshark":
        raise ConfigError(f"unknown engine {engine!r} (python or tshark)")
    analysis = Analysis([])
    eng = Engine(analysis, sinks, tracker, on_result, expectations, keys)
    for _n, item in tshark_items(sources, analysis.captures):
        eng.feed(0, item)
    return read_again(eng.finish(), sources[0], keys, decrypt_out)


def tshark_items(
    sources: Sequence[str], results: list[CaptureResult]
) -> Iterator[tuple[int, Frame | Malformed]]:
    """`decoded_items` of one capture as Wireshark's dissectors decode it (analyzer.tshark);
    its CaptureResult is appended to `results`, malformed items counted there."""
    if len(sources) != 1:
        raise ConfigError("--engine tshark reads one capture (several sensors: --engine python)")
    from analyzer.tshark.runner import TsharkCapture

    capture = TsharkCapture(sources[0])
    result = CaptureResult(capture.info)
    results.append(result)
    for item in capture:
        if isinstance(item, Malformed):
            count_malformed(result, item)
        yield 0, item


def tshark_frames(sources: Sequence[str], results: list[CaptureResult]) -> Iterator[Decoded]:
    """`decoded_frames` by tshark (see `tshark_items`)."""
    for n, item in tshark_items(sources, results):
        if not isinstance(item, Malformed):
            yield n, item


class Engine:
    """The per-item loop shared by files and live sources: inventory, frame sinks, tracker and
    PMKSA judge; results go to `analysis` and `on_result` as they complete."""

    def __init__(
        self,
        analysis: Analysis,
        sinks: Iterable[FrameSink] = (),
        tracker: Tracker | None = None,
        on_result: ResultSink | None = None,
        expectations: Expectations | None = None,
        keys: KeyRing | None = None,
    ) -> None:
        self.analysis = analysis
        self.tracker = tracker or Tracker()
        self.judge = PmksaJudge(expectations, keys)
        self.on_result = on_result
        self._add = analysis.inventory.add
        self._sinks = tuple(sinks)
        # Without frame sinks nobody sees a DATA frame but the tracker, which reads four
        # header fields, nor a beacon but the tracker (BSSID, signal, frequency, elements)
        # and the inventory (the Retry flag): those may be given without building the Frame
        # (Tracker.data_seen, Tracker.beacon_seen, Inventory.count_beacon).
        self.lean = (not self._sinks and type(self.tracker) is Tracker
                     and type(analysis.inventory) is Inventory)

    def collect(self, results: list[Roam | Finding]) -> None:
        """Roams (judged) and findings the tracker completed, into the analysis."""
        _collect(self.analysis, self.judge, results, self.on_result)

    def feed(self, n: int, item: Frame | Malformed) -> None:
        if not isinstance(item, Malformed):
            if item.kind not in UNCOUNTED:
                self._add(n, item)
            for sink in self._sinks:
                sink(n, item)
        results = self.tracker.feed(item)
        if results:
            _collect(self.analysis, self.judge, results, self.on_result)

    def run_capture(self, records: Iterable[RawRecord]) -> None:
        """The single-capture hot loop: `feed` for every relevant record of capture 0, with
        the prefilter, decode and inventory inlined (data frames are never counted). When
        `lean`, data frames, beacons and ACKs come straight from the decoder's memo (same
        checks, same Malformed) without building the Radio, header and Frame; Block Acks are
        decoded in full. A capture read by the compiled core runs the same loop there
        (analyzer._core), with the same calls into the engine."""
        compiled = _core.core()
        if compiled is not None and compiled.accepts(records):
            compiled.run_capture(self, records, _collect, count_malformed)
            return
        result = self.analysis.captures[0]
        add, sinks, tracker_feed = self._add, self._sinks, self.tracker.feed
        analysis, judge, on_result = self.analysis, self.judge, self.on_result
        uncounted = UNCOUNTED
        malformed = Malformed
        lean_data, lean_beacon, lean_ack = (_DATA, _BEACON, _ACK) if self.lean else (-2, -2, -2)
        data_seen, beacon_seen, full = self.tracker.data_seen, self.tracker.beacon_seen, FULL
        ack_seen = self.tracker.ack_seen
        count_beacon = self.analysis.inventory.count_beacon
        for rec in records:
            kind = peek(rec.linktype, rec.data)
            if kind < 0:
                continue
            if kind == lean_data and rec.linktype == 127:
                item = data_fields(rec)
                if type(item) is tuple:
                    results = data_seen(rec.ts_ns, rec.index, *item)
                    if results:
                        _collect(analysis, judge, results, on_result)
                    continue
                if item is full:
                    item = decode(rec)
            elif kind == lean_beacon and rec.linktype == 127:
                item = beacon_fields(rec)
                if type(item) is tuple:
                    (fc_flags, addr3, signal, freq), elements = item
                    count_beacon(fc_flags)
                    results = beacon_seen(rec.ts_ns, rec.index, addr3, signal, freq, elements)
                    if results:
                        _collect(analysis, judge, results, on_result)
                    continue
                if item is full:
                    item = decode(rec)
            elif kind == lean_ack and rec.linktype == 127:
                item = ack_receiver(rec)
                if type(item) is str:
                    results = ack_seen(rec.ts_ns, rec.index, item)
                    if results:
                        _collect(analysis, judge, results, on_result)
                    continue
                item = decode(rec)
            else:
                item = decode(rec)
            if item is None:
                continue
            if type(item) is malformed:
                count_malformed(result, item)
            else:
                if item.kind not in uncounted:
                    add(0, item)
                for sink in sinks:
                    sink(0, item)
            results = tracker_feed(item)
            if results:
                _collect(analysis, judge, results, on_result)

    def record(self, n: int, rec: RawRecord) -> None:
        """One raw record of capture `n` (a live source): decoded when relevant, then fed."""
        item = self.decode_record(n, rec)
        if item is not None:
            self.feed(n, item)

    def decode_record(self, n: int, rec: RawRecord) -> Frame | Malformed | None:
        """A live record decoded when relevant (None when not), a malformed one counted on
        capture `n`. A frame cut short (a data frame cut to its header by the kernel filter)
        has no FCS left to check."""
        if peek(rec.linktype, rec.data) < 0:
            return None
        item = decode(rec, check_fcs=rec.orig_len <= len(rec.data))
        if isinstance(item, Malformed):
            count_malformed(self.analysis.captures[n], item)
        return item

    def tick(self, now_ns: int) -> None:
        """Let time pass without a frame (a quiet live source): attempts time out."""
        out = self.tracker.tick(now_ns)
        if out:
            _collect(self.analysis, self.judge, out, self.on_result)

    def finish(self) -> Analysis:
        """End of input: open attempts are reported incomplete; stations and PMKIDs settle."""
        return self.settle(self.tracker.finish(), self.tracker.stations())

    def settle(
        self, final: list[Roam | Finding], stations: list[StationSummary]
    ) -> Analysis:
        """`finish` given the tracker's last results and its station totals (or those of
        per-station partitions, analyzer.run.partitions)."""
        analysis = self.analysis
        _collect(analysis, self.judge, final, self.on_result)
        analysis.derivations = self.judge.derived
        analysis.stations = stations
        if analysis.inventory.pmkids_dropped:
            analysis.findings.append(pmkid_cap_finding(analysis.inventory))
        folded = analysis.unanswered.finding()
        if folded is not None:
            analysis.findings.append(folded)
        if self.judge.keys or self.judge.verified:  # SAE PMKIDs verify without a key
            _verify_sightings(analysis.inventory, self.judge)
        analysis.findings = aggregate(analysis.findings)
        return analysis


def _collect(
    analysis: Analysis, judge: PmksaJudge, results: list[Roam | Finding],
    on_result: ResultSink | None,
) -> None:
    keep = analysis.unanswered.keep
    tally = analysis.tally
    for result in results:
        extra: list[Finding] = []
        if isinstance(result, Roam):
            if not keep(result):
                continue
            result, extra = judge.feed(result)
            if tally is not None:
                tally.add(result)
            else:
                analysis.roams.append(result)
                analysis.violations.extend(judge.violations(result))
        elif tally is None:
            analysis.findings.append(result)
        if tally is None:
            analysis.findings.extend(extra)
        if on_result is not None:
            on_result(result)
            for f in extra:
                on_result(f)


def _verify_sightings(inventory: Inventory, judge: PmksaJudge) -> None:
    """Each PMKID sighting gets the verdict the keys gave it within its attempt."""
    verified = judge.verified
    inventory.pmkids = [
        replace(p, verified=verified.get((p.sta or "", p.bssid or "", p.pmkid)))
        for p in inventory.pmkids
    ]
