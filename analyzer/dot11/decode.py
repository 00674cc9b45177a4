"""Record to Frame: the single place where decode exceptions become `Malformed` values.

`peek` is the hot-path prefilter: a few byte reads, no objects, to tell what a record is.
`decode` builds the records, and never raises whatever the bytes are.

Of the control frames ACK and Block Ack are relevant (Kind.CONTROL): they tell which data frame
was received, which the roam engine needs for the acknowledged data of `ack_to_ack`
(analyzer.roam.latency). An ACK names only its receiver, the transmitter of the frame it
answers; a Block Ack (HT and later: the answer to an A-MPDU) names both ends, and its body is
decoded (analyzer.dot11.control). RTS, CTS, BlockAckReq and the rest are skipped.
"""

from __future__ import annotations

import struct
import zlib
from zlib import crc32 as _crc32

from analyzer.capture.records import RawRecord
from analyzer.dot11.control import decode_block_ack
from analyzer.dot11.eapol import decode_eapol
from analyzer.dot11.errors import DecodeError
from analyzer.dot11.header import decode_header
from analyzer.dot11.linklayer import decode_ethernet, decode_link
from analyzer.dot11.mgmt import _beacon_after_tsf, decode_mgmt_body
from analyzer.dot11.protected import ccmp_at
from analyzer.dot11.records import Beacon, Ccmp, Frame, Kind, MacHeader, Malformed, Radio

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
_CONTROL = int(Kind.CONTROL)
FC0_ACK = 0xD4  # Frame Control octet 0 of an ACK: subtype 13, type 1 (control), version 0
FC0_BLOCK_ACK = 0x94  # of a Block Ack: subtype 9, type 1
FC0_CTS = 0xC4  # of a CTS: subtype 12, type 1
_RESPONSE_LEN = 10  # an ACK or a CTS: Frame Control, Duration, RA (9.3.1.3, 9.3.1.2)
UNSURE = 99  # peek() could not classify the record; decode() will say why


def peek(linktype: int, data: bytes) -> int:
    """The `Kind` value of a record from a few byte reads; -1 for extension frames and control
    frames but ACK and Block Ack (CONTROL); UNSURE when the frame control cannot be read
    (decode() then says why it is malformed)."""
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
            return _CONTROL if fc0 == 0xD4 or fc0 == 0x94 else -1  # FC0_ACK, FC0_BLOCK_ACK
        fc1 = data[s + 1]
        if fc1 & 0x44 or fc0 & 0x40:  # protected or a fragment, or a subtype without a body
            return _DATA
        h = 30 if fc1 & 0x03 == 0x03 else 24
        if fc0 & 0x80:
            if data[s + h] & 0x80:  # QoS Control: A-MSDU Present, the body is subframes
                return _DATA
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
    """Decode one record; None for frames the analyzer ignores (extension, control frames
    but ACK and Block Ack).

    When the capture kept the FCS, it is checked (CRC-32, ~0.2 us): drivers do not always flag
    a bad FCS, and a corrupted frame would otherwise invent stations and subtypes.
    """
    if rec.linktype == 127:
        item = _fast(rec, check_fcs)
        if item is not _SLOW:
            return item
    return _decode(rec, check_fcs)


# --- the radiotap fast path ------------------------------------------------------------------
#
# Frames of one transmitter repeat the same radiotap header but for its TSFT, and the same MAC
# header but for the sequence number. For the common layout (one present word, TSFT at offset
# 8) the bytes from the end of the TSFT to the end of Address 3 key a memo of everything the
# full decode derives from them: the Radio but its TSFT, and the header but its sequence
# control. The memo holds only what `_decode` computed for an earlier frame with those bytes;
# anything else unusual (short frames, four addresses, HT Control, EAPOL, decode errors) takes
# the full path, so the result is the same value either way. An ACK is shorter than that key:
# its key is everything after the TSFT, so a hit is the same ACK but for the TSFT, and the
# learned header itself is reused.

