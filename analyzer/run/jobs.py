"""One capture on several cores, with exactly the single-process results.

The file is split at record (pcap) or Enhanced Packet Block (pcapng) boundaries found by
validating headers. The parent reads the first ranges itself with the single-process loop
(`Engine.run_capture`) while worker processes decode the others: each reads its byte range
(after the file's own header bytes), prefilters with `peek`, decodes, and sends back compact
columns: per relevant frame its local index, timestamp and a template id. When the engine is
lean (no frame sinks), a data frame's, beacon's or ACK's template is just the fields the
tracker and inventory read (`data_fields`, `beacon_fields`, `ack_receiver`), which the parent
hands them as `run_capture` does; otherwise a template is one decoded frame standing for all
frames that differ only in per-frame counters, and the parent rebuilds each frame from it and
feeds `Engine.feed`. Either way inventory, tracker and sinks see the stream of the single
run, in capture order.

Exactness: management, EAPOL and control frames are rebuilt with their own radiotap TSFT and
sequence number (everything else is in the template key). Data frames and beacons share their
template's TSFT, sequence number, duration and beacon TSF (not read by inventory, tracker or
sinks). The parent's own ranges are the file's first bytes, read as the single run reads them.
A range whose start was not a true boundary, or whose reading warns or stops early (damage, a
truncated end), is not trusted: the rest is read by the single-process reader instead, skipping
the records already fed, so warnings and byte offsets stay those of the single run.

`feed_chunks` is that feeding (trust check, accounting, fallback) for any ordered source of
chunks: the local worker processes here, or the Dask range tasks of one large file
(analyzer.run.dask), whose client reads no head ranges itself.
"""

from __future__ import annotations

import io
import os
import struct
import sys
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from analyzer.capture import Capture, CaptureInfo, open_capture
from analyzer.capture.pcap import MAGICS, MAX_EMPTY, SANE_SNAPLEN
from analyzer.capture.pcapng import EPB, IDB, PB, SHB, SHB_MAGIC, SPB
from analyzer.dot11 import decode, peek
from analyzer.dot11.decode import FULL, ack_receiver, beacon_fields, data_fields
from analyzer.dot11.records import Frame, Kind, MacHeader, Malformed, Radio
from analyzer.run.engine import count_malformed
from analyzer.run.procs import bind_to_parent, signals_held

if TYPE_CHECKING:
    from analyzer.run.engine import Engine

MIN_SPLIT_BYTES = 1 << 20
CHUNKS_PER_JOB = 4
MAX_CHUNK_BYTES = 8 << 20
# --jobs: a chunk of forged frames that share nothing holds ~2 KiB per frame until the parent
# feeds it (175 MB for 8 MiB of Association Requests): smaller ranges bound that
LOCAL_CHUNK_BYTES = 2 << 20
QUEUED_CHUNKS = 1  # finished chunks a worker may hold before the parent takes them
WORKER_NICE = 5  # the parent, which feeds every frame to the tracker, comes first
SEARCH_BYTES = 1 << 20
FIRST_SEARCH_BYTES = 64 << 10
CHAIN = 3  # headers that must validate in a row at a candidate boundary
_KNOWN_BLOCKS = frozenset({SHB, IDB, PB, SPB, 4, 5, EPB, 7, 8, 10, 0xBAD, 0x40000BAD})
_DATA, _BEACON, _ACK = int(Kind.DATA), int(Kind.BEACON), int(Kind.CONTROL)
_TEMPLATED = (_DATA, _BEACON)
_NONE = -1
_SEQ = MacHeader._fields.index("seq")
YEAR_S = 366 * 86_400
INT64_MAX = (1 << 63) - 1

Item = Frame | Malformed


@dataclass(frozen=True, slots=True)
class Split:
    """How to cut one file: the header bytes every worker reads first, then its byte range."""

    path: str
    prefix: bytes
    ranges: list[tuple[int, int]]


