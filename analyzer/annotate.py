"""The analysis back into Wireshark: the capture rewritten as pcapng with a frame comment
(`opt_comment` on the Enhanced Packet Block, pcapng §4.3) at each finding's frames and at each
roam's start, end and phase boundaries. Every record keeps its bytes, original length and
timestamp; several sensors are written as `roam-analyzer merge` writes them (aligned, each
transmission once, one interface per sensor), with the comments on top.

Phase boundaries are placed on the frame of the attempt whose timestamp is the boundary's;
findings on the frames they name (with several sensors, whose frame indices overlap, on the
kept frame with that index that names the finding's station or BSSID).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, TypeVar

from analyzer.capture import RawRecord
from analyzer.capture.atomic import atomic_file
from analyzer.capture.writer import PcapngWriter
from analyzer.dot11 import decode, peek
from analyzer.dot11.records import Frame
from analyzer.errors import AnalyzerError
from analyzer.report.safe import clean
from analyzer.roam.records import Finding, Roam
from analyzer.roam.sensors import CrossDedup
from analyzer.run.engine import Analysis, open_captures
from analyzer.run.sensors import aligned_records, is_copy

_MAX_COMMENT = 4000  # characters; an option's length is a u16
T = TypeVar("T")


@dataclass(slots=True)
class Annotated:
    """What `write_annotated` wrote: frames, and each comment with its output frame number."""

    frames: int = 0
    comments: list[tuple[int, str]] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)  # comments whose frame was not found


def replace_atomically(output: str, write: Callable[[BinaryIO], T]) -> T:
    """Write through a temporary file beside `output` (analyzer.capture.atomic), renamed over
    it only when `write` returned: a reader never sees half a file, a failure leaves none."""
    with atomic_file(output) as f:
        return write(f)


def check_output(sources: Sequence[str], output: str) -> None:
    """The annotated file must never overwrite one of the captures it is made from."""
    target = os.path.realpath(output)
    for src in sources:
        if src == "-":
            raise AnalyzerError("--annotate needs capture files (stdin cannot be read twice)")
        same = os.path.realpath(src) == target or (
            os.path.exists(output) and os.path.exists(src) and os.path.samefile(src, output)
        )
        if same:
            raise AnalyzerError(f"{output}: is one of the input captures; choose another file")


def roam_comments(roam: Roam) -> list[tuple[int, str, bool]]:
    """(timestamp, text, whether the frame is one of the attempt's) of an attempt's start, end
    and phase boundaries; probes are not the attempt's frames (`Roam.frames`)."""
    verb = "reassoc" if roam.evidence.reassoc else "assoc"
    ssid = f' "{roam.ssid}"' if roam.ssid else ""
    origin = f" from {roam.from_bssid}" if roam.from_bssid else ""
    pmksa = roam.pmksa.verdict if roam.pmksa is not None else None
    start = (f"roam #{roam.id} start: {verb} to {roam.to_bssid}{ssid}{origin}, {roam.kind}, "
             f"{roam.method}" + ("" if pmksa in (None, "not_applicable") else f", PMKSA {pmksa}"))
    if roam.steering is not None:
        s = roam.steering
        rank = f"candidate {s.chosen_rank}" if s.chosen_rank else "not a candidate"
        start += (f", {s.age_ms:.0f} ms after the {s.source.replace('_', ' ')} of frame "
                  f"{s.frame} ({len(s.candidates)} offered, {rank})")
    if roam.mlo_links:
        start += f", MLD with {len(roam.mlo_links)} links"
    cp = roam.latency_ms.get("control_plane")
    end = f"roam #{roam.id} end: {roam.outcome}"
    if roam.failure_reason:
        end += f" ({roam.failure_reason})"
    if cp is not None:
        end += f", control plane {cp:.1f} ms"
    own = not roam.phases or roam.phases[0].name != "probe"
    out = [(roam.t_start_ns, start, own)]
    for p in roam.phases:
        own = p.name != "probe"
        out.append((p.start_ns, f"roam #{roam.id} {p.name} start", own))
        out.append((p.end_ns, f"roam #{roam.id} {p.name} end: {p.frames} frames, "
                    f"{(p.end_ns - p.start_ns) / 1e6:.1f} ms", own))
    out.append((roam.t_end_ns, end, True))
    return out


def finding_comment(finding: Finding) -> str:
    return f"{finding.code} ({finding.severity}): {finding.message}"


def _text(text: str) -> str:
    safe = clean(text) or ""
    return safe if len(safe) <= _MAX_COMMENT else safe[: _MAX_COMMENT - 3] + "..."


class _Plan:
    """Where each comment goes, consumed as the records stream past."""

    def __init__(self, analysis: Analysis, merged: bool) -> None:
        self.merged = merged
        # timestamp -> (the attempt's frames, or None for any frame at that time; text)
        self.at_ts: dict[int, list[tuple[frozenset[int] | None, str]]] = {}
        self.at_frame: dict[int, list[tuple[str, set[str]]]] = {}
        for roam in analysis.roams:
            frames = frozenset(roam.frames)
            for ts, text, own in roam_comments(roam):
                where = frames if own else None
                self.at_ts.setdefault(ts, []).append((where, _text(text)))
        for f in analysis.findings:
            addrs = {a for a in (f.sta, f.bssid) if a}
            for index in f.frames or ((f.frame,) if f.frame is not None else ()):
                self.at_frame.setdefault(index, []).append((_text(finding_comment(f)), addrs))

    def take(self, rec: RawRecord) -> list[str]:
        out: list[str] = []
        pending = self.at_ts.get(rec.ts_ns)
        if pending:
            here = [fs is None or rec.index in fs for fs, _ in pending]
            out.extend(t for (_, t), h in zip(pending, here, strict=True) if h)
            self.at_ts[rec.ts_ns] = [p for p, h in zip(pending, here, strict=True) if not h]
        wanted = self.at_frame.get(rec.index)
        if wanted:
            if not self.merged:
                out.extend(t for t, _ in wanted)
                del self.at_frame[rec.index]
            else:
                names = _addresses(rec)
                out.extend(t for t, addrs in wanted if not addrs or addrs & names)
                self.at_frame[rec.index] = [(t, a) for t, a in wanted if a and not a & names]
        return list(dict.fromkeys(out))

    def leftovers(self) -> list[str]:
        return ([t for v in self.at_ts.values() for _, t in v]
                + [t for v in self.at_frame.values() for t, _ in v])


def _addresses(rec: RawRecord) -> set[str]:
    item = decode(rec) if peek(rec.linktype, rec.data) >= 0 else None
    if not isinstance(item, Frame) or item.header is None:
        return set()
    h = item.header
    return {a for a in (h.addr1, getattr(h, "addr2", None), getattr(h, "addr3", None)) if a}


def _records(sources: Sequence[str], analysis: Analysis) -> Iterator[tuple[int, RawRecord]]:
    captures = open_captures(sources)
    try:
        if len(captures) == 1:
            for rec in captures[0]:
                yield 0, rec
            return
        if analysis.sensors is None:
            raise AssertionError("several captures analysed without a sensors report")
        dedup = CrossDedup(len(captures))
        for n, rec in aligned_records(captures, analysis.sensors.clocks):
            if not is_copy(dedup, n, rec):
                yield n, rec
    finally:
        for cap in captures:
            cap.close()


def _write(sources: Sequence[str], analysis: Analysis, f: BinaryIO) -> Annotated:
    plan, done = _Plan(analysis, len(sources) > 1), Annotated()
    writer = PcapngWriter(f)
    interfaces: dict[tuple[int, int, int], int] = {}
    for n, rec in _records(sources, analysis):
        key = (n, rec.interface, rec.linktype)
        iface = interfaces.get(key)
        if iface is None:
            iface = interfaces[key] = writer.add_interface(rec.linktype, _name(sources, key))
        comments = plan.take(rec)
        writer.write(iface, rec.ts_ns, rec.data, rec.orig_len, comments)
        done.frames += 1
        done.comments.extend((done.frames, c) for c in comments)
    writer.flush()
    done.unplaced = plan.leftovers()
    return done


def _name(sources: Sequence[str], key: tuple[int, int, int]) -> str:
    n, interface, _linktype = key
    base = os.path.basename(sources[n]) or f"sensor{n + 1}"
    return base if interface == 0 else f"{base}#{interface}"


def write_annotated(sources: Sequence[str], output: str, analysis: Analysis) -> Annotated:
    """`analysis` of `sources` written as `output` (pcapng) with the comments; atomically."""
    check_output(sources, output)
    return replace_atomically(output, lambda f: _write(sources, analysis, f))


def annotations(done: Annotated) -> Iterable[str]:
    """One line per comment written: `frame<TAB>comment`."""
    return (f"{n}\t{text}" for n, text in done.comments)
