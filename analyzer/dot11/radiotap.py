"""Radiotap header (linktype 127): https://www.radiotap.org, hostap src/utils/radiotap.c.

Little-endian. Fields follow the present words in bit order, each aligned to its size relative
to the start of the header. The 802.11 frame always starts at `it_len`, whatever happens while
reading the fields: an unknown field only stops the field walk.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from functools import lru_cache

from analyzer.dot11.errors import DecodeError
from analyzer.dot11.records import Radio

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_CHANNEL = struct.Struct("<HH")
_XCHANNEL = struct.Struct("<IH")

# (alignment, size) of radiotap-namespace fields 0-27, from radiotap.org "Defined fields".
# Bit 28 (TLVs, EHT) is variable-length and, like any bit past the table, stops the walk.
_FIELDS: tuple[tuple[int, int], ...] = (
    (8, 8),  # 0 TSFT
    (1, 1),  # 1 Flags
    (1, 1),  # 2 Rate
    (2, 4),  # 3 Channel: u16 MHz, u16 flags
    (2, 2),  # 4 FHSS
    (1, 1),  # 5 dBm antenna signal
    (1, 1),  # 6 dBm antenna noise
    (2, 2),  # 7 lock quality
    (2, 2),  # 8 TX attenuation
    (2, 2),  # 9 dB TX attenuation
    (1, 1),  # 10 dBm TX power
    (1, 1),  # 11 antenna
    (1, 1),  # 12 dB antenna signal
    (1, 1),  # 13 dB antenna noise
    (2, 2),  # 14 RX flags
    (2, 2),  # 15 TX flags
    (1, 1),  # 16 RTS retries
    (1, 1),  # 17 data retries
    (4, 8),  # 18 XChannel: u32 flags, u16 MHz, u8 channel, u8 max power
    (1, 3),  # 19 MCS
    (4, 8),  # 20 A-MPDU status
    (2, 12),  # 21 VHT
    (8, 12),  # 22 timestamp
    (2, 12),  # 23 HE
    (2, 12),  # 24 HE-MU
    (2, 6),  # 25 HE-MU-other-user
    (1, 1),  # 26 0-length PSDU type
    (2, 4),  # 27 L-SIG
)

_RADIOTAP_NS = 1 << 29
_VENDOR_NS = 1 << 30
_EXT = 1 << 31
_FIELD_BITS = _RADIOTAP_NS - 1

FLAG_FCS = 0x10  # the frame ends with a 4-byte FCS
FLAG_DATA_PAD = 0x20  # padding between the 802.11 header and the payload, to 4 bytes
FLAG_BAD_FCS = 0x40  # the FCS check failed


def decode_radiotap(buf: bytes | memoryview) -> tuple[Radio, int]:
    """Decode a radiotap header; return the radio fields and the 802.11 frame offset (it_len)."""
    if len(buf) < 8:
        raise DecodeError("link", f"radiotap header truncated: {len(buf)} bytes")
    if buf[0] != 0:
        raise DecodeError("link", f"radiotap version {buf[0]}")
    it_len = buf[2] | buf[3] << 8
    if it_len < 8 or it_len > len(buf):
        raise DecodeError("link", f"radiotap it_len {it_len} outside 8..{len(buf)}")
    if buf[7] & 0x80:
        words = _present_words(buf, it_len)
    else:
        words = (buf[4] | buf[5] << 8 | buf[6] << 16 | buf[7] << 24,)
    layout = _layout(words)
    if layout is not None and layout[0] <= it_len:
        return _radio(buf, layout[1]), it_len
    return _radio(buf, _offsets(_walk(buf, it_len, words, 4 + 4 * len(words)))), it_len


@lru_cache(maxsize=64)
def _layout(words: tuple[int, ...]) -> tuple[int, Offsets] | None:
    """Field offsets for a present bitmap (captures use a handful): (bytes needed, offsets).

    None when a vendor namespace makes the layout depend on the data (its skip_length).
    """
    if any(w & _VENDOR_NS for w in words):
        return None
    found = _walk(b"", 1 << 30, words, 4 + 4 * len(words))
    # Fields are walked in increasing offsets: if the recorded ones fit, the walk does.
    return max((pos + _FIELDS[bit][1] for bit, pos in found.items()), default=8), _offsets(found)


def _present_words(buf: bytes | memoryview, it_len: int) -> tuple[int, ...]:
    """The chain of present words: each with bit 31 set is followed by another."""
    words = []
    off = 4
    while True:
        if off + 4 > it_len:
            raise DecodeError("link", "radiotap present words run past it_len")
        word = _U32.unpack_from(buf, off)[0]
        words.append(word)
        off += 4
        if not word & _EXT:
            return tuple(words)


def _walk(buf: bytes | memoryview, it_len: int, words: Sequence[int], pos: int) -> dict[int, int]:
    """Offsets of the first occurrence of each radiotap-namespace field, by bit number.

    Words in a vendor namespace are skipped whole (its header gives the length); a radiotap
    namespace reset restarts at bit 0, so a later per-chain signal never overrides the first.
    """
    found: dict[int, int] = {}
    radiotap_ns = True
    base = 0
    for word in words:
        if radiotap_ns and word & _FIELD_BITS:
            if base:
                return found  # bits 32+ of the radiotap namespace are not defined
            pos = _fields(it_len, word & _FIELD_BITS, pos, found)
            if pos < 0:
                return found
        if word & _VENDOR_NS and word & _RADIOTAP_NS:
            return found  # contradictory namespace switch
        if word & _RADIOTAP_NS:
            radiotap_ns, base = True, 0
        elif word & _VENDOR_NS:
            pos = _skip_vendor(buf, it_len, pos)
            if pos < 0:
                return found
            radiotap_ns, base = False, 0
        else:
            base += 32
    return found


def _fields(it_len: int, bits: int, pos: int, found: dict[int, int]) -> int:
    """Record the offsets of the fields in `bits`; the next position, or -1 to stop the walk."""
    table = _FIELDS
    while bits:
        low = bits & -bits
        bit = low.bit_length() - 1
        bits ^= low
        if bit >= len(table):
            return -1
        align, size = table[bit]
        pos = (pos + align - 1) & -align
        if pos + size > it_len:
            return -1
        found.setdefault(bit, pos)
        pos += size
    return pos


def _skip_vendor(buf: bytes | memoryview, it_len: int, pos: int) -> int:
    """Skip a vendor namespace: OUI(3), sub-namespace(1), u16 skip_length, then its data."""
    pos = (pos + 1) & -2
    if pos + 6 > it_len:
        return -1
    end = pos + 6 + _U16.unpack_from(buf, pos + 4)[0]
    return end if end <= it_len else -1


# Offsets decoded into Radio, in this order: TSFT, Flags, Rate, Channel, XChannel, signal, noise.
_WANTED = (0, 1, 2, 3, 18, 5, 6)
Offsets = tuple[int, int, int, int, int, int, int]  # -1 when absent


def _offsets(found: dict[int, int]) -> Offsets:
    g = found.get
    return tuple(g(bit, -1) for bit in _WANTED)  # type: ignore[return-value]


def _radio(buf: bytes | memoryview, offsets: Offsets) -> Radio:
    tsft, flags_at, rate, chan, xchan, signal, noise = offsets
    flags = buf[flags_at] if flags_at >= 0 else 0
    freq = chan_flags = None
    if chan >= 0:
        freq, chan_flags = _CHANNEL.unpack_from(buf, chan)
    elif xchan >= 0:
        chan_flags, freq = _XCHANNEL.unpack_from(buf, xchan)
    return Radio(
        _U64.unpack_from(buf, tsft)[0] if tsft >= 0 else None,
        flags if flags_at >= 0 else None,
        buf[rate] if rate >= 0 else None,
        freq,
        chan_flags,
        (buf[signal] ^ 0x80) - 0x80 if signal >= 0 else None,
        (buf[noise] ^ 0x80) - 0x80 if noise >= 0 else None,
        bool(flags & FLAG_FCS),
        bool(flags & FLAG_BAD_FCS),
        bool(flags & FLAG_DATA_PAD),
    )