@dataclass(slots=True)
class Chunk:
    """One worker's result: what its reader learned, compact columns per relevant frame (local
    index, timestamp, template id), and the few items that do not repeat."""

    info: CaptureInfo
    index: array = field(default_factory=lambda: array("q"))
    ts: array = field(default_factory=lambda: array("q"))
    tid: array = field(default_factory=lambda: array("i"))
    seq: array = field(default_factory=lambda: array("i"))
    tsft: array = field(default_factory=lambda: array("q"))
    # per LEAN_PN frame: its packet number, key ID | TID << 2 | sequence number << 7, its MIC
    pn: array = field(default_factory=lambda: array("q"))
    pn_meta: array = field(default_factory=lambda: array("q"))
    mic: array = field(default_factory=lambda: array("Q"))
    templates: list[tuple[int, Any]] = field(default_factory=list)  # (op, payload)
    objects: list[Item] = field(default_factory=list)


# --- split ---------------------------------------------------------------------------------


def plan_split(path: str, parts: int, min_bytes: int | None = None,
               max_bytes: int | None = None) -> Split | None:
    """Byte ranges for `parts` or more workers, each at most `max_bytes` (default
    MAX_CHUNK_BYTES); None when the file cannot or need not be split (not a regular file,
    compressed, smaller than `min_bytes` (default MIN_SPLIT_BYTES), or no valid boundary
    found)."""
    least = MIN_SPLIT_BYTES if min_bytes is None else min_bytes
    most = MAX_CHUNK_BYTES if max_bytes is None else max_bytes
    try:
        size = os.path.getsize(path)
        if not os.path.isfile(path) or size < least:
            return None
        with open(path, "rb") as f:
            head = f.read(4)
            if head in MAGICS:
                return _split(path, f, size, parts, _pcap_layout(f, head), most)
            if head == SHB_MAGIC:
                return _split(path, f, size, parts, _pcapng_layout(f), most)
    except OSError:
        return None
    return None


Check = Callable[[bytes, int, bool], int]


