"""`live`: monitor interfaces or pcap/pcapng byte streams into the streaming roam engine.

Each roam and finding goes to the output the moment the engine completes it, and is not kept:
the final summary comes from a tally (analyzer.roam.tally), so memory follows the state, not
the number of roams. The run stops on SIGINT/SIGTERM, `duration_s`, `count`, the end of a
stream or an interface going away, and then reports attempts in progress as incomplete and
closes the pcapng it was writing. Several interfaces or streams are several sensors
(analyzer.run.live_sensors).
"""

from __future__ import annotations

import os
import queue
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from analyzer import _core
from analyzer.capture import CaptureInfo, RawRecord, open_capture
from analyzer.capture.atomic import in_place, publish, temp_name
from analyzer.capture.live import InterfaceStats, LiveInterface
from analyzer.capture.writer import PcapngWriter
from analyzer.config.expectations import Expectations
from analyzer.config.keys import KeyRing
from analyzer.dot11.records import Frame
from analyzer.errors import AnalyzerError
from analyzer.roam.records import Finding, Roam
from analyzer.roam.station import channel_of
from analyzer.roam.tally import RoamTally
from analyzer.roam.tracker import ACK_WAIT_LIVE_NS, Tracker
from analyzer.run.engine import (
    Analysis,
    CaptureResult,
    Engine,
    FrameSink,
    _collect,
    check_linktypes,
    count_malformed,
)
from analyzer.run.live_sensors import LiveSensors, StreamMerge, same_clock

TICK_S = 0.05
FLUSH_S = 0.5
QUEUED = 16_384  # records read ahead per stream (a pipe's beyond are dropped and counted)
BATCH = 4096  # records the compiled core takes from the socket between two ticks
_BEHIND = "the analysis fell behind the stream"


class Output(Protocol):
    def result(self, item: Roam | Finding) -> None: ...
    def warning(self, text: str) -> None: ...
    def status(self, live: LiveStats) -> None: ...


@dataclass(slots=True)
class LiveOptions:
    interfaces: list[str] = field(default_factory=list)
    streams: list[str] = field(default_factory=list)  # "-" or FIFO/file paths, one per sensor
    offsets: dict[str, float] = field(default_factory=dict)  # --offset, by stream name
    write: str | None = None
    ring: tuple[int, int] | None = None  # (files, megabytes each)
    duration_s: float | None = None
    count: int | None = None
    data_latency: bool = False
    expectations: Expectations | None = None
    keys: KeyRing | None = None


@dataclass(slots=True)
class LiveStats:
    """What the run saw: per interface (or the one stream) frames, drops and channels."""

    sources: list[InterfaceStats] = field(default_factory=list)
    stopped_by: str = ""
    started: float = field(default_factory=time.time)
    written: int = 0
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sensor_warnings: list[tuple[int, str]] = field(default_factory=list)

    @property
    def frames(self) -> int:
        return sum(s.frames for s in self.sources)

    @property
    def drops(self) -> int:
        return sum(s.drops for s in self.sources)

    @property
    def behind(self) -> int:
        return sum(s.behind for s in self.sources)

    @property
    def channels(self) -> set[int]:
        return set().union(*(s.channels for s in self.sources)) if self.sources else set()

    def to_dict(self) -> dict[str, Any]:
        return {
            "frames_received": self.frames, "kernel_drops": self.drops,
            "dropped_behind": self.behind,
            "stopped_by": self.stopped_by, "duration_s": round(time.time() - self.started, 3),
            "written": self.written, "files": list(self.files), "warnings": list(self.warnings),
            "sources": [
                {"name": s.name, "linktype": s.linktype, "frames": s.frames, "drops": s.drops,
                 "gone": s.gone, "channels": sorted(s.channels)} for s in self.sources
            ],
        }