_SLOW = object()
_MEMO: dict[bytes, tuple] = {}
_MEMO_MAX = 8192
_U64 = struct.Struct("<Q").unpack_from
_tnew = tuple.__new__
_CRC_RESIDUE = 0x2144DF1C  # CRC-32 over data + its own FCS (little-endian) always gives this
_KIND_DATA = Kind.DATA
_KIND_OTHER = Kind.OTHER_MGMT
_KIND_BEACON = Kind.BEACON
_RT_FAST_MASK = 0xE0000001  # ext / vendor / radiotap-namespace bits must be clear, TSFT set


def _fast(
    rec: RawRecord,
    check_fcs: bool,
    # bound once: globals cost a dictionary lookup each on this path
    memo_get=_MEMO.get, tnew=_tnew, u64=_U64, crc32=_crc32, Radio=Radio, MacHeader=MacHeader,
    Frame=Frame, DATA=_KIND_DATA, OTHER=_KIND_OTHER, BEACON=_KIND_BEACON, SLOW=_SLOW,
    bytes=bytes, type=type, len=len,
) -> object:  # fmt: skip
    index, ts_ns, _lt, data, interface, _orig = rec
    if type(data) is not bytes or len(data) < 16:
        return SLOW
    it_len = data[2] | data[3] << 8
    ent = memo_get(data[16 : it_len + 22])
    if ent is None:
        return _learn(rec, data, it_len, check_fcs)
    prefix, rest, fcs, hlen, ftype, subtype, fc1, dur, a1, a2, a3, extra, fields, ccmp = ent
    if not data.startswith(prefix):
        return SLOW
    n = len(data)
    if fcs:
        if n - 4 - it_len < hlen:
            return SLOW
        if check_fcs and crc32(data[it_len:]) != 0x2144DF1C:  # _CRC_RESIDUE
            return Malformed(index, ts_ns, interface, "link", "FCS mismatch")
        end = n - 4
    else:
        end = n
        if n - it_len < hlen:
            return SLOW
    radio = tnew(Radio, (u64(data, 8)[0], *rest))
    if ftype == 1:  # an ACK: `fields` is its header
        return tnew(Frame, (index, ts_ns, interface, extra, radio, fields, None))
    seq = data[it_len + 22] | data[it_len + 23] << 8
    if ftype == 2:
        tid = data[it_len + 24] & 0x0F if subtype & 0x08 else None
        hdr = tnew(MacHeader, (2, subtype, fc1, dur, a1, a2, a3, None, seq >> 4, seq & 0x0F,
                               tid, None, hlen))  # fmt: skip
        if extra is not None:  # not protected, not Null: EAPOL goes the full way
            p = it_len + extra
            if data[p : p + 8] in _EAPOL_LLC:
                return SLOW
        body = None if ccmp is None else ccmp_at(data, it_len + ccmp, end)
        return tnew(Frame, (index, ts_ns, interface, DATA, radio, hdr, body))
    hdr = tnew(MacHeader, (0, subtype, fc1, dur, a1, a2, a3, None, seq >> 4, seq & 0x0F, None,
                           None, 24))  # fmt: skip
    kind = extra
    if kind is OTHER:
        return tnew(Frame, (index, ts_ns, interface, kind, radio, hdr, None))
    try:
        if kind is BEACON:
            if end - it_len < 36:
                return SLOW
            interval, caps, elements = _beacon_after_tsf(data[it_len + 32 : end])
            body = Beacon(u64(data, it_len + 24)[0], interval, caps, elements)
        else:
            body = decode_mgmt_body(subtype, data[it_len + 24 : end], bool(fc1 & 0x40))
    except _ERRORS:
        return SLOW
    return tnew(Frame, (index, ts_ns, interface, kind, radio, hdr, body))


