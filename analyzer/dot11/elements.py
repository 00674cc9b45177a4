"""Information elements (IEEE 802.11-2020 9.4.2): the walk, and the few the analyzer keeps.

Byte order: little-endian (802.11), except that a cipher/AKM suite is read as one big-endian
u32 so that a vendor suite comes out as `(oui << 8) | type` (see `analyzer.dot11.consts`).

`decode_elements` never raises: a truncated element stops the walk and a malformed element
that matters (RSNE, MDE, FTE, ...) is left out; both set `Elements.malformed` (first reason
wins). The sub-decoders (`decode_rsne`, `decode_fte`, ...) raise `DecodeError` instead.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import Any

from analyzer.dot11.consts import OUI_IEEE, OUI_MICROSOFT
from analyzer.dot11.errors import DecodeError
from analyzer.dot11.mlo import EXT_MULTI_LINK, decode_basic_multi_link, join_fragments
from analyzer.dot11.records import Elements, Fte, Mde, NeighborReport, Rsne

_U16 = struct.Struct("<H")
_SUITE = struct.Struct(">I")
_SUITES = tuple(struct.Struct(f">{k}I") for k in range(9))  # suite lists of 0-8
_TIMEOUT = struct.Struct("<BI")
_NEIGHBOR = struct.Struct("<6sIBBB")

# IEEE 802.11-2020 9.4.2.1 Table 9-92 (element IDs)
EID_SSID = 0
EID_DS_PARAMS = 3
EID_RSN = 48
EID_NEIGHBOR_REPORT = 52
EID_MOBILITY_DOMAIN = 54
EID_FAST_BSS_TRANSITION = 55
EID_TIMEOUT_INTERVAL = 56
EID_HT_OPERATION = 61
EID_RM_ENABLED_CAPABILITIES = 70
EID_EXT_CAPABILITIES = 127
EID_VENDOR = 221
EID_RSNX = 244
EID_EXTENSION = 255
# IEEE 802.11-2020 9.4.2.1 Table 9-92 (element ID extensions)
EXT_FILS_SESSION = 4
EXT_OWE_DH = 32

WPA1_PREFIX = b"\x00\x50\xf2\x01"  # Microsoft OUI, type 1: the WPA1 element
_FTE_MIC_LENGTHS = (16, 24, 32)  # 12.7.2 / 9.4.2.47: by AKM; 32 for SHA-512 (FT-SAE-EXT-KEY)
_FTE_KNOWN_SUBELEMENTS = range(1, 10)  # 9.4.2.47 Table 9-189: R1KH-ID .. MLO BIGTK
_NEIGHBOR_PREFERENCE = 3  # 9.4.2.36 Table 9-130: BSS Transition Candidate Preference

# --- sub-decoders ----------------------------------------------------------------------------


def _suite(b: bytes, pos: int, home: int, what: str) -> tuple[int | None, int]:
    """An optional single suite at the end of what has been read so far; (suite, pos)."""
    left = len(b) - pos
    if left <= 0:
        return None, pos
    if left < 4:
        raise DecodeError("rsne", f"{what} truncated ({left} of 4 bytes)")
    value: int = _SUITE.unpack_from(b, pos)[0]
    return (value & 0xFF if value >> 8 == home else value), pos + 4


def _count(b: bytes, pos: int, size: int, what: str) -> int:
    """A u16 count at pos, checked against the bytes left for `size`-byte items."""
    left = len(b) - pos - 2
    if left < 0:
        raise DecodeError("rsne", f"{what} count truncated")
    count = b[pos] | b[pos + 1] << 8
    if count * size > left:
        raise DecodeError("rsne", f"{what} count says {count} but {left // size} fit")
    return count


def _suites(b: bytes, pos: int, home: int, what: str) -> tuple[tuple[int, ...], int]:
    """An optional counted suite list; (suites, pos after it)."""
    if pos >= len(b):
        return (), pos
    count = _count(b, pos, 4, what)
    unpack = _SUITES[count] if count < len(_SUITES) else struct.Struct(f">{count}I")
    values = unpack.unpack_from(b, pos + 2)
    return tuple([v & 0xFF if v >> 8 == home else v for v in values]), pos + 2 + 4 * count


def _pmkids(b: bytes, pos: int) -> tuple[tuple[bytes, ...], int]:
    if pos >= len(b):
        return (), pos
    count = _count(b, pos, 16, "PMKID")
    pos += 2
    return tuple([b[p : p + 16] for p in range(pos, pos + 16 * count, 16)]), pos + 16 * count


def decode_rsne(body: bytes | memoryview, raw: bytes = b"", wpa1: bool = False) -> Rsne:
    """RSNE body (9.4.2.24), or the WPA1 body after 00:50:F2:01; every trailing field optional.

    Bytes after the group management cipher are ignored (extensibility, as hostap does).
    """
    b = bytes(body)
    if len(b) < 2:
        raise DecodeError("rsne", f"{len(b)} bytes, no version")
    home = OUI_MICROSOFT if wpa1 else OUI_IEEE
    group, pos = _suite(b, 2, home, "group cipher")
    pairwise, pos = _suites(b, pos, home, "pairwise cipher")
    akms, pos = _suites(b, pos, home, "AKM")
    capabilities = None
    if pos < len(b):
        if pos + 2 > len(b):
            raise DecodeError("rsne", "capabilities truncated")
        capabilities, pos = b[pos] | b[pos + 1] << 8, pos + 2
    pmkids, pos = _pmkids(b, pos)
    gmc, _ = _suite(b, pos, home, "group management cipher")
    version = b[0] | b[1] << 8
    return Rsne(version, group, pairwise, akms, capabilities, pmkids, gmc, wpa1, bytes(raw))


def decode_mde(body: bytes | memoryview, raw: bytes = b"") -> Mde:
    """Mobility Domain element body (9.4.2.46): u16 MDID, FT capability and policy octet."""
    b = bytes(body)
    if len(b) < 3:
        raise DecodeError("mde", f"{len(b)} bytes, need 3")
    return Mde(_U16.unpack_from(b, 0)[0], bool(b[2] & 0x01), bool(b[2] & 0x02), bytes(raw))


def _fte_subelements(b: bytes, pos: int, strict: bool) -> tuple[Any, ...] | None:
    """(R0KH-ID, R1KH-ID, GTK?, IGTK?) if the subelements from pos fill b exactly, else None."""
    if pos > len(b):
        return None
    r0kh = r1kh = None
    ids: set[int] = set()
    for sid, s, e in walk_elements(b, pos):
        if (strict and sid not in _FTE_KNOWN_SUBELEMENTS) or (sid == 1 and e - s != 6):
            return None
        if sid == 3 and not 1 <= e - s <= 48:
            return None
        r0kh = b[s:e] if sid == 3 else r0kh
        r1kh = b[s:e].hex(":") if sid == 1 else r1kh
        ids.add(sid)
        pos = e
    return (r0kh, r1kh, 2 in ids, 4 in ids) if pos == len(b) else None


def decode_fte(body: bytes | memoryview, mic_len: int | None = None, raw: bytes = b"") -> Fte:
    """FTE body (9.4.2.47). Without `mic_len`, the MIC length is the first of 16, 24, 32 for
    which the subelements after ANonce/SNonce parse exactly to the end (known IDs first)."""
    b = bytes(body)
    lengths = (mic_len,) if mic_len else _FTE_MIC_LENGTHS
    for strict in (True, False):
        for m in lengths:
            sub = _fte_subelements(b, 66 + m, strict)
            if sub is not None:
                return Fte(
                    _U16.unpack_from(b, 0)[0],
                    b[2 : 2 + m],
                    b[2 + m : 34 + m],
                    b[34 + m : 66 + m],
                    *sub,
                    raw=bytes(raw),
                )
    raise DecodeError("fte", f"{len(b)} bytes fit no MIC length of {lengths}")


def decode_neighbor_report(body: bytes | memoryview) -> NeighborReport:
    """Neighbor Report body (9.4.2.36); subelements after a truncated one are ignored."""
    b = bytes(body)
    if len(b) < _NEIGHBOR.size:
        raise DecodeError("neighbor", f"{len(b)} bytes, need {_NEIGHBOR.size}")
    bssid, info, op_class, channel, phy = _NEIGHBOR.unpack_from(b, 0)
    preference = None
    for sid, s, e in walk_elements(b, _NEIGHBOR.size):
        if sid == _NEIGHBOR_PREFERENCE and e > s and preference is None:
            preference = b[s]
    return NeighborReport(bssid.hex(":"), info, op_class, channel, phy, preference)


# --- the walk --------------------------------------------------------------------------------


def walk_elements(
    buf: bytes | memoryview, offset: int = 0, end: int | None = None
) -> Iterator[tuple[int, int, int]]:
    """Yield (element id, body start, body end); stop at a header or length past `end`."""
    n = len(buf) if end is None else end
    i = offset
    while i + 2 <= n:
        e = i + 2 + buf[i + 1]
        if e > n:
            return
        yield buf[i], i + 2, e
        i = e


Acc = dict[str, Any]


def _first(key: str, value: object, acc: Acc) -> None:
    if key not in acc:
        acc[key] = value


def _octet(key: str) -> Callable[[bytes, int, int, Acc], None]:
    def handle(b: bytes, s: int, e: int, acc: Acc) -> None:
        if e <= s:
            raise DecodeError(key, "empty")
        if key not in acc:
            acc[key] = b[s]

    return handle


def _body(key: str) -> Callable[[bytes, int, int, Acc], None]:
    def handle(b: bytes, s: int, e: int, acc: Acc) -> None:
        if key not in acc:
            acc[key] = b[s:e]

    return handle


def _rsne(b: bytes, s: int, e: int, acc: Acc) -> None:
    if "rsne" not in acc:
        acc["rsne"] = decode_rsne(b[s:e], b[s - 2 : e])


def _mde(b: bytes, s: int, e: int, acc: Acc) -> None:
    if "mde" not in acc:
        acc["mde"] = decode_mde(b[s:e], b[s - 2 : e])


def _fte(b: bytes, s: int, e: int, acc: Acc) -> None:
    if "fte" not in acc:
        acc["fte"] = decode_fte(b[s:e], raw=b[s - 2 : e])


def _timeout(b: bytes, s: int, e: int, acc: Acc) -> None:
    if e - s != _TIMEOUT.size:
        raise DecodeError("timeout_interval", f"{e - s} bytes, need 5")
    acc.setdefault("timeout_intervals", []).append(_TIMEOUT.unpack_from(b, s))


def _neighbor(b: bytes, s: int, e: int, acc: Acc) -> None:
    acc.setdefault("neighbor_reports", []).append(decode_neighbor_report(b[s:e]))


def _vendor(b: bytes, s: int, e: int, acc: Acc) -> None:
    if e - s < 3:
        raise DecodeError("vendor", f"{e - s} bytes, no OUI")
    acc.setdefault("vendor_ouis", []).append(b[s : s + 3])
    if b[s : s + 4] == WPA1_PREFIX and "wpa" not in acc:
        acc["wpa"] = decode_rsne(b[s + 4 : e], b[s - 2 : e], wpa1=True)


def _extension(b: bytes, s: int, e: int, acc: Acc) -> None:
    if e <= s:
        raise DecodeError("extension", "no extension ID")
    ext = b[s]
    if ext == EXT_OWE_DH:
        if e - s < 3:
            raise DecodeError("owe_dh", "no group")
        _first("owe_dh_group", _U16.unpack_from(b, s + 1)[0], acc)
    elif ext == EXT_FILS_SESSION:
        _first("fils_session", b[s + 1 : e], acc)
    elif ext == EXT_MULTI_LINK and "multi_link" not in acc and e - s >= 3 and b[s + 1] & 7 == 0:
        body, _ = join_fragments(b, s, e)
        acc["multi_link"] = decode_basic_multi_link(body[1:])


_HANDLERS: dict[int, Callable[[bytes, int, int, Acc], None]] = {
    EID_SSID: _body("ssid"),
    EID_DS_PARAMS: _octet("ds_channel"),
    EID_HT_OPERATION: _octet("ht_primary_channel"),
    EID_RSN: _rsne,
    EID_MOBILITY_DOMAIN: _mde,
    EID_FAST_BSS_TRANSITION: _fte,
    EID_TIMEOUT_INTERVAL: _timeout,
    EID_NEIGHBOR_REPORT: _neighbor,
    EID_RM_ENABLED_CAPABILITIES: _body("rm_capabilities"),
    EID_EXT_CAPABILITIES: _body("ext_capabilities"),
    EID_RSNX: _body("rsnxe"),
    EID_VENDOR: _vendor,
    EID_EXTENSION: _extension,
}
_LISTS = ("timeout_intervals", "neighbor_reports", "vendor_ouis")


def decode_elements(buf: bytes | memoryview, offset: int = 0) -> Elements:
    """Decode the elements from `offset` to the end of `buf`; never raises (see module doc)."""
    b = buf if isinstance(buf, bytes) else bytes(buf)
    acc: Acc = {}
    handlers = _HANDLERS
    n = len(b)
    i = offset
    while i < n:
        if i + 2 > n:
            acc.setdefault("malformed", f"element header truncated at offset {i}")
            break
        eid = b[i]
        s = i + 2
        e = s + b[i + 1]
        if e > n:
            acc.setdefault("malformed", f"element {eid} length {e - s} but {n - s} bytes left")
            break
        handler = handlers.get(eid)
        if handler is not None:
            try:
                handler(b, s, e, acc)
            except DecodeError as exc:
                acc.setdefault("malformed", f"{exc.layer.upper()}: {exc.reason}")
        i = e
    for key in _LISTS:
        if key in acc:
            acc[key] = tuple(acc[key])
    return Elements(**acc)