class _Interfaces:
    """Monitor interfaces polled together; records in arrival order."""

    def __init__(self, names: list[str], data_headers: bool) -> None:
        import selectors

        self.ifaces: list[LiveInterface] = []
        try:
            for n, name in enumerate(names):
                self.ifaces.append(LiveInterface(name, n, data_headers))
        except BaseException:
            self.close()
            raise
        self._sel = selectors.DefaultSelector()
        for iface in self.ifaces:
            self._sel.register(iface, selectors.EVENT_READ, iface)
        self.stats = [i.stats for i in self.ifaces]
        self.ended = False
        self.damaged = False
        self._next = 1

    def names(self) -> list[str]:
        return [i.stats.name for i in self.ifaces]

    def poll(self, timeout: float) -> Iterator[RawRecord]:
        for key, _ in self._sel.select(timeout):
            iface: LiveInterface = key.data
            for rec in iface.drain(self._next):
                self._next += 1
                yield rec
            if iface.stats.gone:
                self.ended = True

    def drain_into(self, feed: Any, timeout: float, limit: int,
                   write: Callable[[RawRecord], None] | None) -> int:
        """`poll` for the compiled core (one interface): the records go straight from the
        socket into `feed` (analyzer._core LiveCore), at most `limit`; how many."""
        got = 0
        for key, _ in self._sel.select(timeout):
            iface: LiveInterface = key.data
            got += feed.drain(iface.fileno(), iface.stats.linktype, iface.index, iface.stats,
                              limit - got, write)
            if feed.gone:
                iface.stats.gone = True
                self.ended = True
        return got

    def housekeeping(self) -> None:
        for iface in self.ifaces:
            iface.read_drops()

    def close(self) -> None:
        for iface in self.ifaces:
            iface.close()


def _private(path: str) -> str | BinaryIO:
    """stdin as an unbuffered file of its own (a duplicate descriptor): the reading thread,
    left blocked in a read when the run stops with the pipe still open, then holds no lock
    that the interpreter's shutdown needs (sys.stdin's: "Fatal Python error", exit 134)."""
    if path != "-":
        return path
    return os.fdopen(os.dup(sys.stdin.fileno()), "rb", buffering=0)


def _regular(path: str) -> bool:
    """A regular file waits for the analysis; a pipe or FIFO does not (a live source, whose
    records beyond the read-ahead are dropped and counted, like the kernel's)."""
    try:
        st = os.fstat(sys.stdin.fileno()) if path == "-" else os.stat(path)
    except (OSError, ValueError):
        return False
    return stat.S_ISREG(st.st_mode)


def _label(path: str) -> str | None:
    return "<stdin>" if path == "-" else None


class _Stream:
    """A pcap/pcapng byte stream (stdin, FIFO, file) read by a thread, record by record, so
    the main loop stays free to tick, stop on a signal and leave a blocked read behind."""

    def __init__(self, path: str, arrived: threading.Event | None = None,
                 limit: int = 0, drop: bool = False, paced: bool = False) -> None:
        self._q: queue.Queue[Any] = queue.Queue(limit)
        self._drop = drop  # a full read-ahead drops (counted) instead of waiting
        self.paced = paced  # a regular file: its records exist and wait for the analysis
        self._arrived = arrived
        self.info: CaptureInfo | None = None
        self.stats = [InterfaceStats(path, 0)]
        self.ended = False
        self._error: BaseException | None = None
        self._held: RawRecord | None = None
        self._ready = threading.Event()
        threading.Thread(target=self._read, args=(path,), daemon=True).start()

    def _read(self, path: str) -> None:
        try:
            with open_capture(_private(path), name=_label(path)) as capture:
                self.info = capture.info
                check_linktypes(capture.info)
                self._ready.set()
                for rec in capture:
                    self._put(rec)
        except BaseException as exc:  # handed to the main thread
            self._error = exc
        finally:
            self._ready.set()
            self._put(None)

    def _put(self, item: RawRecord | None) -> None:
        if self._drop and item is not None:
            try:
                self._q.put_nowait(item)
            except queue.Full:
                self.stats[0].behind += 1
                return
        else:
            self._q.put(item)
        if self._arrived is not None:
            self._arrived.set()

    def wait_open(self, stop: Callable[[], bool]) -> None:
        while not self._ready.wait(TICK_S):
            if stop():
                return
        if self._error is not None:
            raise self._error

    @property
    def damaged(self) -> bool:
        return self.info is not None and self.info.truncated

    def names(self) -> list[str]:
        return [self.stats[0].name]

    def poll(self, timeout: float) -> Iterator[RawRecord]:
        item, self._held = self._held, None
        if item is None and not self.ended:
            try:
                item = self._q.get(timeout=timeout)
            except queue.Empty:
                return
        for _ in range(4096):
            if item is None:
                self.ended = True
                return
            self._account(item)
            yield item
            try:
                item = self._q.get_nowait()
            except queue.Empty:
                return
        self._held = item  # a full batch: the next poll starts with it

    def take(self) -> RawRecord | None:
        """The next record if one is waiting, without blocking (merged streams)."""
        if self.ended:
            return None
        try:
            item = self._q.get_nowait()
        except queue.Empty:
            return None
        if item is None:
            self.ended = True
            return None
        self._account(item)
        return item

    def _account(self, rec: RawRecord) -> None:
        stats = self.stats[0]
        stats.frames += 1
        stats.bytes += len(rec.data)
        if self.info is not None and self.info.linktypes:
            stats.linktype = self.info.linktypes[0]

    def housekeeping(self) -> None:
        return None

    def close(self) -> None:
        return None


