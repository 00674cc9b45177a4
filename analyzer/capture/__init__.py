"""Capture layer: a file, a gzip-compressed file or a stream in, RawRecords out."""

from __future__ import annotations

import io
import os
import sys
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from analyzer import _core
from analyzer.errors import CaptureError

from .pcap import MAGICS, Records, read_exact, read_pcap, warn
from .pcapng import SHB_MAGIC, read_pcapng
from .records import CaptureInfo, RawRecord

__all__ = ["Capture", "CaptureInfo", "RawRecord", "open_capture"]

GZIP_MAGIC = b"\x1f\x8b"
_BUFFER = 1 << 16
_STREAM_ERRORS = (OSError, EOFError, zlib.error)  # gzip.BadGzipFile is an OSError


class _Prefixed(io.RawIOBase):
    """A read-only raw stream: already-read head bytes, then the rest of `inner`.

    A read error from `inner` (a cut gzip stream, an I/O error) ends the stream and is kept
    in `error` so the reader can report a truncated capture instead of raising.
    """

    def __init__(self, head: bytes, inner: BinaryIO) -> None:
        super().__init__()
        self._head = head
        self._inner = inner
        self.error: str | None = None
        self._read1 = getattr(inner, "read1", None)
        self._readinto = None if self._read1 else getattr(inner, "readinto", None)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(self._head), len(buffer))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        if self.error is not None:
            return 0
        try:
            if self._readinto is not None:
                return self._readinto(buffer) or 0
            data = (self._read1 or self._inner.read)(len(buffer))
        except _STREAM_ERRORS as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            return 0
        buffer[: len(data)] = data
        return len(data)


class Capture:
    """An opened capture: `info` is filled as the (single-pass) iteration goes."""

    __slots__ = ("info", "_records", "_close")

    def __init__(self, info: CaptureInfo, records: Records, close: Callable[[], None]) -> None:
        self.info = info
        self._records = records
        self._close = close

    def __iter__(self) -> Iterator[RawRecord]:
        return self._records  # type: ignore[return-value]

    def close(self) -> None:
        self._records.close()
        self._close()

    def __enter__(self) -> Capture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Capture({self.info!r})"


def _open_source(source: str | os.PathLike | BinaryIO, name: str | None) -> tuple:
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if path == "-":
            return sys.stdin.buffer, name or "<stdin>", False
        label = name or str(path)
        try:
            return open(path, "rb", buffering=0), label, True  # readers read straight into theirs
        except FileNotFoundError:
            raise CaptureError(f"{label}: no such file") from None
        except IsADirectoryError:
            raise CaptureError(f"{label}: is a directory, not a capture file") from None
        except OSError as exc:
            raise CaptureError(f"{label}: cannot open ({exc.strerror or exc})") from None
    label = getattr(source, "name", None)
    return source, name or (label if isinstance(label, str) else "<stream>"), False


def _peek(stream: BinaryIO, label: str) -> tuple[bytes, _Prefixed]:
    try:
        head = read_exact(stream.read, 4)
    except _STREAM_ERRORS as exc:
        raise CaptureError(f"{label}: cannot read ({type(exc).__name__}: {exc})") from None
    return head, _Prefixed(head, stream)


def _describe(head: bytes) -> str:
    if not head:
        return "the file is empty"
    if len(head) < 4:
        return f"only {len(head)} bytes"
    return f"unknown magic {head.hex(' ')}"


def open_capture(source: str | os.PathLike | BinaryIO, name: str | None = None) -> Capture:
    """Open a pcap or pcapng file, path or stream ("-" is stdin), gzip-compressed or not.

    The header is read now, so an unreadable or unknown source raises CaptureError here;
    iterating never raises for damaged data: it stops and sets `info.truncated`.
    """
    stream, label, owned = _open_source(source, name)
    sources: list[_Prefixed] = []
    try:
        head, raw = _peek(stream, label)
        sources.append(raw)
        compressed = head[:2] == GZIP_MAGIC
        if compressed:
            import gzip  # here: most captures are not compressed

            head, raw = _peek(gzip.GzipFile(fileobj=raw, mode="rb"), label)
            sources.append(raw)
        if head in MAGICS:
            fmt, reader = "pcap", read_pcap
        elif head == SHB_MAGIC:
            fmt, reader = "pcapng", read_pcapng
        else:
            inside = " inside gzip" if compressed else ""
            raise CaptureError(f"{label}: not a pcap or pcapng capture ({_describe(head)}{inside})")
    except BaseException:
        if owned:
            stream.close()
        raise
    info = CaptureInfo(path=label, format=fmt, compressed=compressed)
    close = stream.close if owned else _nothing

    def on_end() -> None:
        for src in sources:
            if src.error is not None:
                info.truncated = True
                warn(info, f"stream broken after record {info.frames}: {src.error}")
                break
        close()

    # The compiled readers when built and not switched off; a gzip stream keeps the Python
    # readers, whose read sizes decide whether a broken stream's tail is reached at all.
    compiled = None if compressed else _core.core()
    if compiled is not None:  # reads into its own buffer: no Python buffer between
        reader = compiled.pcap_records if fmt == "pcap" else compiled.pcapng_records
        records = reader(raw, info, on_end)
    else:
        records = reader(io.BufferedReader(raw, _BUFFER), info, on_end)
    next(records)
    return Capture(info, records, close)


def _nothing() -> None:
    return None
