"""Record to Frame: the single place where decode exceptions become `Malformed` values.

`peek` is the hot-path prefilter: a few byte reads, no objects, to tell what a record is.
`decode` builds the records, and never raises whatever the bytes are.
"""

from __future__ import annotations

import struct
import zlib

from analyzer.capture.records import RawRecord
from analyzer.dot11.eapol import decode_eapol
from analyzer.dot11.errors import DecodeError
from analyzer.dot11.header import decode_header
from analyzer.dot11.linklayer import decode_ethernet, decode_link
from analyzer.dot11.mgmt import decode_mgmt_body
from analyzer.dot11.records import Frame, Kind, MacHeader, Malformed, Radio

# Anything a decoder may raise on hostile bytes; DecodeError is a ValueError.
_ERRORS = (struct.error, IndexError, ValueError, KeyError, OverflowError)

_OTHER = int(Kind.OTHER_MGMT)
# Kind by management subtype (IEEE 802.11-2020 Table 9-1): 6, 7, 9, 14, 15 are OTHER_MGMT.
_MGMT_KIND: tuple[int, ...] = (*range(6), _OTHER, _OTHER, 8, _OTHER, 10, 11, 12, 13, _OTHER, _OTHER)
_MGMT_KINDS: tuple[Kind, ...] = tuple(Kind(k) for k in _MGMT_KIND)

_SNAP = b"\xaa\xaa\x03\x00\x00\x00"  # LLC/SNAP header, RFC 1042 encapsulation
ETH_P_EAPOL = 0x888E
ETH_P_PREAUTH = 0x88C7
_EAPOL_LLC = (_SNAP + b"\x88\x8e", _SNAP + b"\x88\xc7")
_EAPOL_TYPES = frozenset({ETH_P_EAPOL, ETH_P_PREAUTH})
_EAPOL = int(Kind.EAPOL)
_DATA = int(Kind.DATA)
UNSURE = 99  # peek() could not classify the record; decode() will say why


def peek(linktype: int, data: bytes) -> int:
    """The `Kind` value of a record from a few byte reads; -1 for control/extension frames;
    UNSURE when the frame control cannot be read (decode() then says why it is malformed)."""
    try:
        if linktype == 127:
            s = data[2] | data[3] << 8
        elif linktype == 105:
            s = 0
        elif linktype == 192:
            s = data[2] | data[3] << 8
        elif linktype == 1:
            t = data[12] << 8 | data[13]
            if t == 0x8100 or t == 0x88A8:
                t = data[16] << 8 | data[17]
            return _EAPOL if t == 0x888E or t == 0x88C7 else -1
        elif linktype == 163 or (linktype == 119 and data[0] == 0x80):
            s = data[4] << 24 | data[5] << 16 | data[6] << 8 | data[7]
        elif linktype == 119:
            s = 144
        else:
            return -1
        fc0 = data[s]
        if fc0 & 0x03:
            return UNSURE
        t = fc0 & 0x0C
        if t == 0:
            return _MGMT_KIND[fc0 >> 4]
        if t != 8:
            return -1
        fc1 = data[s + 1]
        if fc1 & 0x40 or fc0 & 0x40:  # protected, or a subtype without a body (null)
            return _DATA
        h = 30 if fc1 & 0x03 == 0x03 else 24
        if fc0 & 0x80:
            h += 6 if fc1 & 0x80 else 2
        p = s + h
        if data[p : p + 8] in _EAPOL_LLC:
            return _EAPOL
        if h & 3:  # radiotap data padding may sit between header and LLC
            p += 4 - (h & 3)
            if data[p : p + 8] in _EAPOL_LLC:
                return _EAPOL
        return _DATA
    except IndexError:
        return UNSURE


