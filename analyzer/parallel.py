"""One capture on several cores, with exactly the single-process results.

The file is split at record (pcap) or Enhanced Packet Block (pcapng) boundaries found by
validating headers. Each worker reads its byte range (after the file's own header bytes),
prefilters with `peek`, decodes, and sends back compact columns: per relevant frame its local
index, timestamp and a template id. A template is one decoded frame standing for all frames that
differ only in per-frame counters; the parent rebuilds each frame from it and feeds the usual
`Engine` in capture order, so inventory, tracker and sinks see the same stream as with one core.

Exactness: management and EAPOL frames are rebuilt with their own radiotap TSFT and sequence
number (everything else is in the template key). Data frames and beacons share their template's
TSFT, sequence number, duration and beacon TSF (not read by inventory, tracker or sinks).
A chunk whose start was not a true boundary, or whose reading warns or stops early (damage, a
truncated end), is not trusted: the rest is read by the single-process reader instead, skipping
the records already fed, so warnings and byte offsets stay those of the single run.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import struct
import sys
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from analyzer.capture import Capture, CaptureInfo, open_capture
from analyzer.capture.pcap import MAGICS, SANE_SNAPLEN
from analyzer.capture.pcapng import EPB, IDB, PB, SHB, SHB_MAGIC, SPB
from analyzer.dot11 import decode, peek
from analyzer.dot11.records import Frame, Kind, MacHeader, Malformed, Radio

MIN_SPLIT_BYTES = 1 << 20
CHUNKS_PER_JOB = 4
MAX_CHUNK_BYTES = 32 << 20
SEARCH_BYTES = 1 << 20
CHAIN = 3  # headers that must validate in a row at a candidate boundary
_KNOWN_BLOCKS = frozenset({SHB, IDB, PB, SPB, 4, 5, EPB, 7, 8, 10, 0xBAD, 0x40000BAD})
_TEMPLATED = (int(Kind.DATA), int(Kind.BEACON))
_NONE = -1
YEAR_S = 366 * 86_400

Item = Frame | Malformed


@dataclass(frozen=True, slots=True)
class Split:
    """How to cut one file: the header bytes every worker reads first, then its byte range."""

    path: str
    prefix: bytes
    ranges: list[tuple[int, int]]


@dataclass(slots=True)
class Chunk:
    """One worker's result: compact columns plus the few objects that do not repeat."""

    frames: int = 0
    truncated: bool = False
    warnings: list[str] = field(default_factory=list)
    linktypes: int = 0
    first_ts_ns: int | None = None
    last_ts_ns: int | None = None
    index: array = field(default_factory=lambda: array("q"))
    ts: array = field(default_factory=lambda: array("q"))
    tid: array = field(default_factory=lambda: array("i"))
    seq: array = field(default_factory=lambda: array("i"))
    tsft: array = field(default_factory=lambda: array("q"))
    templates: list[Frame] = field(default_factory=list)
    objects: list[Item] = field(default_factory=list)


# --- split ---------------------------------------------------------------------------------


def plan_split(path: str, parts: int) -> Split | None:
    """Byte ranges for `parts` or more workers; None when the file cannot or need not be split
    (not a regular file, compressed, small, or no valid boundary found)."""
    try:
        size = os.path.getsize(path)
        if not os.path.isfile(path) or size < MIN_SPLIT_BYTES:
            return None
        with open(path, "rb") as f:
            head = f.read(4)
            if head in MAGICS:
                return _split(path, f, size, parts, _pcap_layout(f, head))
            if head == SHB_MAGIC:
                return _split(path, f, size, parts, _pcapng_layout(f))
    except OSError:
        return None
    return None


Check = Callable[[bytes, int, bool], int]


