"""Action frames: FT, WNM BSS Transition Management, RM Neighbor Report, SA Query."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.dot11 import (
    Dot11Action,
    Dot11BSSTMRequest,
    Dot11BSSTMResponse,
    Dot11WNM,
    NeighborReport,
)

from analyzer.dot11.action import decode_action
from analyzer.dot11.errors import DecodeError
from analyzer.dot11.records import (
    Action,
    BtmQuery,
    BtmRequest,
    BtmResponse,
    FtAction,
    NeighborReq,
    NeighborResp,
    SaQuery,
)

STA, AP1, AP2 = bytes.fromhex("020000000200"), bytes.fromhex("020000000100"), b"\xaa" * 6


def elt(eid: int, body: bytes) -> bytes:
    return bytes([eid, len(body)]) + body


def candidate(bssid: bytes, channel: int, preference: int) -> bytes:
    body = bssid + struct.pack("<IBBB", 0x0000048F, 115, channel, 9) + elt(3, bytes([preference]))
    return elt(52, body)


def scapy_candidate(bssid: str, channel: int) -> NeighborReport:
    # scapy defaults the element ID of NeighborReport to 0; the standard says 52.
    return NeighborReport(type=52, BSSID=bssid, channel=channel, op_class=128, phy_type=9)


def test_protected_action_is_opaque() -> None:
    """With PMF the category octet is encrypted too: category -1, nothing else."""
    assert decode_action(b"\x0a\x07\x01", True) == Action(-1, None, True, None)


# --- FT ----------------------------------------------------------------------------------------


def test_ft_request_over_ds_names_sta_and_target_and_carries_elements() -> None:
    body = b"\x06\x01" + STA + AP2 + elt(54, b"\x01\x02\x01")
    action = decode_action(body, False)
    assert (action.category, action.action, action.protected) == (6, 1, False)
    assert isinstance(action.detail, FtAction)
    assert (
        action.detail.sta == "02:00:00:00:02:00" and action.detail.target_ap == "aa:aa:aa:aa:aa:aa"
    )
    assert action.detail.status is None
    assert action.detail.elements.mde is not None and action.detail.elements.mde.mdid == 0x0201


@pytest.mark.parametrize(("kind", "status"), [(2, 53), (3, None), (4, 0)])
def test_ft_response_and_ack_have_a_status_confirm_does_not(kind: int, status: int | None) -> None:
    fixed = (
        bytes([6, kind]) + STA + AP2 + (struct.pack("<H", status) if status is not None else b"")
    )
    detail = decode_action(fixed + elt(0, b"x"), False).detail
    assert isinstance(detail, FtAction) and detail.status == status
    assert detail.elements.ssid == b"x"


def test_truncated_ft_action_raises() -> None:
    with pytest.raises(DecodeError) as err:
        decode_action(b"\x06\x02" + STA + AP2 + b"\x00", False)
    assert err.value.layer == "action"


# --- WNM BSS Transition Management -------------------------------------------------------------


def test_btm_query_with_reason_and_candidates() -> None:
    detail = decode_action(b"\x0a\x06\x03\x10" + candidate(AP2, 36, 100), False).detail
    assert isinstance(detail, BtmQuery) and (detail.token, detail.reason) == (3, 16)
    assert [c.preference for c in detail.candidates] == [100]


def test_btm_request_from_scapy_with_disassoc_imminent_and_candidates() -> None:
    """scapy as an independent encoder (mode b0 candidates, b2 imminent, b3 termination)."""
    layer = Dot11BSSTMRequest(
        token=5,
        mode=0x0D,
        disassociation_timer=300,
        validity_interval=10,
        neighbor_report=[
            scapy_candidate("aa:bb:cc:dd:ee:01", 36),
            scapy_candidate("aa:bb:cc:dd:ee:02", 149),
        ],
    )
    action = decode_action(bytes(Dot11Action(category=10) / Dot11WNM(action=7) / layer), False)
    assert (action.category, action.action) == (10, 7)
    req = action.detail
    assert isinstance(req, BtmRequest)
    assert (req.token, req.disassoc_timer_tbtt, req.validity_interval) == (5, 300, 10)
    assert req.candidate_list and req.disassoc_imminent and req.bss_termination
    assert not req.ess_disassoc
    assert [(c.bssid, c.channel) for c in req.candidates] == [
        ("aa:bb:cc:dd:ee:01", 36),
        ("aa:bb:cc:dd:ee:02", 149),
    ]


def test_btm_request_skips_termination_duration_and_session_url() -> None:
    """Mode b3 adds a 12-byte BSS Termination Duration, b4 a length-prefixed URL."""
    termination = b"\x04\x0a" + bytes(10)
    url = b"https://portal"
    body = b"\x0a\x07\x09\x19" + struct.pack("<HB", 0, 255) + termination
    body += bytes([len(url)]) + url + candidate(AP2, 1, 255)
    req = decode_action(body, False).detail
    assert isinstance(req, BtmRequest) and req.ess_disassoc and req.bss_termination
    assert [(c.bssid, c.preference) for c in req.candidates] == [("aa:aa:aa:aa:aa:aa", 255)]


def test_btm_request_with_url_past_the_end_raises() -> None:
    with pytest.raises(DecodeError):
        decode_action(b"\x0a\x07\x01\x10\x00\x00\x00\x20abc", False)


def test_btm_response_accept_names_the_target() -> None:
    layer = Dot11BSSTMResponse(token=5, status=0, target="aa:bb:cc:dd:ee:02", neighbor_report=[])
    resp = decode_action(bytes(Dot11Action(category=10) / Dot11WNM(action=8) / layer), False).detail
    assert resp == BtmResponse(5, 0, 0, "aa:bb:cc:dd:ee:02", ())


def test_btm_response_reject_has_no_target() -> None:
    resp = decode_action(b"\x0a\x08\x05\x06\x00" + candidate(AP2, 6, 1), False).detail
    assert isinstance(resp, BtmResponse) and resp.status == 6 and resp.target_bssid is None
    assert len(resp.candidates) == 1


# --- RM Neighbor Report / SA Query / others --------------------------------------------------


def test_neighbor_report_request_and_response() -> None:
    req = decode_action(b"\x05\x04\x01" + elt(0, b"corp"), False).detail
    assert req == NeighborReq(1, b"corp")
    assert decode_action(b"\x05\x04\x02", False).detail == NeighborReq(2, None)
    resp = decode_action(b"\x05\x05\x01" + candidate(AP1, 1, 5) + candidate(AP2, 6, 9), False)
    assert isinstance(resp.detail, NeighborResp) and resp.detail.token == 1
    assert [r.channel for r in resp.detail.reports] == [1, 6]


def test_sa_query_request_and_response_carry_the_transaction_id() -> None:
    assert decode_action(b"\x08\x00\x34\x12", False).detail == SaQuery(0, 0x1234)
    assert decode_action(b"\x08\x01\x34\x12", False).detail == SaQuery(1, 0x1234)
    with pytest.raises(DecodeError):
        decode_action(b"\x08\x00\x34", False)


def test_other_categories_and_vendor_actions_have_no_detail() -> None:
    assert decode_action(b"\x07\x00\x01", False) == Action(7, 0, False, None)  # HT
    assert decode_action(b"\x03\x00\x01\x02", False) == Action(3, 0, False, None)  # Block Ack
    assert decode_action(b"\x7f\x00\x10\x18\x01", False) == Action(127, None, False, None)
    assert decode_action(b"\x0a\x1a", False) == Action(10, 26, False, None)
    assert decode_action(b"\x06", False) == Action(6, None, False, None)


def test_empty_action_body_raises() -> None:
    with pytest.raises(DecodeError):
        decode_action(b"", False)


VALID = [
    b"\x06\x02" + STA + AP2 + b"\x00\x00" + elt(54, b"\x01\x02\x01"),
    b"\x0a\x07\x09\x19\x00\x00\xff" + b"\x04\x0a" + bytes(10) + b"\x03abc" + candidate(AP2, 1, 2),
    b"\x0a\x08\x05\x00\x00" + AP2 + candidate(AP1, 6, 1),
    b"\x05\x05\x01" + candidate(AP1, 1, 5),
    b"\x08\x01\x34\x12",
]


@given(st.sampled_from(VALID), st.data())
def test_any_truncation_or_mutation_gives_a_record_or_decode_error(valid: bytes, data) -> None:
    body = bytearray(valid[: data.draw(st.integers(0, len(valid)))])
    for pos, value in data.draw(st.lists(st.tuples(st.integers(0, 100), st.integers(0, 255)))):
        if pos < len(body):
            body[pos] = value
    try:
        assert isinstance(decode_action(bytes(body), False), Action)
    except DecodeError:
        pass
