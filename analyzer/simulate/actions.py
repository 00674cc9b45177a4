"""Action frame bodies (802.11-2020 9.6): FT, WNM BSS transition, RM neighbor report, SA Query."""

from __future__ import annotations

import struct
from collections.abc import Sequence

CAT_RM, CAT_FT, CAT_SA_QUERY, CAT_WNM = 5, 6, 8, 10
FT_REQUEST, FT_RESPONSE, FT_CONFIRM, FT_ACK = 1, 2, 3, 4
WNM_BTM_QUERY, WNM_BTM_REQUEST, WNM_BTM_RESPONSE = 6, 7, 8
RM_NEIGHBOR_REQUEST, RM_NEIGHBOR_RESPONSE = 4, 5
BTM_MODE_CANDIDATES = 0x01
BTM_MODE_DISASSOC_IMMINENT = 0x04


def ft_request(sta: bytes, target: bytes, elements: bytes) -> bytes:
    """FT Request over the DS: STA, target AP, RSNE, MDE, FTE."""
    return bytes((CAT_FT, FT_REQUEST)) + sta + target + elements


def ft_response(sta: bytes, target: bytes, status: int, elements: bytes) -> bytes:
    return bytes((CAT_FT, FT_RESPONSE)) + sta + target + struct.pack("<H", status) + elements


def ft_confirm(sta: bytes, target: bytes, elements: bytes) -> bytes:
    return bytes((CAT_FT, FT_CONFIRM)) + sta + target + elements


def ft_ack(sta: bytes, target: bytes, status: int, elements: bytes) -> bytes:
    return bytes((CAT_FT, FT_ACK)) + sta + target + struct.pack("<H", status) + elements


def btm_query(token: int, reason: int = 16, candidates: Sequence[bytes] = ()) -> bytes:
    return bytes((CAT_WNM, WNM_BTM_QUERY, token, reason)) + b"".join(candidates)


def btm_request(
    token: int,
    candidates: Sequence[bytes],
    disassoc_imminent: bool = False,
    disassoc_timer: int = 0,
    validity: int = 255,
) -> bytes:
    """BTM Request with a preferred-candidate list of Neighbor Report elements."""
    mode = (BTM_MODE_CANDIDATES if candidates else 0) | (
        BTM_MODE_DISASSOC_IMMINENT if disassoc_imminent else 0
    )
    head = bytes((CAT_WNM, WNM_BTM_REQUEST, token, mode)) + struct.pack(
        "<HB", disassoc_timer, validity
    )
    return head + b"".join(candidates)


def btm_response(token: int, status: int, target: bytes | None = None, delay: int = 0) -> bytes:
    body = bytes((CAT_WNM, WNM_BTM_RESPONSE, token, status, delay))
    return body + (target if status == 0 and target is not None else b"")


def neighbor_request(token: int, ssid_element: bytes = b"") -> bytes:
    return bytes((CAT_RM, RM_NEIGHBOR_REQUEST, token)) + ssid_element


def neighbor_response(token: int, reports: Sequence[bytes]) -> bytes:
    return bytes((CAT_RM, RM_NEIGHBOR_RESPONSE, token)) + b"".join(reports)


def sa_query(response: bool, transaction_id: int) -> bytes:
    return bytes((CAT_SA_QUERY, 1 if response else 0)) + struct.pack("<H", transaction_id)
