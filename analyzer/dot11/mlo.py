"""Wi-Fi 7 multi-link operation: the Basic Multi-Link element and the MLO KDEs.

IEEE 802.11be-2024 9.4.2.322 (Multi-Link element; 9.4.2.312 in D3.0), 12.7.2 Table 12-10 (MLO
KDEs); field layouts as hostap builds and parses them (src/common/ieee802_11_defs.h,
wlantest/rx_mgmt.c). Little-endian; every length is checked before it is used.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from analyzer.dot11.errors import DecodeError
from analyzer.dot11.records import Kde, Mac, MloLink, MultiLink

EXT_MULTI_LINK = 107
EID_FRAGMENT = 242  # 9.4.2.183: continues an element whose length is 255
ML_TYPE_BASIC = 0  # Multi-Link Control bits 0-2 (Table 9-417i)

# Basic Multi-Link Control presence bitmap (bits 4-15) and the Common Info fields, in order
_COMMON_FIELDS = (
    (0x0010, "link_id", 1),  # Link ID Info
    (0x0020, "bss_params_change", 1),
    (0x0040, "medium_sync_delay", 2),
    (0x0080, "eml_capabilities", 2),
    (0x0100, "mld_capabilities", 2),
    (0x0200, "ap_mld_id", 1),
    (0x0400, "ext_mld_capabilities", 2),
)
SUB_PER_STA_PROFILE, SUB_FRAGMENT = 0, 254

# Per-STA Profile STA Control (9.4.2.322.2.4, Figure 9-1002ai)
STA_LINK_ID_MASK = 0x000F
STA_COMPLETE = 0x0010
STA_MAC_PRESENT = 0x0020
STA_BEACON_INT_PRESENT = 0x0040
STA_TSF_OFFSET_PRESENT = 0x0080
STA_DTIM_PRESENT = 0x0100
STA_NSTR_PAIR_PRESENT = 0x0200
STA_NSTR_BITMAP_2 = 0x0400
STA_BSS_PARAMS_PRESENT = 0x0800

_U16 = struct.Struct("<H")


def _mac(b: bytes, pos: int) -> Mac:
    return b[pos : pos + 6].hex(":")


def decode_basic_multi_link(body: bytes) -> MultiLink:
    """The element body after the extension ID octet (already defragmented)."""
    if len(body) < 3:
        raise DecodeError("multi_link", f"{len(body)} bytes, no Multi-Link Control")
    control = _U16.unpack_from(body, 0)[0]
    if control & 0x0007 != ML_TYPE_BASIC:
        raise DecodeError("multi_link", f"type {control & 7} is not Basic")
    info_len = body[2]  # Common Info Length counts itself
    if info_len < 7 or 2 + info_len > len(body):
        raise DecodeError("multi_link", f"common info length {info_len} in {len(body)} bytes")
    common = _common(body, control, 2 + info_len)
    links = tuple(_profiles(body, 2 + info_len))
    return MultiLink(_mac(body, 3), common.get("link_id"), common.get("ap_mld_id"), links)


def _common(b: bytes, control: int, end: int) -> dict[str, int]:
    pos, out = 9, {}
    for bit, name, size in _COMMON_FIELDS:
        if not control & bit:
            continue
        if pos + size > end:
            raise DecodeError("multi_link", f"common info ends before {name}")
        value = b[pos] if size == 1 else _U16.unpack_from(b, pos)[0]
        out[name] = value & 0x0F if name == "link_id" else value
        pos += size
    return out


def _profiles(b: bytes, pos: int) -> list[MloLink]:
    """Per-STA Profile subelements of the Link Info, each with its Fragment subelements."""
    out: list[MloLink] = []
    n = len(b)
    while pos + 2 <= n:
        sid, slen = b[pos], b[pos + 1]
        end = pos + 2 + slen
        if end > n:
            raise DecodeError("multi_link", f"subelement {sid} length {slen} past the end")
        data = b[pos + 2 : end]
        while slen == 255 and end + 2 <= n and b[end] == SUB_FRAGMENT:
            slen = b[end + 1]
            data += b[end + 2 : end + 2 + slen]
            end += 2 + slen
        if sid == SUB_PER_STA_PROFILE:
            out.append(decode_per_sta_profile(data))
        pos = end
    return out


def decode_per_sta_profile(data: bytes) -> MloLink:
    if len(data) < 3:
        raise DecodeError("multi_link", f"per-STA profile of {len(data)} bytes")
    control = _U16.unpack_from(data, 0)[0]
    info_len = data[2]  # STA Info Length counts itself
    if info_len < 1 or 2 + info_len > len(data):
        raise DecodeError("multi_link", f"STA info length {info_len} in {len(data)} bytes")
    address = None
    if control & STA_MAC_PRESENT:
        if info_len < 7:
            raise DecodeError("multi_link", "STA info too short for the STA MAC address")
        address = _mac(data, 3)
    complete = bool(control & STA_COMPLETE)
    return MloLink(control & STA_LINK_ID_MASK, address, complete, data[2 + info_len :])


def join_fragments(b: bytes, s: int, e: int) -> tuple[bytes, int]:
    """An element body (s..e) with the bodies of the Fragment elements after it (9.4.2.183),
    and where the last fragment ends."""
    body = b[s:e]
    n = len(b)
    while e - s == 255 and e + 2 <= n and b[e] == EID_FRAGMENT and e + 2 + b[e + 1] <= n:
        s, e = e + 2, e + 2 + b[e + 1]
        body += b[s:e]
    return body, e


# --- EAPOL-Key KDEs (12.7.2 Table 12-10) ----------------------------------------------------


class MloLinkKde(NamedTuple):
    """MLO Link KDE (type 19): Link Information (b0-3 link ID, b4 RSNE, b5 RSNXE follow),
    the affiliated AP's or STA's MAC address on that link, then RSNE and RSNXE as flagged."""

    link_id: int
    address: Mac
    rsne: bool
    rsnxe: bool


class MloGtkKde(NamedTuple):
    """MLO GTK KDE (type 16): Key ID/Tx octet (b0-1 key ID, b2 Tx, b4-7 link ID), a 6-octet
    PN, the GTK."""

    key_id: int
    tx: bool
    link_id: int
    pn: bytes
    gtk: bytes


def decode_mlo_link_kde(data: bytes) -> MloLinkKde:
    if len(data) < 7:
        raise DecodeError("eapol", f"MLO Link KDE of {len(data)} bytes, need 7")
    info = data[0]
    return MloLinkKde(info & 0x0F, _mac(data, 1), bool(info & 0x10), bool(info & 0x20))


def decode_mlo_gtk_kde(data: bytes) -> MloGtkKde:
    if len(data) < 7 + 5:
        raise DecodeError("eapol", f"MLO GTK KDE of {len(data)} bytes, need 12 or more")
    info = data[0]
    return MloGtkKde(info & 0x03, bool(info & 0x04), info >> 4, data[1:7], data[7:])


def mac_kde(kdes: tuple[Kde, ...]) -> Mac | None:
    """The MAC Address KDE (type 3): in MLO the sender's MLD MAC address (12.7.6)."""
    for k in kdes:
        if k.type == 3 and len(k.data) >= 6:
            return _mac(k.data, 0)
    return None


def mlo_links(kdes: tuple[Kde, ...]) -> tuple[MloLinkKde, ...]:
    """The well-formed MLO Link KDEs among `kdes`."""
    out = []
    for k in kdes:
        if k.type == 19 and len(k.data) >= 7:
            out.append(decode_mlo_link_kde(k.data))
    return tuple(out)