def data_fields(
    rec: RawRecord,
    memo_get=_MEMO.get, crc32=_crc32, SLOW=_SLOW, bytes=bytes, type=type, len=len,
    from_bytes=int.from_bytes,
) -> object:  # fmt: skip
    """A data frame as `decode(rec)` would see it, reduced to the header fields the roam
    tracker reads: (fc_flags, addr1, addr2, subtype) when `decode` would return a DATA frame,
    and `pn_fields` as a fifth when that frame carries a CCMP/GCMP header; the same
    `Malformed` when it would return one (FCS mismatch), else `FULL`: call `decode`.
    For the pipeline's hot loop when no frame sink wants the decoded frame."""
    index, ts_ns, _lt, data, interface, _orig = rec
    if type(data) is not bytes or len(data) < 16:
        return SLOW
    it_len = data[2] | data[3] << 8
    ent = memo_get(data[16 : it_len + 22])
    if ent is None or ent[4] != 2 or not data.startswith(ent[0]):
        return SLOW
    n = len(data)
    if ent[2]:  # FCS present
        if n - 4 - it_len < ent[3]:
            return SLOW
        if crc32(data[it_len:]) != 0x2144DF1C:  # _CRC_RESIDUE
            return Malformed(index, ts_ns, interface, "link", "FCS mismatch")
        n -= 4
    elif n - it_len < ent[3]:
        return SLOW
    extra = ent[11]
    if extra is not None:
        p = it_len + extra
        if data[p : p + 8] in _EAPOL_LLC:
            return SLOW
        return ent[12]
    at = ent[13]
    if at is None:
        return ent[12]
    at += it_len
    # analyzer.dot11.protected.ccmp_at, inlined: this runs for most data frames
    if n - at < 16:
        return ent[12]
    b0, b1, b3 = data[at], data[at + 1], data[at + 3]
    if not b3 & 0x20 or data[at + 2] or b1 == (b0 | 0x20) & 0x7F:
        return ent[12]
    p = it_len + 22
    fields = ent[12]
    return (*fields, (b0 | b1 << 8 | from_bytes(data[at + 4 : at + 8], "little") << 16, b3 >> 6,
                      data[p + 2] & 0x0F if fields[3] & 0x08 else None,
                      (data[p] | data[p + 1] << 8) >> 4, from_bytes(data[n - 8 : n], "little")))


def pn_fields(ccmp: Ccmp, header: MacHeader) -> tuple:
    """What the packet-number tracker reads of a protected data frame: (PN, key ID, TID or
    None, sequence number, MIC) (analyzer.roam.pn); `data_fields` gives the same."""
    return ccmp.pn, ccmp.key_id, header.tid, header.seq, ccmp.mic


def beacon_fields(
    rec: RawRecord,
    memo_get=_MEMO.get, crc32=_crc32, SLOW=_SLOW, BEACON=_KIND_BEACON, bytes=bytes, type=type,
    len=len,
) -> object:  # fmt: skip
    """A beacon as `decode(rec)` would see it, reduced to what the roam tracker and the
    inventory read: ((fc_flags, addr3, signal_dbm, freq_mhz), elements) when `decode` would
    return a BEACON frame, the same `Malformed` for an FCS mismatch, else `FULL`."""
    index, ts_ns, _lt, data, interface, _orig = rec
    if type(data) is not bytes or len(data) < 16:
        return SLOW
    it_len = data[2] | data[3] << 8
    ent = memo_get(data[16 : it_len + 22])
    if ent is None or ent[11] is not BEACON or not data.startswith(ent[0]):
        return SLOW
    n = len(data)
    if ent[2]:  # FCS present
        if n - 4 - it_len < 24:
            return SLOW
        if crc32(data[it_len:]) != 0x2144DF1C:  # _CRC_RESIDUE
            return Malformed(index, ts_ns, interface, "link", "FCS mismatch")
        n -= 4
    if n - it_len < 36:  # header and the beacon's fixed fields
        return SLOW
    try:
        elements = _beacon_after_tsf(data[it_len + 32 : n])[2]
    except _ERRORS:
        return SLOW
    return ent[12], elements