class Recorder:
    """What the run kept, as pcapng; with a ring, `files` of `megabytes` each, oldest deleted.
    Each file is written under a hidden temporary name beside it and renamed to its real name
    when it is closed (full, or at the end of the run, however it ends): a file under a real
    name is a complete pcapng, and one that existed is replaced only then."""

    def __init__(self, path: str, ring: tuple[int, int] | None, names: list[str]) -> None:
        self.path = Path(path)
        self.ring = ring
        self.names = names
        self.files: list[str] = []
        self.count = 0
        self._seq = 0
        self._file: BinaryIO | None = None
        self._target: tuple[str, str] | None = None  # (temporary, real name) of the open file
        self._open()

    def _open(self) -> None:
        self._seq += 1
        name = self.path
        if self.ring is not None:
            name = self.path.with_name(f"{self.path.stem}_{self._seq:05d}{self.path.suffix}")
        tmp = str(name) if in_place(str(name)) else temp_name(str(name))
        self._target = (tmp, str(name))
        self._file = open(tmp, "wb")  # noqa: SIM115 - closed in rotate/close
        self._writer = PcapngWriter(self._file)
        self._ifaces: dict[int, int] = {}
        self.files.append(str(name))
        if self.ring is not None and len(self.files) > self.ring[0]:
            Path(self.files.pop(0)).unlink(missing_ok=True)

    def write(self, rec: RawRecord) -> None:
        iface = self._ifaces.get(rec.interface)
        if iface is None:
            name = self.names[rec.interface] if rec.interface < len(self.names) else None
            iface = self._ifaces[rec.interface] = self._writer.add_interface(rec.linktype, name)
        self._writer.write(iface, rec.ts_ns, rec.data, rec.orig_len)
        self.count += 1
        if self.ring is not None and self._file is not None:
            if self._file.tell() >= self.ring[1] << 20:
                self._close_file()
                self._open()

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._target is not None:
            tmp, name = self._target
            self._target = None
            if tmp != name:
                publish(tmp, name)

    def close(self) -> None:
        self._close_file()


class _Stop:
    """SIGINT/SIGTERM/SIGHUP set a reason; the loop notices within one tick."""

    def __init__(self) -> None:
        self.reason = ""
        self._old: dict[int, Any] = {}

    def __call__(self) -> bool:
        return bool(self.reason)

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is not None:
                self._old[sig] = signal.signal(sig, self._handler)

    def _handler(self, signum: int, _frame: object) -> None:
        self.reason = signal.Signals(signum).name

    def restore(self) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def run_live(options: LiveOptions, output: Output) -> tuple[Analysis, LiveStats]:
    """Capture until stopped; every result goes to `output` as it completes."""
    stop = _Stop()
    stop.install()
    try:
        return _run(options, output, stop)
    finally:
        stop.restore()


Source = _Interfaces | _Stream | StreamMerge


