"""Hand-written pcap/pcapng bytes, independent of analyzer.capture.writer."""

from __future__ import annotations

import struct


def pcap(
    records: list[tuple[int, int, bytes]],
    endian: str = "<",
    nano: bool = False,
    linktype: int = 105,
    snaplen: int = 65535,
) -> bytes:
    """records: (seconds, fraction, data) with fraction in µs, or ns when nano."""
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for sec, frac, data in records:
        out.append(struct.pack(endian + "IIII", sec, frac, len(data), len(data)) + data)
    return b"".join(out)


def block(btype: int, body: bytes, endian: str = "<") -> bytes:
    body += b"\0" * (-len(body) & 3)
    total = len(body) + 12
    return struct.pack(endian + "II", btype, total) + body + struct.pack(endian + "I", total)


def option(code: int, value: bytes, endian: str = "<") -> bytes:
    return struct.pack(endian + "HH", code, len(value)) + value + b"\0" * (-len(value) & 3)


def shb(endian: str = "<") -> bytes:
    return block(0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1), endian)


def idb(
    linktype: int,
    endian: str = "<",
    tsresol: int | None = None,
    tsoffset: int | None = None,
    snaplen: int = 0,
) -> bytes:
    opts = b""
    if tsresol is not None:
        opts += option(9, bytes([tsresol]), endian)
    if tsoffset is not None:
        opts += option(14, struct.pack(endian + "q", tsoffset), endian)
    if opts:
        opts += option(0, b"", endian)
    return block(1, struct.pack(endian + "HHI", linktype, 0, snaplen) + opts, endian)


def epb(iface: int, ts: int, data: bytes, endian: str = "<", orig_len: int | None = None) -> bytes:
    olen = len(data) if orig_len is None else orig_len
    head = struct.pack(endian + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(data), olen)
    return block(6, head + data, endian)


def spb(data: bytes, orig_len: int | None = None, endian: str = "<") -> bytes:
    olen = len(data) if orig_len is None else orig_len
    return block(3, struct.pack(endian + "I", olen) + data, endian)


def small_pcapng() -> bytes:
    return (
        shb()
        + idb(127, tsresol=9)
        + epb(0, 1_000_000_001, b"abc")
        + block(0x0BAD, b"junk")
        + epb(0, 2_000_000_002, b"defgh")
        + spb(b"ij")
    )
