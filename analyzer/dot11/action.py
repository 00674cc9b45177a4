"""Action frame bodies (IEEE 802.11-2020 9.6): FT, WNM BSS transition, RM neighbor, SA Query.

Byte order: little-endian. A PMF-protected Action body is CCMP-encrypted from the category
octet on, so it decodes to `Action(-1, None, True, None)`: category unknown.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from analyzer.dot11.elements import decode_elements
from analyzer.dot11.errors import DecodeError
from analyzer.dot11.records import (
    Action,
    ActionDetail,
    BtmQuery,
    BtmRequest,
    BtmResponse,
    FtAction,
    NeighborReport,
    NeighborReq,
    NeighborResp,
    SaQuery,
)

_U16 = struct.Struct("<H")
_BTM_REQ = struct.Struct("<BBHB")  # 9.6.13.9: token, mode, disassoc timer, validity interval
_BTM_RESP = struct.Struct("<BBB")  # 9.6.13.10: token, status, termination delay

# 9.4.1.11 Table 9-51 (categories) and the action tables of 9.6
CAT_RADIO_MEASUREMENT, CAT_FT, CAT_SA_QUERY, CAT_WNM = 5, 6, 8, 10
CAT_VENDOR_PROTECTED, CAT_VENDOR = 126, 127
RM_NEIGHBOR_REQ, RM_NEIGHBOR_RESP = 4, 5  # 9.6.6.1 Table 9-354
FT_REQUEST, FT_RESPONSE, FT_CONFIRM, FT_ACK = 1, 2, 3, 4  # 9.6.8.1 Table 9-366
WNM_BTM_QUERY, WNM_BTM_REQUEST, WNM_BTM_RESPONSE = 6, 7, 8  # 9.6.13.1 Table 9-425
BTM_MODE_BSS_TERMINATION = 0x08
BTM_MODE_ESS_DISASSOC = 0x10  # Session Information URL present
_BSS_TERMINATION_SUBELEMENT = 12  # id, length 10, u64 TSF, u16 duration (9.4.2.36)


def _need(body: bytes, size: int, what: str) -> None:
    if len(body) < size:
        raise DecodeError("action", f"{what}: {len(body)} bytes, need {size}")


def _candidates(body: bytes, pos: int) -> tuple[NeighborReport, ...]:
    return decode_elements(body, pos).neighbor_reports if pos < len(body) else ()


def _ft(body: bytes, action: int) -> FtAction | None:
    if action not in (FT_REQUEST, FT_RESPONSE, FT_CONFIRM, FT_ACK):
        return None
    with_status = action in (FT_RESPONSE, FT_ACK)
    fixed = 14 + (2 if with_status else 0)
    _need(body, fixed, f"FT action {action}")
    status = _U16.unpack_from(body, 14)[0] if with_status else None
    sta, target = body[2:8].hex(":"), body[8:14].hex(":")
    return FtAction(action, sta, target, status, decode_elements(body, fixed))


def _btm_request(body: bytes) -> BtmRequest:
    _need(body, 2 + _BTM_REQ.size, "BTM request")
    token, mode, timer, validity = _BTM_REQ.unpack_from(body, 2)
    pos = 2 + _BTM_REQ.size
    if mode & BTM_MODE_BSS_TERMINATION:
        pos += _BSS_TERMINATION_SUBELEMENT
    if mode & BTM_MODE_ESS_DISASSOC:
        _need(body, pos + 1, "BTM request session URL")
        pos += 1 + body[pos]
    _need(body, pos, "BTM request optional fields")
    return BtmRequest(token, mode, timer, validity, _candidates(body, pos))


def _btm_response(body: bytes) -> BtmResponse:
    _need(body, 2 + _BTM_RESP.size, "BTM response")
    token, status, delay = _BTM_RESP.unpack_from(body, 2)
    pos = 2 + _BTM_RESP.size
    target = None
    if status == 0:
        _need(body, pos + 6, "BTM response target BSSID")
        target, pos = body[pos : pos + 6].hex(":"), pos + 6
    return BtmResponse(token, status, delay, target, _candidates(body, pos))


def _wnm(body: bytes, action: int) -> ActionDetail | None:
    if action == WNM_BTM_QUERY:
        _need(body, 4, "BTM query")
        return BtmQuery(body[2], body[3], _candidates(body, 4))
    if action == WNM_BTM_REQUEST:
        return _btm_request(body)
    if action == WNM_BTM_RESPONSE:
        return _btm_response(body)
    return None


def _rm(body: bytes, action: int) -> ActionDetail | None:
    if action not in (RM_NEIGHBOR_REQ, RM_NEIGHBOR_RESP):
        return None
    _need(body, 3, "neighbor report action")
    if action == RM_NEIGHBOR_REQ:
        return NeighborReq(body[2], decode_elements(body, 3).ssid)
    return NeighborResp(body[2], _candidates(body, 3))


def _sa_query(body: bytes, action: int) -> SaQuery | None:
    if action not in (0, 1):
        return None
    _need(body, 4, "SA Query")
    return SaQuery(action, _U16.unpack_from(body, 2)[0])


_DETAIL: dict[int, Callable[[bytes, int], ActionDetail | None]] = {
    CAT_FT: _ft,
    CAT_WNM: _wnm,
    CAT_RADIO_MEASUREMENT: _rm,
    CAT_SA_QUERY: _sa_query,
}


def decode_action(body: bytes | memoryview, protected: bool) -> Action:
    """Category, action and, for the kinds the analyzer follows, the decoded detail."""
    if protected:
        return Action(-1, None, True, None)
    b = body if isinstance(body, bytes) else bytes(body)
    _need(b, 1, "category")
    category = b[0]
    if category in (CAT_VENDOR_PROTECTED, CAT_VENDOR) or len(b) < 2:
        return Action(category, None, False, None)  # vendor: an OUI follows, not an action
    decode = _DETAIL.get(category)
    detail = decode(b, b[1]) if decode is not None else None
    return Action(category, b[1], False, detail)