def ack_receiver(
    rec: RawRecord, memo_get=_MEMO.get, SLOW=_SLOW, bytes=bytes, type=type, len=len
) -> object:  # fmt: skip
    """An ACK as `decode(rec)` would see it, reduced to its receiver address (what the roam
    tracker reads) when the memo knows these bytes, else `FULL`: call `decode`.
    An ACK's memo key is every byte after the TSFT, FCS included, so a hit is a frame equal
    to one that decoded (and passed its FCS check) but for the TSFT: no check is left to do."""
    data = rec.data
    if type(data) is not bytes or len(data) < 16:
        return SLOW
    ent = memo_get(data[16 : (data[2] | data[3] << 8) + 22])
    if ent is None or ent[4] != 1 or not data.startswith(ent[0]):
        return SLOW
    return ent[12].addr1


FULL = _SLOW


def _learn(rec: RawRecord, data: bytes, it_len: int, check_fcs: bool) -> object:
    """Decode in full; remember the frame's invariant parts when it qualifies for the memo."""
    item = _decode(rec, check_fcs)
    if type(item) is not Frame or data[0] != 0 or it_len < 16:
        return item
    present = data[4] | data[5] << 8 | data[6] << 16 | data[7] << 24
    if present & _RT_FAST_MASK != 1:
        return item
    radio, hdr = item.radio, item.header
    if radio is None or type(hdr) is not MacHeader or radio.bad_fcs:
        return item
    if radio.tsft_us != _U64(data, 8)[0] or hdr.addr4 is not None or hdr.htc is not None:
        return item
    if hdr.ftype == 2:
        if hdr.length != (26 if hdr.subtype & 0x08 else 24) or item.kind is not _KIND_DATA:
            return item
        at = _body_offset(hdr.length, radio)
        extra = None if hdr.protected or hdr.subtype & 0x04 else at
        ccmp = at if hdr.protected and not hdr.subtype & 0x04 else None
    elif hdr.ftype == 0:
        if hdr.length != 24:
            return item
        extra, ccmp = item.kind, None
    elif hdr.ftype == 1:  # an ACK, nothing after its header and FCS: the key holds it all
        if hdr.subtype != 13 or len(data) != it_len + hdr.length + (4 if radio.fcs_present else 0):
            return item
        extra, ccmp = item.kind, None
    else:
        return item
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    _MEMO[data[16 : it_len + 22]] = (
        data[:8], tuple(radio[1:]), radio.fcs_present, hdr.length, hdr.ftype, hdr.subtype,
        hdr.fc_flags, hdr.duration, hdr.addr1, hdr.addr2, hdr.addr3, extra,
        (hdr.fc_flags, hdr.addr1, hdr.addr2, hdr.subtype) if hdr.ftype == 2
        else hdr if hdr.ftype == 1
        else (hdr.fc_flags, hdr.addr3, radio.signal_dbm, radio.freq_mhz),
        ccmp,
    )  # fmt: skip
    return item


def _decode(rec: RawRecord, check_fcs: bool = True) -> Frame | Malformed | None:
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
    if not fc0 & 0x03 and fc0 & 0x04 and fc0 != FC0_ACK and fc0 != FC0_BLOCK_ACK:
        return None  # type 1 (control) or 3 (extension)
    if check_fcs and radio is not None and radio.fcs_present and not _fcs_ok(data, start, end):
        return Malformed(rec.index, rec.ts_ns, rec.interface, "link", "FCS mismatch")
    try:
        hdr = decode_header(data, start, end)
    except _ERRORS as e:
        return _malformed(rec, e, "mac")
    if hdr.ftype == 0:
        return _mgmt(rec, radio, hdr, data[start + hdr.length : end])
    if hdr.ftype == 1:
        return _control(rec, radio, hdr, data, start, end)
    return _data(rec, radio, hdr, data, start, end)


