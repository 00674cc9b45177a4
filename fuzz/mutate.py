"""A seeded, structure-aware mutator for 802.11 records and pcap/pcapng files.

Deterministic for a given `random.Random`: a finding is replayed from its seed and iteration.
Frame mutations know a little about radiotap and elements; file mutations know where the
records and blocks start, so lengths can be made to lie exactly where a reader trusts them.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable, Sequence

INTERESTING_8 = (0, 1, 0x7F, 0x80, 0xFF)
INTERESTING_16 = (0, 1, 0x7FFF, 0x8000, 0xFFFF, 0x0100)
INTERESTING_32 = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x04000000, 0x100000)
MAX_GROWTH = 4096

Mutation = Callable[[random.Random, bytearray], None]


def _pos(rng: random.Random, buf: bytearray) -> int:
    return rng.randrange(len(buf)) if buf else 0


def flip_bits(rng: random.Random, buf: bytearray) -> None:
    for _ in range(rng.randint(1, 8)):
        if buf:
            buf[_pos(rng, buf)] ^= 1 << rng.randrange(8)


def set_bytes(rng: random.Random, buf: bytearray) -> None:
    for _ in range(rng.randint(1, 4)):
        if buf:
            buf[_pos(rng, buf)] = rng.choice((*INTERESTING_8, rng.randrange(256)))


def set_word(rng: random.Random, buf: bytearray) -> None:
    size = rng.choice((2, 4))
    if len(buf) < size:
        return
    pool = INTERESTING_16 if size == 2 else INTERESTING_32
    value = rng.choice((*pool, len(buf), len(buf) + rng.randint(-8, 8)))
    fmt = rng.choice("<>") + ("H" if size == 2 else "I")
    at = rng.randrange(len(buf) - size + 1)
    buf[at : at + size] = struct.pack(fmt, value & (0xFFFF if size == 2 else 0xFFFFFFFF))


def truncate(rng: random.Random, buf: bytearray) -> None:
    del buf[rng.randint(0, len(buf)) :]


def insert(rng: random.Random, buf: bytearray) -> None:
    at = rng.randint(0, len(buf))
    buf[at:at] = rng.randbytes(rng.choice((1, 2, 4, rng.randint(1, 64))))


def delete(rng: random.Random, buf: bytearray) -> None:
    if buf:
        at = _pos(rng, buf)
        del buf[at : at + rng.randint(1, 16)]


def duplicate(rng: random.Random, buf: bytearray) -> None:
    if len(buf) < 2:
        return
    at = _pos(rng, buf)
    chunk = buf[at : at + rng.randint(1, 64)]
    if len(buf) + len(chunk) * 4 < MAX_GROWTH * 4:
        buf[at:at] = chunk * rng.randint(1, 4)


def element(rng: random.Random, buf: bytearray) -> None:
    """An element with a zero, maximal or lying length (IEEE 802.11-2020 9.4.2.1)."""
    eid = rng.choice((0, 1, 3, 48, 54, 55, 59, 221, 255, rng.randrange(256)))
    length = rng.choice((0, 1, 255, rng.randrange(256)))
    body = rng.randbytes(min(length, rng.choice((0, length, rng.randint(0, 255)))))
    at = rng.randint(min(24, len(buf)), len(buf))
    buf[at:at] = bytes((eid, length)) + body


def radiotap(rng: random.Random, buf: bytearray) -> None:
    """Lie in it_len, or chain present words (bit 31) without an end."""
    if len(buf) < 8 or buf[0] != 0:
        return
    if rng.random() < 0.5:
        buf[2:4] = struct.pack("<H", rng.choice((0, 8, len(buf), len(buf) + 1, 0xFFFF)))
        return
    words = rng.randint(1, 64)
    chain = struct.pack("<I", 0x80000000 | rng.getrandbits(31)) * words
    buf[4:4] = chain
    if rng.random() < 0.5:
        buf[2:4] = struct.pack("<H", min(0xFFFF, (buf[2] | buf[3] << 8) + 4 * words))


FRAME_MUTATIONS: tuple[Mutation, ...] = (
    flip_bits, set_bytes, set_word, truncate, insert, delete, duplicate, element, radiotap,
)  # fmt: skip


def mutate_frame(rng: random.Random, data: bytes, other: bytes | None = None) -> bytes:
    """1-4 stacked mutations; sometimes a splice with `other` first."""
    buf = bytearray(data)
    if other is not None and rng.random() < 0.1:
        buf = buf[: rng.randint(0, len(buf))] + other[rng.randint(0, len(other)) :]
    for _ in range(rng.randint(1, 4)):
        rng.choice(FRAME_MUTATIONS)(rng, buf)
    return bytes(buf[: len(data) + MAX_GROWTH])


# --- capture files -------------------------------------------------------------------------


def boundaries(blob: bytes) -> list[tuple[int, int]]:
    """(offset, length-field offset) of each pcap record or pcapng block, by our own walk."""
    head = blob[:4]
    if head in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        return _pcap_boundaries(blob, "<" if head[0] in (0xD4, 0x4D) else ">")
    if head == b"\x0a\x0d\x0d\x0a" and len(blob) >= 12:
        return _pcapng_boundaries(blob, "<" if blob[8:12] == b"\x4d\x3c\x2b\x1a" else ">")
    return []


def _pcap_boundaries(blob: bytes, endian: str) -> list[tuple[int, int]]:
    out, pos = [], 24
    while pos + 16 <= len(blob):
        out.append((pos, pos + 8))
        pos += 16 + struct.unpack_from(endian + "I", blob, pos + 8)[0]
    return out


def _pcapng_boundaries(blob: bytes, endian: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    while pos + 12 <= len(blob):
        out.append((pos, pos + 4))
        length = struct.unpack_from(endian + "I", blob, pos + 4)[0]
        if length < 12:
            break
        pos += length
    return out


def mutate_capture(rng: random.Random, blob: bytes, frames: Sequence[bytes]) -> bytes:
    """A damaged capture: lying lengths, cuts at block boundaries, hostile records, noise."""
    marks = boundaries(blob)
    buf = bytearray(blob)
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        if marks and roll < 0.25:
            _lie(rng, buf, rng.choice(marks))
        elif marks and roll < 0.4:
            start, _ = rng.choice(marks)
            del buf[max(0, start + rng.randint(-2, 20)) :]
        elif marks and roll < 0.7 and frames:
            _hostile_record(rng, buf, marks, frames)
        else:
            rng.choice(FRAME_MUTATIONS[:7])(rng, buf)
    return bytes(buf)


def _lie(rng: random.Random, buf: bytearray, mark: tuple[int, int]) -> None:
    _start, at = mark
    if at + 4 > len(buf):
        return
    old = int.from_bytes(buf[at : at + 4], "little")
    value = rng.choice((0, 1, 4, 11, 12, old - 4, old + 4, old * 2, 0x04000000, 0xFFFFFFFF))
    buf[at : at + 4] = (value & 0xFFFFFFFF).to_bytes(4, rng.choice(("little", "big")))


def _hostile_record(
    rng: random.Random, buf: bytearray, marks: list[tuple[int, int]], frames: Sequence[bytes]
) -> None:
    """Overwrite one record's bytes with a mutated frame of the same length (lengths stay)."""
    start, _ = rng.choice(marks)
    ng = buf[:4] == b"\x0a\x0d\x0d\x0a"
    body, caplen_at = (start + 28, start + 20) if ng else (start + 16, start + 8)
    if body >= len(buf):
        return
    field = bytes(buf[caplen_at : caplen_at + 4])
    caplen = min(int.from_bytes(field, "little"), int.from_bytes(field, "big"))
    frame = mutate_frame(rng, rng.choice(frames))
    room = min(len(frame), len(buf) - body, caplen)
    buf[body : body + room] = frame[:room]
