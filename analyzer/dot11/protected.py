"""The parts of a protected data frame a decryption needs: its MAC header and its body (the
CCMP/GCMP header, the ciphertext and the MIC), FCS and radiotap padding left out. Pure."""

from __future__ import annotations

from typing import NamedTuple

from analyzer.dot11.errors import DecodeError
from analyzer.dot11.header import decode_header
from analyzer.dot11.linklayer import decode_link
from analyzer.dot11.records import Ccmp


class Layout(NamedTuple):
    """Offsets of a protected data frame in its record: the MAC header at `start` (of
    `hdr_len` bytes), the protected body from `body_at` to `end` (FCS excluded)."""

    start: int
    hdr_len: int
    body_at: int
    end: int
    fcs: bool  # the record carries an FCS after `end`
    ftype: int  # 2 data, 0 management (a robust management frame under PMF)


def protected_layout(linktype: int, data: bytes) -> Layout | None:
    """Where the header and body of a protected data or management frame are; None for any
    other record."""
    try:
        radio, start, end = decode_link(linktype, data)
        hdr = decode_header(data, start, end)
    except (DecodeError, IndexError, ValueError):
        return None
    if hdr.ftype not in (0, 2) or not hdr.protected:
        return None
    body_at = hdr.length
    if radio is not None and radio.data_pad:
        body_at = (body_at + 3) & -4
    fcs = radio is not None and radio.fcs_present and len(data) >= end + 4
    return Layout(start, hdr.length, start + body_at, end, fcs, hdr.ftype)


def protected_parts(linktype: int, data: bytes) -> tuple[bytes, bytes] | None:
    """(MAC header, protected body) of a protected data frame; None for any other record."""
    at = protected_layout(linktype, data)
    if at is None or at.ftype != 2:
        return None
    return bytes(data[at.start : at.start + at.hdr_len]), bytes(data[at.body_at : at.end])


def packet_number(body: bytes) -> tuple[int, int] | None:
    """(PN, key ID) from the CCMP/GCMP header at the start of a protected body (they share
    its layout: PN0 PN1 reserved KeyID/ExtIV PN2..PN5); None when it is cut short."""
    if len(body) < 8 or not body[3] & 0x20:  # ExtIV set in every CCMP/GCMP header
        return None
    return int.from_bytes(body[0:2] + body[4:8], "little"), body[3] >> 6


def ccmp_at(data: bytes, at: int, end: int) -> Ccmp | None:
    """The CCMP/GCMP header at `at` of a protected body ending at `end` (FCS excluded); None
    when it is no such header: cut short (header and MIC need 16 bytes), ExtIV clear (WEP),
    the reserved octet set, or TKIP's (its WEP Seed octet is (TSC1 | 0x20) & 0x7F)."""
    if end - at < 16:
        return None
    b0, b1, b3 = data[at], data[at + 1], data[at + 3]
    if not b3 & 0x20 or data[at + 2] or b1 == (b0 | 0x20) & 0x7F:
        return None
    pn = b0 | b1 << 8 | int.from_bytes(data[at + 4 : at + 8], "little") << 16
    return Ccmp(pn, b3 >> 6, int.from_bytes(data[end - 8 : end], "little"))