def _split(
    path: str, f: Any, size: int, parts: int, layout: tuple[int, int, Check | None],
    most: int = MAX_CHUNK_BYTES,
) -> Split | None:  # fmt: skip
    start, align, check = layout
    if check is None or start >= size:
        return None
    f.seek(0)
    prefix = f.read(start)
    n = max(parts, -(-(size - start) // most))
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
    """The first offset at or after `target` where CHAIN headers in a row validate, searched
    in a small window first: frames are a few KiB at most, so a boundary is nearly always
    within it and a split of a large file reads kilobytes per cut, not a megabyte. (A chain
    that runs past the small window does not validate there; the large window has room for
    CHAIN of the largest records.)"""
    for search, slack in ((FIRST_SEARCH_BYTES, FIRST_SEARCH_BYTES),
                          (SEARCH_BYTES, CHAIN * (SANE_SNAPLEN + 64))):
        f.seek(target)
        window = f.read(search + slack)
        for p in range(0, min(search, len(window)), align):
            q = p
            for i in range(CHAIN):
                step = check(window, q, i == 0)
                if step <= 0:
                    break
                q += step
            else:
                return target + p
        if len(window) <= search:  # the file ends inside this window: no more to search
            return None
    return None


def _pcap_layout(f: Any, head: bytes) -> tuple[int, int, Check | None]:
    endian, nano = MAGICS[head]
    rest = f.read(20)
    if len(rest) < 20:  # the file ends inside its header: nothing to split
        return 24, 1, None
    snaplen = struct.unpack_from(endian + "I", rest, 12)[0]
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

# How the parent feeds a template's frames: lean data-frame or beacon fields, or a Frame rebuilt
# with the template's counters (DATA/BEACON kinds) or with its own TSFT and sequence number.
# LEAN_PN: lean data-frame fields whose frames carry a CCMP/GCMP header, in the pn columns.
LEAN_DATA, LEAN_BEACON, LEAN_ACK, SHARED, COUNTED, LEAN_PN = range(6)
_NO_TID = 16


Task = tuple[str, bytes, int, int, bool]  # path, prefix, start, end, lean


def read_chunk(task: Task) -> Chunk:
    """Worker: decode the relevant frames of one byte range into compact columns; `lean`: data
    frames and beacons as only the fields the tracker and inventory read (Engine.lean)."""
    path, prefix, start, end, lean = task
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    cap = open_capture(io.BytesIO(prefix + data), name=path)
    chunk = Chunk(cap.info)
    _fill(chunk, cap, lean)
    return chunk


def _fill(chunk: Chunk, cap: Capture, lean: bool) -> None:
    data_ids: dict[Any, int] = {}
    beacon_ids: dict[Any, int] = {}
    frame_ids: dict[Any, int] = {}
    templates = chunk.templates
    index, ts, tid = chunk.index.append, chunk.ts.append, chunk.tid.append
    lean_data, lean_beacon, lean_ack = (_DATA, _BEACON, _ACK) if lean else (-2, -2, -2)
    ack_ids: dict[str, int] = {}
    for rec in cap:
        number, ts_ns, linktype, data, _interface, _orig_len = rec
        kind = peek(linktype, data)
        if kind < 0:
            continue
        item: Any = FULL
        if kind == lean_data and linktype == 127:
            item = data_fields(rec)
            if type(item) is tuple:
                if len(item) == 5:
                    item = _pn_column(chunk, item)
                n = data_ids.get(item)
                if n is None:
                    n = data_ids[item] = len(templates)
                    templates.append((LEAN_PN if len(item) == 5 else LEAN_DATA, item[:4]))
                index(number)
                ts(ts_ns)
                tid(n)
                continue
        elif kind == lean_beacon and linktype == 127:
            item = beacon_fields(rec)
            if type(item) is tuple:
                # the elements by identity (hashing them costs more than the rest of the
                # beacon): the template keeps them alive, so no other object takes their id
                fields, elements = item
                key = (fields, id(elements))
                n = beacon_ids.get(key)
                if n is None:
                    n = beacon_ids[key] = len(templates)
                    fc_flags, addr3, signal, freq = fields
                    templates.append((LEAN_BEACON, (fc_flags, (addr3, signal, freq, elements))))
                index(number)
                ts(ts_ns)
                tid(n)
                continue
        elif kind == lean_ack and linktype == 127:
            item = ack_receiver(rec)
            if type(item) is str:
                n = ack_ids.get(item)
                if n is None:
                    n = ack_ids[item] = len(templates)
                    templates.append((LEAN_ACK, item))
                index(number)
                ts(ts_ns)
                tid(n)
                continue
        if item is FULL:
            item = decode(rec)
            if item is None:
                continue
        index(number)
        ts(ts_ns)
        tid(_template(chunk, frame_ids, item))


def _pn_column(chunk: Chunk, item: tuple) -> tuple:
    """A protected data frame's PN fields into the chunk's columns; its template key."""
    pn, key_id, tid, seq, mic = item[4]
    chunk.pn.append(pn)
    chunk.pn_meta.append(key_id | (_NO_TID if tid is None else tid) << 2 | seq << 7)
    chunk.mic.append(mic)
    return (*item[:4], True)


def pn_fields(chunk: Chunk) -> Iterator[tuple]:
    """The PN fields of the chunk's LEAN_PN frames, in order (analyzer.dot11.decode.pn_fields)."""
    for pn, meta, mic in zip(chunk.pn, chunk.pn_meta, chunk.mic, strict=True):
        tid = meta >> 2 & 0x1F
        yield pn, meta & 3, None if tid == _NO_TID else tid, meta >> 7, mic


def _template(chunk: Chunk, ids: dict[Any, int], item: Item) -> int:
    """The template id of a decoded item (its counters appended), or _NONE: kept as is."""
    key = None if isinstance(item, Malformed) or _wide(item) else _key(item)
    if key is None:
        chunk.objects.append(item)
        return _NONE
    templates = chunk.templates
    n = ids.get(key)
    if n is None:
        n = ids[key] = len(templates)
        templates.append((SHARED if item.kind in _TEMPLATED else COUNTED, item))
    if item.kind not in _TEMPLATED:
        radio, header = item.radio, item.header
        chunk.tsft.append(_NONE if radio is None or radio.tsft_us is None else radio.tsft_us)
        chunk.seq.append(_NONE if not isinstance(header, MacHeader) or header.seq is None
                         else header.seq)  # fmt: skip
    return n


def _wide(frame: Frame) -> bool:
    """A radiotap TSFT (an unsigned 64-bit field) beyond the chunk's int64 column: the frame
    is kept whole, as one that does not repeat, so it reaches the parent exactly as read."""
    radio = frame.radio
    return radio is not None and radio.tsft_us is not None and radio.tsft_us > INT64_MAX


def _key(frame: Frame) -> Any:
    """What a frame shares with the others of its template; None when it is unhashable."""
    radio, header, kind = frame.radio, frame.header, frame.kind
    signal = (radio.signal_dbm, radio.freq_mhz) if radio is not None else None
    try:
        if kind == Kind.DATA and frame.body is not None:  # its own PN: kept whole
            return None
        if kind == Kind.DATA and isinstance(header, MacHeader):
            key: Any = (kind, frame.interface, signal, header.subtype, header.fc_flags,
                        header.addr1, header.addr2, header.addr3, header.addr4)
        elif kind == Kind.BEACON and isinstance(header, MacHeader) and frame.body is not None:
            key = (kind, frame.interface, signal, header.fc_flags, header.addr1, header.addr2,
                   header.addr3, frame.body.elements)  # type: ignore[union-attr]
        else:  # all but the TSFT (the first radio field) and the sequence number
            if isinstance(header, MacHeader):
                header = header[:_SEQ] + header[_SEQ + 1 :]
            key = (kind, frame.interface, None if radio is None else radio[1:], header,
                   frame.body)
        hash(key)
    except TypeError:
        return None
    return key


# --- parent --------------------------------------------------------------------------------


class ChunkSource(Protocol):
    """Chunks of consecutive byte ranges, in range order; `stop` ends their production (the
    rest is not wanted)."""

    def __iter__(self) -> Iterator[Chunk]: ...

    def stop(self) -> None: ...


def run_parallel(engine: Engine, capture: Capture, jobs: int) -> None:
    """Feed `engine` every relevant item of one opened (not yet iterated) capture 0, in
    capture order, decoded by `jobs` processes; `capture.info` ends as the single-process
    reading leaves it. The parent reads the first ranges itself (`Engine.run_capture`) while
    the workers decode the others, then feeds their results."""
    info = capture.info
    split = None if info.compressed else plan_split(info.path, jobs * CHUNKS_PER_JOB, None,
                                                     LOCAL_CHUNK_BYTES)
    if split is None:
        engine.run_capture(capture)
        return
    capture.close()
    # the parent reads the first ranges itself while the workers start on the others: about
    # 1/(jobs + 2) of the file, as it also feeds the tracker the workers' frames
    own = max(1, len(split.ranges) // (jobs + 2))
    tasks = [(split.path, split.prefix, a, b, engine.lean) for a, b in split.ranges[own:]]
    with _Workers(tasks, jobs) as chunks:
        # the file's first bytes are exactly what the single run reads first: every record fed
        # is one it feeds, whatever damage the reading meets
        head = _read_head(engine, split.path, split.ranges[own - 1][1])
        feed_chunks(engine, info, chunks, head)


def feed_chunks(
    engine: Engine, info: CaptureInfo, chunks: ChunkSource, head: CaptureInfo | None = None
) -> None:
    """Feed `engine` the rest of capture 0 from `chunks` (the ranges after `head`, the reading
    of the file's first bytes already fed by the single-process loop, if any), in capture
    order; `info` (the opened capture's, nothing read yet) ends as the single run leaves it.
    From the first reading not trusted (`good_reading`) on, `chunks` is stopped and the
    single-process reader reads the rest, skipping the records already fed."""
    expected = list(info.warnings), len(info.linktypes)
    fed, trusted = 0, True
    if head is not None:
        fed, trusted = head.frames, good_reading(head, *expected)
        if trusted:
            account(info, head)
    if trusted:
        for chunk in chunks:
            if not good_reading(chunk.info, *expected, info.empty):
                trusted = False
                break
            account(info, chunk.info)
            _feed(engine, chunk, fed)
            fed += chunk.info.frames
    if not trusted:
        chunks.stop()
        _read_rest(engine, info, fed)


def _read_rest(engine: Engine, info: CaptureInfo, fed: int) -> None:
    """The single-process reader after the `fed` records; `info` becomes its reading."""
    with open_capture(info.path) as fresh:
        engine.run_capture(islice(fresh, fed, None))
    for name in CaptureInfo.__slots__:  # type: ignore[attr-defined]
        setattr(info, name, getattr(fresh.info, name))


class _Workers:
    """Processes decoding the tasks round-robin, each sending its chunks through its own queue:
    the parent reads nothing until it wants the next chunk (a Pool's result thread would take
    the GIL from the parent's own loop, and leave the workers blocked on a full pipe)."""

    def __init__(self, tasks: list[Task], jobs: int) -> None:
        ctx = _context()
        jobs = max(1, min(jobs, len(tasks)))
        self._tasks = len(tasks)
        # bounded: a worker ahead of the parent waits, holding at most the chunk it has
        # finished and the one it reads (memory by the chunks in flight, not the file)
        self._queues = [ctx.Queue(QUEUED_CHUNKS) for _ in range(jobs)]
        parent = os.getpid()
        self._procs = [ctx.Process(target=_work, args=(tasks[k::jobs], q, parent), daemon=True)
                       for k, q in enumerate(self._queues)]  # fmt: skip
        with signals_held():
            for proc in self._procs:
                proc.start()

    def __enter__(self) -> _Workers:
        return self

    def __iter__(self) -> Iterator[Chunk]:
        return (self._next(n % len(self._procs)) for n in range(self._tasks))

    def _next(self, k: int) -> Chunk:
        from queue import Empty

        while True:
            try:
                got = self._queues[k].get(timeout=1.0)
            except Empty:
                code = self._procs[k].exitcode
                if code not in (None, 0):
                    raise RuntimeError(f"decoding worker died (exit code {code})") from None
                continue
            if isinstance(got, BaseException):
                raise got
            return got

    def stop(self) -> None:
        for proc in self._procs:
            proc.kill()
        for proc in self._procs:
            proc.join()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        for q in self._queues:
            q.close()


def _work(tasks: list[Task], out: Any, parent: int) -> None:
    bind_to_parent(parent)  # a worker never outlives the parent (SIGTERM, SIGKILL, a crash)
    if hasattr(os, "nice"):
        os.nice(WORKER_NICE)
    try:
        for task in tasks:
            out.put(read_chunk(task))
    except BaseException as exc:  # to the parent, which waits for this worker's next chunk
        out.put(exc)


def _read_head(engine: Engine, path: str, end: int) -> CaptureInfo:
    """Feed the records of the file's first `end` bytes by the single-process loop."""
    with open(path, "rb") as f:
        cap = open_capture(io.BufferedReader(_Head(f, end)), name=path)
        engine.run_capture(cap)
    return cap.info


class _Head(io.RawIOBase):
    """The first `size` bytes of a file."""

    def __init__(self, f: BinaryIO, size: int) -> None:
        super().__init__()
        self._f, self._left = f, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._f.readinto(memoryview(buffer)[: self._left]) or 0
        self._left -= n
        return n


def _feed(engine: Engine, chunk: Chunk, base: int) -> None:
    """The chunk's frames into `engine` in capture order, indices made global: lean fields
    straight to the tracker and inventory as `Engine.run_capture` gives them, the rest as
    items (management and EAPOL frames with their own TSFT and sequence number)."""
    tracker, result = engine.tracker, engine.analysis.captures[0]
    data_seen, beacon_seen = tracker.data_seen, tracker.beacon_seen
    count_beacon = engine.analysis.inventory.count_beacon
    collect, feed = engine.collect, engine.feed
    lean_data, lean_beacon, lean_ack, counted = LEAN_DATA, LEAN_BEACON, LEAN_ACK, COUNTED
    lean_pn = LEAN_PN
    ack_seen = tracker.ack_seen
    templates = chunk.templates
    objects = iter(chunk.objects)
    seqs, tsfts, pns = iter(chunk.seq), iter(chunk.tsft), pn_fields(chunk)
    for index, ts, n in zip(chunk.index, chunk.ts, chunk.tid, strict=True):
        index += base
        if n < 0:
            item: Item = renumbered(next(objects), index)
        else:
            op, t = templates[n]
            if op == lean_data:
                results = data_seen(ts, index, *t)
                if results:
                    collect(results)
                continue
            if op == lean_pn:
                results = data_seen(ts, index, *t, next(pns))
                if results:
                    collect(results)
                continue
            if op == lean_beacon:
                count_beacon(t[0])
                results = beacon_seen(ts, index, *t[1])
                if results:
                    collect(results)
                continue
            if op == lean_ack:
                results = ack_seen(ts, index, t)
                if results:
                    collect(results)
                continue
            item = rebuilt(op == counted, t, index, ts, seqs, tsfts)
        if isinstance(item, Malformed):
            count_malformed(result, item)
        feed(0, item)


def rebuilt(
    counted: bool, t: Frame, index: int, ts: int, seqs: Iterator[int], tsfts: Iterator[int]
) -> Frame:
    """A frame of template `t` at `index`, `ts`; `counted`: with the next TSFT and sequence
    number of the chunk's columns (management, EAPOL and control frames)."""
    radio, header = t.radio, t.header
    if counted:
        seq, tsft = next(seqs), next(tsfts)
        if radio is not None:
            radio = tuple.__new__(Radio, (None if tsft == _NONE else tsft, *radio[1:]))
        seq = None if seq == _NONE else seq
        if isinstance(header, MacHeader) and header.seq != seq:
            header = tuple.__new__(MacHeader, (*header[:_SEQ], seq, *header[_SEQ + 1 :]))
    return tuple.__new__(Frame, (index, ts, t.interface, t.kind, radio, header, t.body))


def renumbered(item: Item, index: int) -> Item:
    return replace(item, index=index) if isinstance(item, Malformed) else item._replace(index=index)


def _context() -> Any:
    import multiprocessing  # here: a file too small to split never starts a process

    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method)


def good_reading(read: CaptureInfo, warnings: list[str], linktypes: int, empty: int = 0
                 ) -> bool:
    """Trust a chunk read from a true boundary that ended cleanly at its end, and whose empty
    records, with the `empty` ones before it, stay below the reader's bound (MAX_EMPTY, which
    only the single reader, counting from the start, can apply exactly)."""
    return (not read.truncated and read.warnings == warnings
            and len(read.linktypes) == linktypes and empty + read.empty < MAX_EMPTY)


def account(info: CaptureInfo, read: CaptureInfo) -> None:
    if read.frames == 0:
        return
    if info.frames == 0:
        info.first_ts_ns = read.first_ts_ns
    info.frames += read.frames
    info.empty += read.empty
    info.last_ts_ns = read.last_ts_ns