def _split(
    path: str, f: Any, size: int, parts: int, layout: tuple[int, int, Check | None]
) -> Split | None:
    start, align, check = layout
    if check is None or start >= size:
        return None
    f.seek(0)
    prefix = f.read(start)
    n = max(parts, -(-(size - start) // MAX_CHUNK_BYTES))
    cuts = [start]
    for k in range(1, n):
        target = start + (size - start) * k // n
        cut = _boundary(f, target + (-target % align), align, check)
        if cut is not None and cut > cuts[-1]:
            cuts.append(cut)
    cuts.append(size)
    if len(cuts) < 3:
        return None
    return Split(path, prefix, list(zip(cuts, cuts[1:], strict=False)))


def _boundary(f: Any, target: int, align: int, check: Check) -> int | None:
    """The first offset at or after `target` where CHAIN headers in a row validate."""
    f.seek(target)
    window = f.read(SEARCH_BYTES + CHAIN * (SANE_SNAPLEN + 64))
    for p in range(0, min(SEARCH_BYTES, len(window)), align):
        q = p
        for i in range(CHAIN):
            step = check(window, q, i == 0)
            if step <= 0:
                break
            q += step
        else:
            return target + p
    return None


def _pcap_layout(f: Any, head: bytes) -> tuple[int, int, Check | None]:
    endian, nano = MAGICS[head]
    snaplen = struct.unpack_from(endian + "I", f.read(20), 12)[0]
    limit = snaplen if 0 < snaplen <= SANE_SNAPLEN else SANE_SNAPLEN
    first = f.read(16)
    if len(first) < 16:
        return 24, 1, None
    rec = struct.Struct(endian + "IIII")
    sec0 = rec.unpack(first)[0]
    frac_max = 1_000_000_000 if nano else 1_000_000

    def check(buf: bytes, p: int, _first: bool) -> int:
        """Length of a plausible record at `p` (0 if not one): time within a year of the
        first record's, a valid fraction, caplen within the snaplen and the wire length."""
        if p + 16 > len(buf):
            return 0
        sec, frac, caplen, olen = rec.unpack_from(buf, p)
        if abs(sec - sec0) > YEAR_S or frac >= frac_max or caplen > limit or caplen > olen:
            return 0
        return 16 + caplen

    return 24, 1, check


def _pcapng_layout(f: Any) -> tuple[int, int, Check | None]:
    """Where the first packet block starts (the prefix: SHB, IDBs) and a block check: an EPB
    at the boundary, then any known block, each with its total length repeated at its end."""
    f.seek(8)
    endian = {b"\x4d\x3c\x2b\x1a": "<", b"\x1a\x2b\x3c\x4d": ">"}.get(f.read(4))
    if endian is None:
        return 0, 4, None
    head = struct.Struct(endian + "II")
    pos = 0
    while True:
        f.seek(pos)
        raw = f.read(8)
        if len(raw) < 8:
            return pos, 4, None
        btype, blen = head.unpack(raw)
        if btype == EPB:
            break
        if btype in (PB, SPB) or blen < 12 or blen & 3:
            return pos, 4, None
        pos += blen

    def check(buf: bytes, p: int, first: bool) -> int:
        if p + 12 > len(buf):
            return 0
        btype, blen = head.unpack_from(buf, p)
        if (btype != EPB if first else btype not in _KNOWN_BLOCKS):
            return 0
        if blen < 12 or blen & 3 or p + blen > len(buf):
            return 0
        return blen if head.unpack_from(buf, p + blen - 8)[1] == blen else 0

    return pos, 4, check


# --- workers -------------------------------------------------------------------------------


def read_chunk(task: tuple[str, bytes, int, int]) -> Chunk:
    """Worker: decode the relevant frames of one byte range into compact columns."""
    path, prefix, start, end = task
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    cap = open_capture(io.BytesIO(prefix + data), name=path)
    chunk = Chunk(linktypes=len(cap.info.linktypes))
    _fill(chunk, cap)
    info = cap.info
    chunk.frames, chunk.truncated, chunk.warnings = info.frames, info.truncated, info.warnings
    chunk.first_ts_ns, chunk.last_ts_ns = info.first_ts_ns, info.last_ts_ns
    chunk.linktypes = len(info.linktypes)
    return chunk


def _fill(chunk: Chunk, cap: Capture) -> None:
    ids: dict[Any, int] = {}
    templates, objects = chunk.templates, chunk.objects
    index, ts, tid = chunk.index.append, chunk.ts.append, chunk.tid.append
    seq, tsft = chunk.seq.append, chunk.tsft.append
    for rec in cap:
        if peek(rec.linktype, rec.data) < 0:
            continue
        item = decode(rec)
        if item is None:
            continue
        index(item.index)
        ts(item.ts_ns)
        key = None if isinstance(item, Malformed) else _key(item)
        if key is None:
            tid(_NONE)
            objects.append(item)
            continue
        n = ids.get(key)
        if n is None:
            n = ids[key] = len(templates)
            templates.append(item)
        tid(n)
        if item.kind not in _TEMPLATED:
            radio, header = item.radio, item.header
            tsft(_NONE if radio is None or radio.tsft_us is None else radio.tsft_us)
            seq(_NONE if not isinstance(header, MacHeader) or header.seq is None else header.seq)


def _key(frame: Frame) -> Any:
    """What a frame shares with the others of its template; None when it is unhashable."""
    radio, header, kind = frame.radio, frame.header, frame.kind
    signal = (radio.signal_dbm, radio.freq_mhz) if radio is not None else None
    try:
        if kind == Kind.DATA and isinstance(header, MacHeader):
            key: Any = (kind, frame.interface, signal, header.subtype, header.fc_flags,
                        header.addr1, header.addr2, header.addr3, header.addr4)
        elif kind == Kind.BEACON and isinstance(header, MacHeader) and frame.body is not None:
            key = (kind, frame.interface, signal, header.fc_flags, header.addr1, header.addr2,
                   header.addr3, frame.body.elements)  # type: ignore[union-attr]
        else:
            if radio is not None:
                radio = radio._replace(tsft_us=None)
            if isinstance(header, MacHeader):
                header = header._replace(seq=None)
            key = (kind, frame.interface, radio, header, frame.body)
        hash(key)
    except TypeError:
        return None
    return key


# --- parent --------------------------------------------------------------------------------


def _items(chunk: Chunk, base: int) -> Iterator[Item]:
    """The chunk's frames rebuilt in capture order, indices made global."""
    tnew = tuple.__new__
    templates = chunk.templates
    objects = iter(chunk.objects)
    seqs, tsfts = iter(chunk.seq), iter(chunk.tsft)
    templated = _TEMPLATED
    for index, ts, n in zip(chunk.index, chunk.ts, chunk.tid, strict=True):
        if n < 0:
            obj = next(objects)
            if isinstance(obj, Malformed):
                yield replace(obj, index=index + base)
            else:
                yield obj._replace(index=index + base)
            continue
        t = templates[n]
        if t.kind in templated:
            yield tnew(Frame, (index + base, ts, t.interface, t.kind, t.radio, t.header, t.body))
            continue
        radio, header = t.radio, t.header
        s, u = next(seqs), next(tsfts)
        if radio is not None:
            radio = tnew(Radio, (None if u == _NONE else u, *radio[1:]))
        if isinstance(header, MacHeader):
            header = header._replace(seq=None if s == _NONE else s)
        yield tnew(Frame, (index + base, ts, t.interface, t.kind, radio, header, t.body))


def _context() -> Any:
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method)


def parallel_items(
    capture: Capture, jobs: int, on_malformed: Callable[[Malformed], None]
) -> Iterator[Item]:
    """All relevant decoded items of one opened (not yet iterated) capture, in capture order,
    decoded by `jobs` processes; `capture.info` ends as the single-process reading leaves it."""
    info = capture.info
    split = None if info.compressed else plan_split(info.path, jobs * CHUNKS_PER_JOB)
    if split is None:
        yield from _serial(capture, 0, on_malformed)
        return
    capture.close()
    tasks = [(split.path, split.prefix, a, b) for a, b in split.ranges]
    base, trusted = 0, True
    prefix_warnings = list(info.warnings)
    with _context().Pool(jobs) as pool:
        for chunk in pool.imap(read_chunk, tasks):
            if not _good(chunk, prefix_warnings, len(info.linktypes)):
                trusted = False
                break
            _account(info, chunk)
            for item in _items(chunk, base):
                if isinstance(item, Malformed):
                    on_malformed(item)
                yield item
            base += chunk.frames
        pool.terminate()
    if not trusted:
        fresh = open_capture(info.path)
        yield from _serial(fresh, base, on_malformed)
        for name in CaptureInfo.__slots__:  # type: ignore[attr-defined]
            setattr(info, name, getattr(fresh.info, name))


def _good(chunk: Chunk, warnings: list[str], linktypes: int) -> bool:
    """Trust a chunk read from a true boundary that ended cleanly at its end."""
    return not chunk.truncated and chunk.warnings == warnings and chunk.linktypes == linktypes


def _account(info: CaptureInfo, chunk: Chunk) -> None:
    if chunk.frames == 0:
        return
    if info.frames == 0:
        info.first_ts_ns = chunk.first_ts_ns
    info.frames += chunk.frames
    info.last_ts_ns = chunk.last_ts_ns


def _serial(
    capture: Capture, skip: int, on_malformed: Callable[[Malformed], None]
) -> Iterator[Item]:
    """The single-process loop, after the first `skip` records (already fed)."""
    with capture:
        for rec in capture:
            if rec.index <= skip or peek(rec.linktype, rec.data) < 0:
                continue
            item = decode(rec)
            if item is None:
                continue
            if isinstance(item, Malformed):
                on_malformed(item)
            yield item