def _run(options: LiveOptions, output: Output, stop: _Stop) -> tuple[Analysis, LiveStats]:
    source = _open_source(options, stop)
    stats = LiveStats(source.stats)
    sensors = _sensors(source)
    recorder = None
    try:
        if options.write:
            recorder = Recorder(options.write, options.ring, source.names())
        hear = _hear(stats)
        compiled = _compiled(source, sensors)
        engine = _engine(options, stats, output, sensors, [] if compiled else [hear])
        handle = engine.record if sensors is None else sensors.feeder(engine)
        feed = None
        if compiled is not None and engine.lean:
            feed = compiled.LiveCore(engine, hear, _collect, count_malformed)
        _loop(source, engine, handle, recorder, options, stop, output, stats, feed)
        analysis = engine.finish()
        if sensors is not None:
            analysis.findings.extend(sensors.timeline.unaligned)
            analysis.sensors = sensors.report()
        return analysis, stats
    finally:
        source.close()
        if recorder is not None:
            recorder.close()
            stats.written, stats.files = recorder.count, recorder.files


def _open_source(options: LiveOptions, stop: _Stop) -> Source:
    if options.offsets and options.interfaces:
        raise AnalyzerError("--offset is for several -r streams: interfaces share the host's "
                            "clock")
    if len(options.streams) > 1:
        return _merge_streams(options, stop)
    if options.offsets:
        raise AnalyzerError("--offset is for several -r streams (one per sensor)")
    if options.streams:
        path = options.streams[0]
        stream = _Stream(path, limit=QUEUED, drop=not _regular(path))
        stream.wait_open(stop)
        return stream
    if not options.interfaces:
        raise AnalyzerError("live needs -i INTERFACE or -r STREAM")
    return _Interfaces(options.interfaces, options.data_latency)


def _merge_streams(options: LiveOptions, stop: _Stop) -> StreamMerge:
    from analyzer.run.sensors import resolve_offsets

    paths = options.streams
    if paths.count("-") > 1:
        raise AnalyzerError("-r -: stdin can be only one of the streams")
    overrides = resolve_offsets(paths, options.offsets)
    arrived = threading.Event()
    streams = [_Stream(p, arrived, QUEUED, paced=_regular(p)) for p in paths]
    for stream in streams:
        stream.wait_open(stop)
    return StreamMerge(streams, [s.stats[0].name for s in streams], overrides, arrived)


def _sensors(source: Source) -> LiveSensors | None:
    """Several sources are several sensors; one source is analysed as before."""
    if isinstance(source, StreamMerge):
        return LiveSensors(len(source.stats), lambda: source.clocks)
    if isinstance(source, _Interfaces) and len(source.stats) > 1:
        clocks = same_clock(source.names())
        return LiveSensors(len(clocks), lambda: clocks)
    return None


def _compiled(source: Source, sensors: LiveSensors | None) -> Any:
    """The compiled core when it reads this source: one interface, read in batches (Linux);
    else None (the records go through Engine.record)."""
    compiled = _core.core()
    if compiled is None or sensors is not None or not isinstance(source, _Interfaces):
        return None
    if len(source.ifaces) != 1 or not getattr(compiled, "live_batches", lambda: False)():
        return None
    return compiled


def _hear(stats: LiveStats) -> FrameSink:
    """The frame sink that notes the channels each interface hears."""

    def hear(n: int, frame: Frame) -> None:
        radio = frame.radio
        if radio is not None and radio.freq_mhz:
            channel = channel_of(radio.freq_mhz)
            if channel is not None:
                stats.sources[n].channels.add(channel)

    return hear


def _engine(options: LiveOptions, stats: LiveStats, output: Output,
            sensors: LiveSensors | None, sinks: list[FrameSink]) -> Engine:
    infos = [CaptureResult(CaptureInfo(path=s.name, format="live", linktypes=[s.linktype]))
             for s in stats.sources]
    tracker = Tracker(await_data=bool(options.streams) or options.data_latency,
                      ack_wait_s=ACK_WAIT_LIVE_NS / 1e9)

    def on_result(item: Roam | Finding) -> None:
        output.result(item)
        if isinstance(item, Roam):
            _check_channel(item, stats, output)
        if sensors is not None:
            for finding in sensors.result(item):
                output.result(finding)

    return Engine(Analysis(infos, tally=RoamTally()), sinks, tracker, on_result,
                  options.expectations, options.keys)


def _check_channel(roam: Roam, stats: LiveStats, output: Output) -> None:
    heard = stats.channels
    target = roam.channel_to
    if not heard or target is None or target in heard:
        return
    text = (f"roam {roam.id} {roam.sta} -> {roam.to_bssid}: the target AP is on channel "
            f"{target}, which no interface covers (heard: {', '.join(map(str, sorted(heard)))})")
    stats.warnings.append(text)
    output.warning(text)


