"""802.11 MAC header: IEEE 802.11-2020 9.2.4 and 9.3; little-endian.

Header lengths: ACK/CTS 10 bytes (no transmitter address); other control frames 16; management
24 (+4 HT Control when Order is set); data 24, +6 with four addresses, +2 QoS Control for
subtypes 8-15, +4 HT Control when Order is set on QoS data.
MAC addresses are formatted with `bytes.hex(":")`, measured ~2.5x faster than a lookup table.
"""

from __future__ import annotations

import struct

from analyzer.dot11.errors import DecodeError
from analyzer.dot11.records import MacHeader

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_THREE_ADDR = struct.Struct("<H6s6s6sH")  # after FC: Duration, A1, A2, A3, Sequence Control

_ORDER = 0x80
_CTRL_SHORT = frozenset({12, 13})  # CTS, ACK: 9.3.1.4 / 9.3.1.3
_CTRL_WRAPPER = 7  # 9.3.1.8: FC, Duration, Address 1, Carried FC, HT Control


def decode_header(buf: bytes | memoryview, offset: int, end: int) -> MacHeader:
    """Decode the MAC header at `offset`; the frame (without FCS) ends at `end`."""
    if end - offset < 10:
        raise DecodeError("mac", f"frame too short for a MAC header: {end - offset} bytes")
    fc0 = buf[offset]
    if fc0 & 0x03:
        raise DecodeError("mac", f"protocol version {fc0 & 0x03}")
    ftype = (fc0 >> 2) & 0x03
    if ftype == 0:
        return _mgmt(buf, offset, end, fc0 >> 4)
    if ftype == 2:
        return _data(buf, offset, end, fc0 >> 4)
    if ftype == 1:
        return _control(buf, offset, end, fc0 >> 4)
    raise DecodeError("mac", "extension frame (type 3)")


def _need(offset: int, end: int, length: int, what: str) -> None:
    if offset + length > end:
        raise DecodeError("mac", f"{what} header needs {length} bytes, frame has {end - offset}")


def _mac(buf: bytes | memoryview, o: int) -> str:
    return buf[o : o + 6].hex(":")


def _mgmt(buf: bytes | memoryview, o: int, end: int, subtype: int) -> MacHeader:
    fc1 = buf[o + 1]
    length = 28 if fc1 & _ORDER else 24
    _need(o, end, length, "management")
    dur, a1, a2, a3, seq = _THREE_ADDR.unpack_from(buf, o + 2)
    htc = _U32.unpack_from(buf, o + 24)[0] if length == 28 else None
    h = ":"
    return MacHeader(
        0, subtype, fc1, dur, a1.hex(h), a2.hex(h), a3.hex(h), None, seq >> 4, seq & 0x0F, None,
        htc, length,
    )  # fmt: skip


def _data(buf: bytes | memoryview, o: int, end: int, subtype: int) -> MacHeader:
    fc1 = buf[o + 1]
    four = fc1 & 0x03 == 0x03
    length = 30 if four else 24
    qos = subtype & 0x08
    htc = None
    if qos:
        length += 6 if fc1 & _ORDER else 2
    _need(o, end, length, "data")
    dur, a1, a2, a3, seq = _THREE_ADDR.unpack_from(buf, o + 2)
    tid = None
    if qos:
        tid = buf[o + (30 if four else 24)] & 0x0F
        if fc1 & _ORDER:
            htc = _U32.unpack_from(buf, o + length - 4)[0]
    h = ":"
    return MacHeader(
        2, subtype, fc1, dur, a1.hex(h), a2.hex(h), a3.hex(h),
        _mac(buf, o + 24) if four else None, seq >> 4, seq & 0x0F, tid, htc, length,
    )  # fmt: skip


def _control(buf: bytes | memoryview, o: int, end: int, subtype: int) -> MacHeader:
    short = subtype in _CTRL_SHORT
    wrapper = subtype == _CTRL_WRAPPER
    length = 10 if short else 16
    _need(o, end, length, "control")
    return MacHeader(
        ftype=1,
        subtype=subtype,
        fc_flags=buf[o + 1],
        duration=_U16.unpack_from(buf, o + 2)[0],
        addr1=_mac(buf, o + 4),
        addr2=None if short or wrapper else _mac(buf, o + 10),
        addr3=None,
        addr4=None,
        seq=None,
        frag=None,
        tid=None,
        htc=_U32.unpack_from(buf, o + 12)[0] if wrapper else None,
        length=length,
    )
