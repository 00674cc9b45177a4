"""pcapng: sections in either byte order, interfaces with any if_tsresol, EPB/SPB/PB."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import BinaryIO, NamedTuple

from .pcap import (
    CHUNK,
    MAX_RECORD,
    Prime,
    Records,
    count_empty,
    mark_truncated,
    read_exact,
    warn,
)
from .records import CaptureInfo, RawRecord

SHB_MAGIC = b"\x0a\x0d\x0d\x0a"
SHB = 0x0A0D0D0A
IDB, PB, SPB, EPB = 1, 2, 3, 6
MAX_BLOCK = MAX_RECORD
_BOM = {struct.pack("<I", 0x1A2B3C4D): "<", struct.pack(">I", 0x1A2B3C4D): ">"}
_OPT_TSRESOL, _OPT_TSOFFSET = 9, 14
_NS = 1_000_000_000
TS_MIN, TS_MAX = -(1 << 63), (1 << 63) - 1  # what int64 nanoseconds hold


class _Layout(NamedTuple):
    head: struct.Struct
    word: struct.Struct
    epb: struct.Struct
    pb: struct.Struct
    idb: struct.Struct
    opt: struct.Struct
    i64: struct.Struct


_LAYOUTS = {
    e: _Layout(
        struct.Struct(e + "II"),
        struct.Struct(e + "I"),
        struct.Struct(e + "IIIII"),
        struct.Struct(e + "HHIIII"),
        struct.Struct(e + "HHI"),
        struct.Struct(e + "HH"),
        struct.Struct(e + "q"),
    )
    for e in "<>"
}


class Interface(NamedTuple):
    linktype: int
    gid: int
    snaplen: int
    mul: int
    shift: int
    div: int
    off: int


def ts_params(tsresol: int, offset_s: int) -> tuple[int, int, int, int]:
    """(mul, shift, div, offset_ns) such that ts_ns = ((ts * mul) >> shift) // div + offset_ns."""
    n = tsresol & 0x7F
    if tsresol & 0x80:
        return _NS, n, 1, offset_s * _NS
    if n <= 9:
        return 10 ** (9 - n), 0, 1, offset_s * _NS
    return 1, 0, 10 ** (n - 9), offset_s * _NS


def parse_idb(body: bytes, lay: _Layout, gid: int) -> Interface:
    """body: the block after its 8-byte header, trailer included."""
    linktype, _reserved, snaplen = lay.idb.unpack_from(body, 0)
    tsresol, offset_s = 6, 0
    pos, end = 8, len(body) - 4
    while pos + 4 <= end:
        code, length = lay.opt.unpack_from(body, pos)
        value = body[pos + 4 : pos + 4 + length]
        if code == 0 or len(value) < length:
            break
        if code == _OPT_TSRESOL and length >= 1:
            tsresol = value[0]
        elif code == _OPT_TSOFFSET and length == 8:
            offset_s = lay.i64.unpack(value)[0]
        pos += 4 + ((length + 3) & ~3)
    return Interface(linktype, gid, snaplen, *ts_params(tsresol, offset_s))


def _bad_length(blen: int) -> bool:
    return blen < 12 or blen & 3 != 0 or blen > MAX_BLOCK


def read_pcapng(stream: BinaryIO, info: CaptureInfo, on_end: Callable[[], None]) -> Records:
    """Yield None once the first section's interfaces are read, then every packet."""
    try:
        yield from _blocks(stream, info)
    finally:
        on_end()