def response_key(linktype: int, data: bytes) -> tuple[int, int, int, str] | None:
    """An ACK or a CTS as (FC0, FC1, Duration, RA): every octet of it but the FCS, which is
    their function when it verifies. None for any other frame, and for an ACK or a CTS whose
    FCS fails (a damaged reception is nobody's copy)."""
    try:
        radio, start, end = decode_link(linktype, data)
    except _ERRORS:
        return None
    if end - start != _RESPONSE_LEN or data[start] not in (FC0_ACK, FC0_CTS):
        return None
    if radio is not None and radio.fcs_present and (
        radio.bad_fcs or not _fcs_ok(data, start, end)
    ):
        return None
    ra = data[start + 4 : start + 10].hex(":")
    return data[start], data[start + 1], data[start + 2] | data[start + 3] << 8, ra


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


def _control(
    rec: RawRecord, radio: Radio | None, hdr: MacHeader, data: bytes, start: int, end: int
) -> Frame | Malformed:
    """An ACK is its 10-byte header (9.3.1.3); a Block Ack has a body after its 16 (9.3.1.8)."""
    if hdr.subtype == 13:
        return Frame(rec.index, rec.ts_ns, rec.interface, Kind.CONTROL, radio, hdr, None)
    try:
        body = decode_block_ack(data[start + hdr.length : end])
    except _ERRORS as e:
        return _malformed(rec, e, "control", Kind.CONTROL, hdr)
    return Frame(rec.index, rec.ts_ns, rec.interface, Kind.CONTROL, radio, hdr, body)


def _data(
    rec: RawRecord, radio: Radio | None, hdr: MacHeader, data: bytes, start: int, end: int
) -> Frame | Malformed:
    """EAPOL when an unprotected data frame carries LLC/SNAP + 0x888E/0x88C7; else DATA.
    A fragment with More Fragments set is DATA too: its MSDU is whole only once reassembled
    (IEEE 802.11-2020 10.6), which the decoder does not do; so is an A-MSDU (QoS Control
    bit 7), whose body is subframes, not an LLC header (9.3.2.2; the FragAttacks A-MSDU
    injection makes one look like another frame to a receiver that ignores the bit)."""
    if hdr.protected:
        at = start + _body_offset(hdr.length, radio)
        body = ccmp_at(data, at, end) if not hdr.subtype & 0x04 else None
        return Frame(rec.index, rec.ts_ns, rec.interface, Kind.DATA, radio, hdr, body)
    if hdr.subtype & 0x04 or hdr.fc_flags & 0x04:
        return Frame(rec.index, rec.ts_ns, rec.interface, Kind.DATA, radio, hdr, None)
    if hdr.subtype & 0x08 and data[start + (30 if hdr.addr4 is not None else 24)] & 0x80:
        return Frame(rec.index, rec.ts_ns, rec.interface, Kind.DATA, radio, hdr, None)
    p = start + _body_offset(hdr.length, radio)
    if data[p : p + 8] not in _EAPOL_LLC:
        return Frame(rec.index, rec.ts_ns, rec.interface, Kind.DATA, radio, hdr, None)
    ethertype = data[p + 6] << 8 | data[p + 7]
    try:
        body = decode_eapol(bytes(data[p + 8 : end]), ethertype)
    except _ERRORS as e:
        return _malformed(rec, e, "eapol", Kind.EAPOL, hdr)
    return Frame(rec.index, rec.ts_ns, rec.interface, Kind.EAPOL, radio, hdr, body)


def _body_offset(length: int, radio: Radio | None) -> int:
    """Where a data frame's body starts after its header: radiotap may pad it to 4 bytes."""
    return (length + 3) & -4 if radio is not None and radio.data_pad else length


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