@dataclass(slots=True)
class _Taken:
    """What the loop took so far: records, the first and last record's time, and when (on
    the monotonic clock) the last one came."""

    received: int = 0
    first_ts: int = 0
    last_ts: int = 0
    last_mono: float = field(default_factory=time.monotonic)

    def got(self, count: int, first_ts: int, last_ts: int) -> None:
        self.received += count
        self.first_ts = self.first_ts or first_ts
        self.last_ts, self.last_mono = last_ts, time.monotonic()


def _take(source: Source, record: Callable[[int, RawRecord], None],
          recorder: Recorder | None, taken: _Taken, limit: int | None) -> None:
    """One poll's records, each written (when recording) and handed to `record`."""
    for rec in source.poll(TICK_S):
        if recorder is not None:
            recorder.write(rec)
        record(rec.interface, rec)
        taken.got(1, rec.ts_ns, rec.ts_ns)
        if limit is not None and taken.received >= limit:
            return


def _take_compiled(source: _Interfaces, feed: Any, recorder: Recorder | None, taken: _Taken,
                   limit: int | None) -> None:
    """`_take` by the compiled core: the records go from the socket into `feed`."""
    want = BATCH if limit is None else min(BATCH, limit - taken.received)
    got = source.drain_into(feed, TICK_S, want, None if recorder is None else recorder.write)
    if got:
        taken.got(got, feed.first_ts, feed.last_ts)


def _loop(source: Source, engine: Engine, record: Callable[[int, RawRecord], None],
          recorder: Recorder | None, options: LiveOptions, stop: _Stop, output: Output,
          stats: LiveStats, feed: Any = None) -> None:
    deadline = None if options.duration_s is None else time.monotonic() + options.duration_s
    limit = options.count
    taken = _Taken()
    next_flush = time.monotonic()
    while not stop():
        if feed is not None and isinstance(source, _Interfaces):
            _take_compiled(source, feed, recorder, taken, limit)
        else:
            _take(source, record, recorder, taken, limit)
        if limit is not None and taken.received >= limit:
            stop.reason = "count"
        now = time.monotonic()
        if taken.last_ts:
            engine.tick(taken.last_ts + int((now - taken.last_mono) * 1e9))
        if now >= next_flush:
            next_flush = now + FLUSH_S
            _housekeeping(source, recorder, output, stats)
        if source.ended and not stop():
            stop.reason = "interface gone" if isinstance(source, _Interfaces) else "end of stream"
        if deadline is not None and now >= deadline and not stop():
            stop.reason = "duration"
    stats.stopped_by = stop.reason
    if isinstance(source, StreamMerge):
        source.finish()
    _housekeeping(source, recorder, output, stats)
    captures = engine.analysis.captures
    for result, seen in zip(captures, stats.sources, strict=True):
        result.info.frames = seen.frames
        result.info.first_ts_ns = taken.first_ts or None
        result.info.last_ts_ns = taken.last_ts or None
    if isinstance(source, _Stream) and source.info is not None:
        captures[0].info = source.info
    if isinstance(source, StreamMerge):
        _stream_infos(source, captures, stats)


def _stream_infos(merge: StreamMerge, captures: list[CaptureResult], stats: LiveStats) -> None:
    """Each stream's own reading, with the sensor warnings it got."""
    for n, stream in enumerate(merge.streams):
        if stream.info is not None:
            captures[n].info = stream.info
    for n, text in stats.sensor_warnings:
        captures[n].info.warnings.append(text)


def _housekeeping(source: Source, recorder: Recorder | None, output: Output,
                  stats: LiveStats) -> None:
    if isinstance(source, StreamMerge):
        for n, text in source.warnings:
            stats.warnings.append(text)
            stats.sensor_warnings.append((n, text))
            output.warning(text)
        source.warnings.clear()
    source.housekeeping()
    if stats.behind and not any(w.startswith(_BEHIND) for w in stats.warnings):
        text = (f"{_BEHIND} (read-ahead of {QUEUED} records full): records are being "
                "dropped, counted in dropped_behind")
        stats.warnings.append(text)
        output.warning(text)
    if recorder is not None:
        recorder.flush()
    output.status(stats)