def _blocks(stream: BinaryIO, info: CaptureInfo) -> Records:
    read = stream.read
    tnew = tuple.__new__
    rr = RawRecord
    lay = _LAYOUTS["<"]
    head_unpack, epb_unpack = lay.head.unpack, lay.epb.unpack_from
    ifaces: list[Interface] = []
    index = offset = last_ts = 0
    primed = False
    while True:
        head = read(8)
        if len(head) < 8:
            if head:
                _stop(info, True, offset, index, "block header")
            break
        if head[:4] == SHB_MAGIC:
            bom = read_exact(read, 4)
            endian = _BOM.get(bom)
            if endian is None:
                _stop(info, len(bom) < 4, offset, index, "section header byte-order magic")
                break
            lay = _LAYOUTS[endian]
            head_unpack, epb_unpack = lay.head.unpack, lay.epb.unpack_from
            blen = head_unpack(head)[1]
            if _bad_length(blen) or blen < 28:
                _stop(info, False, offset, index, f"section header length {blen}")
                break
            body = read_exact(read, blen - 12)
            if len(body) < blen - 12 or body[-4:] != head[4:]:
                _stop(info, len(body) < blen - 12, offset, index, "section header")
                break
            ifaces = []
            offset += blen
            continue
        btype, blen = head_unpack(head)
        if _bad_length(blen):
            _stop(info, False, offset, index, f"block length {blen}")
            break
        body = read(blen - 8) if blen <= CHUNK else read_exact(read, blen - 8)
        if len(body) < blen - 8 or body[-4:] != head[4:]:
            _stop(info, len(body) < blen - 8, offset, index, f"block type {btype:#x}")
            break
        if btype == IDB:
            if blen < 20:
                mark_truncated(info, f"corrupt interface block at byte {offset} skipped")
            else:
                ifaces.append(parse_idb(body, lay, len(info.linktypes)))
                info.linktypes.append(ifaces[-1].linktype)
            offset += blen
            continue
        if not primed:
            primed = True
            yield Prime
        if btype == EPB and blen >= 32:
            iface_id, hi, lo, caplen, olen = epb_unpack(body, 0)
            room = blen - 32
        elif btype == SPB and blen >= 16 and ifaces:
            iface_id, hi, lo = 0, -1, 0
            olen = lay.word.unpack_from(body, 0)[0]
            caplen = room = min(olen, blen - 16, ifaces[0].snaplen or olen)
        elif btype == PB and blen >= 32:
            iface_id, _drops, hi, lo, caplen, olen = lay.pb.unpack_from(body, 0)
            room = blen - 32
        else:
            if btype in (EPB, SPB, PB):
                mark_truncated(info, f"unusable packet block {btype} at byte {offset} skipped")
            offset += blen
            continue
        if caplen > room or iface_id >= len(ifaces):
            mark_truncated(info, f"packet block at byte {offset}: bad length or interface, "
                                 "skipped")
            offset += blen
            continue
        if not caplen and count_empty(info, index + 1, offset):
            break
        linktype, gid, _snaplen, mul, shift, div, off = ifaces[iface_id]
        start = 4 if btype == SPB else 20
        data = body[start : start + caplen]
        if hi >= 0:
            ts = last_ts = (((hi << 32 | lo) * mul) >> shift) // div + off
            if not TS_MIN <= ts <= TS_MAX:
                ts = last_ts = _clamp(info, ts, offset, index + 1)
        else:
            ts = last_ts
        index += 1
        offset += blen
        info.frames = index
        info.last_ts_ns = ts
        if index == 1:
            info.first_ts_ns = ts
        yield tnew(rr, (index, ts, linktype, data, gid, olen))
    if not primed:
        yield Prime


def _clamp(info: CaptureInfo, ts: int, offset: int, index: int) -> int:
    """A timestamp beyond what 64-bit nanoseconds hold (years 1677 to 2262: a corrupt or
    bit-flipped one) is clamped to that range, with a warning: every path (one process,
    `--jobs`, Dask, `merge`, `live --write`) then carries the same value."""
    edge = TS_MIN if ts < TS_MIN else TS_MAX
    warn(info, f"packet {index} at byte {offset}: timestamp {ts} ns out of range, "
               f"clamped to {edge} ns")
    return edge


def _stop(info: CaptureInfo, short: bool, offset: int, index: int, what: str) -> None:
    where = f"at byte {offset} (after record {index})"
    if short:
        mark_truncated(info, f"file ends inside {what} {where}")
    else:
        mark_truncated(info, f"corrupt {what} {where}")