def decode(rec: RawRecord, check_fcs: bool = True) -> Frame | Malformed | None:
    """Decode one record; None for frames the analyzer ignores (control, extension).

    When the capture kept the FCS, it is checked (CRC-32, ~0.2 us): drivers do not always flag
    a bad FCS, and a corrupted frame would otherwise invent stations and subtypes.
    """
    if rec.linktype == 1:
        return _ethernet(rec)
    data = rec.data
    try:
        radio, start, end = decode_link(rec.linktype, data)
    except _ERRORS as e:
        return _malformed(rec, e, "link")
    if radio is not None and radio.bad_fcs:
        return Malformed(rec.index, rec.ts_ns, rec.interface, "link", "bad FCS")
    if start >= end:
        return Malformed(rec.index, rec.ts_ns, rec.interface, "link", "no 802.11 frame")
    fc0 = data[start]
    if not fc0 & 0x03 and fc0 & 0x04:  # type 1 (control) or 3 (extension)
        return None
    if check_fcs and radio is not None and radio.fcs_present and not _fcs_ok(data, start, end):
        return Malformed(rec.index, rec.ts_ns, rec.interface, "link", "FCS mismatch")
    try:
        hdr = decode_header(data, start, end)
    except _ERRORS as e:
        return _malformed(rec, e, "mac")
    if hdr.ftype == 0:
        return _mgmt(rec, radio, hdr, data[start + hdr.length : end])
    return _data(rec, radio, hdr, data, start, end)


def _fcs_ok(data: bytes, start: int, end: int) -> bool:
    """IEEE 802.11-2020 9.2.4.8: CRC-32 over the MAC header and body, sent little-endian."""
    return zlib.crc32(memoryview(data)[start:end]) == int.from_bytes(data[end : end + 4], "little")


def _mgmt(rec: RawRecord, radio: Radio | None, hdr: MacHeader, body: bytes) -> Frame | Malformed:
    kind = _MGMT_KINDS[hdr.subtype]
    if kind is Kind.OTHER_MGMT:
        return Frame(rec.index, rec.ts_ns, rec.interface, kind, radio, hdr, None)
    try:
        decoded = decode_mgmt_body(hdr.subtype, body, hdr.protected)
    except _ERRORS as e:
        return _malformed(rec, e, "mgmt", kind, hdr)
    return Frame(rec.index, rec.ts_ns, rec.interface, kind, radio, hdr, decoded)


def _data(
    rec: RawRecord, radio: Radio | None, hdr: MacHeader, data: bytes, start: int, end: int
) -> Frame | Malformed:
    """EAPOL when an unprotected data frame carries LLC/SNAP + 0x888E/0x88C7; else DATA."""
    if hdr.protected or hdr.subtype & 0x04:
        return Frame(rec.index, rec.ts_ns, rec.interface, Kind.DATA, radio, hdr, None)
    length = hdr.length
    if radio is not None and radio.data_pad:
        length = (length + 3) & -4
    p = start + length
    if data[p : p + 8] not in _EAPOL_LLC:
        return Frame(rec.index, rec.ts_ns, rec.interface, Kind.DATA, radio, hdr, None)
    ethertype = data[p + 6] << 8 | data[p + 7]
    try:
        body = decode_eapol(bytes(data[p + 8 : end]), ethertype)
    except _ERRORS as e:
        return _malformed(rec, e, "eapol", Kind.EAPOL, hdr)
    return Frame(rec.index, rec.ts_ns, rec.interface, Kind.EAPOL, radio, hdr, body)


def _ethernet(rec: RawRecord) -> Frame | Malformed | None:
    """Linktype 1: EAPOL (and pre-authentication) frames only, 802.1Q tags skipped."""
    try:
        eth, pos = decode_ethernet(rec.data)
        if eth.ethertype not in _EAPOL_TYPES:
            return None
        body = decode_eapol(bytes(rec.data[pos:]), eth.ethertype)
    except _ERRORS as e:
        return _malformed(rec, e, "eapol", Kind.EAPOL)
    return Frame(rec.index, rec.ts_ns, rec.interface, Kind.EAPOL, None, eth, body)


def _malformed(
    rec: RawRecord,
    exc: Exception,
    layer: str,
    kind: Kind | None = None,
    header: MacHeader | None = None,
) -> Malformed:
    if isinstance(exc, DecodeError):
        layer, reason = exc.layer, exc.reason
    else:
        reason = f"{type(exc).__name__}: {exc}"
    return Malformed(rec.index, rec.ts_ns, rec.interface, layer, reason, kind, header)
