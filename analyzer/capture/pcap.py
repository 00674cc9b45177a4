"""Classic pcap: both byte orders, microsecond and nanosecond magic, streamed in chunks."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import BinaryIO

from .records import CaptureInfo, RawRecord

MAGIC_US = 0xA1B2C3D4
MAGIC_NS = 0xA1B23C4D
MAGICS = {
    struct.pack("<I", MAGIC_US): ("<", False),
    struct.pack(">I", MAGIC_US): (">", False),
    struct.pack("<I", MAGIC_NS): ("<", True),
    struct.pack(">I", MAGIC_NS): (">", True),
}
MAX_RECORD = 0x4000000
SANE_SNAPLEN = 262144
CHUNK = 1 << 20
MAX_WARNINGS = 100
MAX_EMPTY = 1_000_000  # records of no byte read before a capture is taken for garbage

_REC = {"<": struct.Struct("<IIII"), ">": struct.Struct(">IIII")}
_HDR = {"<": struct.Struct("<HHiIII"), ">": struct.Struct(">HHiIII")}

Prime = None
Records = Iterator["RawRecord | None"]


def warn(info: CaptureInfo, msg: str) -> None:
    if len(info.warnings) < MAX_WARNINGS:
        info.warnings.append(msg)
    elif len(info.warnings) == MAX_WARNINGS:
        info.warnings.append("further warnings suppressed")


def mark_truncated(info: CaptureInfo, msg: str) -> None:
    info.truncated = True
    warn(info, msg)


def read_exact(read: Callable[[int], bytes], n: int) -> bytes:
    """Up to `n` bytes, asked for CHUNK at a time: a length that lies costs what is there."""
    parts = []
    have = 0
    while have < n:
        more = read(min(n - have, CHUNK))
        if not more:
            break
        parts.append(more)
        have += len(more)
    return b"".join(parts)


def record_limit(snaplen: int) -> int:
    if 0 < snaplen <= MAX_RECORD:
        return max(snaplen, SANE_SNAPLEN)
    return MAX_RECORD


def _fill(buf: bytes, pos: int, read1: Callable[[int], bytes], need: int) -> bytes:
    parts = [buf[pos:]]
    have = len(parts[0])
    while have < need:
        more = read1(CHUNK)  # never more: `need` comes from a length field in the file
        if not more:
            break
        parts.append(more)
        have += len(more)
    return b"".join(parts)


def _header(stream: BinaryIO, info: CaptureInfo) -> tuple[str, int, int, int] | None:
    header = read_exact(stream.read, 24)
    if len(header) < 24:
        mark_truncated(info, f"file ends inside the pcap header ({len(header)} of 24 bytes)")
        return None
    endian, nano = MAGICS[header[:4]]
    _major, _minor, _zone, _sigfigs, snaplen, network = _HDR[endian].unpack_from(header, 4)
    linktype = network & 0x03FFFFFF
    info.linktypes = [linktype]
    return endian, 1 if nano else 1000, linktype, record_limit(snaplen)


def read_pcap(stream: BinaryIO, info: CaptureInfo, on_end: Callable[[], None]) -> Records:
    """Yield None once the header is read, then every complete record."""
    try:
        header = _header(stream, info)
        yield Prime
        if header is None:
            return
        endian, fmul, linktype, limit = header
        read1 = getattr(stream, "read1", stream.read)
        unpack_from = _REC[endian].unpack_from
        tnew = tuple.__new__
        rr = RawRecord
        struct_error = struct.error
        buf = b""
        pos = n = index = 0
        base = 24
        while True:
            try:
                sec, frac, caplen, olen = unpack_from(buf, pos)
            except struct_error:
                base += pos
                buf = _fill(buf, pos, read1, 16)
                pos, n = 0, len(buf)
                if n < 16:
                    if n:
                        mark_truncated(info, f"file ends inside record {index + 1} at byte {base}")
                    return
                sec, frac, caplen, olen = unpack_from(buf, 0)
            if caplen > limit:
                _corrupt(info, index + 1, base + pos, caplen, limit)
                return
            stop = pos + 16 + caplen
            if stop > n:
                base += pos
                buf = _fill(buf, pos, read1, 16 + caplen)
                pos, n, stop = 0, len(buf), 16 + caplen
                if n < stop:
                    mark_truncated(info, f"file ends inside record {index + 1} at byte {base}")
                    return
            if not caplen and count_empty(info, index, base + pos):
                return
            data = buf[pos + 16 : stop]
            pos = stop
            index += 1
            ts = sec * 1_000_000_000 + frac * fmul
            info.frames = index
            info.last_ts_ns = ts
            if index == 1:
                info.first_ts_ns = ts
            yield tnew(rr, (index, ts, linktype, data, 0, olen))
    finally:
        on_end()


def count_empty(info: CaptureInfo, index: int, offset: int) -> bool:
    """Count an empty record; True (the capture marked damaged) at the MAX_EMPTY + 1st: a
    file of zeros (a gzip of them costs nothing to send) is not read for hours."""
    if info.empty < MAX_EMPTY:
        info.empty += 1
        return False
    mark_truncated(info, f"{info.empty} empty records (no byte captured) by record {index} "
                         f"at byte {offset}: not a real capture, the rest is not read")
    return True


def _corrupt(info: CaptureInfo, index: int, offset: int, caplen: int, limit: int) -> None:
    mark_truncated(
        info, f"corrupt record {index} at byte {offset}: captured length {caplen} exceeds {limit}"
    )
