"""Little-endian pcap and pcapng writers (what Wireshark and tshark read)."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable
from typing import BinaryIO, Literal

from .pcap import MAGIC_NS, MAGIC_US

_NS = 1_000_000_000
_PCAP_HEADER = struct.Struct("<IHHiIII")
_PCAP_RECORD = struct.Struct("<IIII")
_BLOCK_HEAD = struct.Struct("<II")
_EPB_HEAD = struct.Struct("<IIIIIII")
_OPT = struct.Struct("<HH")
_APP = b"wifi-roam-analyzer"
U64_MAX = (1 << 64) - 1
TWIN_OFFSET_S = -(1 << 63) // _NS - 1  # a little before the earliest int64-nanosecond time


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) & 3)


def _option(code: int, value: bytes) -> bytes:
    return _OPT.pack(code, len(value)) + _pad(value)


def _block(btype: int, body: bytes) -> bytes:
    total = len(body) + 12
    return _BLOCK_HEAD.pack(btype, total) + body + struct.pack("<I", total)


class _Writer:
    def __init__(self, fileobj: BinaryIO) -> None:
        self._write = fileobj.write
        self._file = fileobj
        self.count = 0

    def flush(self) -> None:
        self._file.flush()

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()


class PcapWriter(_Writer):
    """Classic pcap; ns-resolution magic unless nanosecond=False."""

    def __init__(
        self,
        fileobj: BinaryIO,
        linktype: int = 127,
        nanosecond: bool = True,
        snaplen: int = 262144,
    ) -> None:
        super().__init__(fileobj)
        self.snaplen = snaplen
        self._unit = 1 if nanosecond else 1000
        magic = MAGIC_NS if nanosecond else MAGIC_US
        self._write(_PCAP_HEADER.pack(magic, 2, 4, 0, 0, snaplen, linktype))

    def __enter__(self) -> PcapWriter:
        return self

    def write(self, ts_ns: int, data: bytes, orig_len: int | None = None) -> None:
        sec, frac = divmod(ts_ns, _NS)
        length = len(data) if orig_len is None else max(orig_len, len(data))
        data = data[: self.snaplen]
        self._write(_PCAP_RECORD.pack(sec, frac // self._unit, len(data), length) + data)
        self.count += 1


class PcapngWriter(_Writer):
    """One little-endian section; add interfaces, then write Enhanced Packet Blocks.

    An EPB timestamp is unsigned: a record before 1970 (legal in pcapng, through a negative
    `if_tsoffset`) goes to a twin of its interface, added on first need, whose `if_tsoffset`
    is TWIN_OFFSET_S, so any 64-bit nanosecond time is written as it was read."""

    def __init__(self, fileobj: BinaryIO) -> None:
        super().__init__(fileobj)
        self._ifaces: list[tuple[int, int]] = []
        self._specs: list[tuple[int, str | None, bool, int]] = []
        self._twins: dict[int, int] = {}
        shb = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + _option(4, _APP) + _option(0, b"")
        self._write(_block(0x0A0D0D0A, shb))

    def __enter__(self) -> PcapngWriter:
        return self

    def add_interface(
        self,
        linktype: int,
        name: str | None = None,
        tsresol_ns: bool = True,
        snaplen: int = 262144,
        tsoffset_s: int = 0,
    ) -> int:
        options = b""
        if name is not None:
            options += _option(2, name.encode())
        if tsresol_ns:
            options += _option(9, b"\x09")
        if tsoffset_s:
            options += _option(14, struct.pack("<q", tsoffset_s))
        if options:
            options += _option(0, b"")
        self._write(_block(1, struct.pack("<HHI", linktype, 0, snaplen) + options))
        self._ifaces.append((1 if tsresol_ns else 1000, snaplen))
        self._specs.append((linktype, name, tsresol_ns, tsoffset_s))
        return len(self._ifaces) - 1

    def write(
        self,
        interface: int,
        ts_ns: int,
        data: bytes,
        orig_len: int | None = None,
        comments: Iterable[str] = (),
    ) -> None:
        """One Enhanced Packet Block; each of `comments` is one opt_comment option (UTF-8)."""
        if not 0 <= interface < len(self._ifaces):
            raise ValueError(f"interface {interface} was not added")
        offset_s = self._specs[interface][3]
        if ts_ns < offset_s * _NS:
            interface = self._twin(interface)
            offset_s = self._specs[interface][3]
        unit, snaplen = self._ifaces[interface]
        length = len(data) if orig_len is None else max(orig_len, len(data))
        data = data[:snaplen]
        ts = min((ts_ns - offset_s * _NS) // unit, U64_MAX)
        options = b"".join(_option(1, c.encode()) for c in comments)
        if options:
            options += _option(0, b"")
        total = 32 + len(data) + (-len(data) & 3) + len(options)
        head = _EPB_HEAD.pack(6, total, interface, ts >> 32, ts & 0xFFFFFFFF, len(data), length)
        self._write(head + _pad(data) + options + struct.pack("<I", total))
        self.count += 1


    def _twin(self, interface: int) -> int:
        twin = self._twins.get(interface)
        if twin is None:
            linktype, name, tsresol_ns, _ = self._specs[interface]
            snaplen = self._ifaces[interface][1]
            twin = self.add_interface(linktype, name, tsresol_ns, snaplen, TWIN_OFFSET_S)
            self._twins[interface] = self._twins[twin] = twin
        return twin


def write_capture(
    path: str | os.PathLike,
    frames: Iterable[tuple[int, bytes]],
    linktype: int = 127,
    fmt: Literal["pcap", "pcapng"] = "pcap",
) -> int:
    """Write (ts_ns, data) frames to a new file; return how many were written."""
    if fmt not in ("pcap", "pcapng"):
        raise ValueError(f"unknown capture format {fmt!r}")
    with open(path, "wb") as f:
        if fmt == "pcap":
            writer: PcapWriter | PcapngWriter = PcapWriter(f, linktype)
            for ts_ns, data in frames:
                writer.write(ts_ns, data)
        else:
            writer = PcapngWriter(f)
            iface = writer.add_interface(linktype)
            for ts_ns, data in frames:
                writer.write(iface, ts_ns, data)
        return writer.count
