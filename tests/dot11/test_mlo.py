"""Wi-Fi 7 MLO decoding checked against byte layouts from the standard (IEEE 802.11be-2024
9.4.2.322.2 Basic Multi-Link element, 9.4.2.183 Fragment element, 12.7.2 Table 12-10 MLO KDEs),
written field by field as DOMAIN-style vectors; tshark 4.0 predates the MLO fields, and no newer
tshark is installable here, so the layouts are the oracle. The field sizes and bit positions
are those hostap builds (hostapd_eid_eht_basic_ml_common, wpa_supplicant's MLO association)."""

from __future__ import annotations

import pytest

from analyzer.dot11.elements import decode_elements
from analyzer.dot11.errors import DecodeError
from analyzer.dot11.mlo import (
    decode_basic_multi_link,
    decode_mlo_gtk_kde,
    decode_mlo_link_kde,
    mac_kde,
    mlo_links,
)
from analyzer.dot11.records import Kde

AP_MLD = "02:aa:00:00:00:00"

# A (Re)Association Response's Basic Multi-Link element from an AP MLD, link 0 sending:
RESPONSE_ML = bytes.fromhex(
    "ff"            # Element ID 255 (extension)
    "35"            # Length 53
    "6b"            # Element ID Extension 107: Multi-Link
    "b001"          # Multi-Link Control 0x01b0: type 0 Basic; present: Link ID Info (b4),
                    #   BSS Parameters Change Count (b5), EML Capabilities (b7), MLD
                    #   Capabilities and Operations (b8)
    "0d"            # Common Info Length 13 (counts itself)
    "02aa00000000"  # MLD MAC Address
    "00"            # Link ID Info: link 0
    "01"            # BSS Parameters Change Count
    "0000"          # EML Capabilities
    "0200"          # MLD Capabilities and Operations: 2 simultaneous links
    # Link Info: Per-STA Profile subelement for link 1
    "00"            # Subelement ID 0: Per-STA Profile
    "23"            # Length 35
    "f101"          # STA Control 0x01f1: Link ID 1, Complete Profile (b4), STA MAC Address
                    #   (b5), Beacon Interval (b6), TSF Offset (b7), DTIM Info (b8) present
    "13"            # STA Info Length 19 (1 + 6 + 2 + 8 + 2)
    "02aa00000101"  # STA MAC Address: the affiliated AP on link 1
    "6400"          # Beacon Interval 100 TU
    "0000000000000000"  # TSF Offset
    "0102"          # DTIM Info: count 1, period 2
    # STA Profile: fields of a (Re)Association Response, then elements
    "1104"          # Capability Information
    "0000"          # Status Code 0
    "3d08" "95000000" "00000000"  # HT Operation (61), primary channel 149 (truncated body)
)

# A (Re)Association Request's Basic Multi-Link element from a non-AP MLD with one more link:
REQUEST_ML = bytes.fromhex(
    "ff" "1b" "6b"
    "8001"          # Multi-Link Control 0x0180: Basic; EML and MLD Capabilities present
    "0b"            # Common Info Length 11
    "02bb00000000"  # non-AP MLD MAC Address
    "0000" "0100"   # EML Capabilities, MLD Capabilities and Operations
    "00" "0b"       # Per-STA Profile, length 11
    "3200"          # STA Control 0x0032: link 2, Complete Profile, STA MAC Address present
    "07"            # STA Info Length 7
    "02bb00000202"  # STA MAC Address on link 2
    "1104"          # STA Profile: Capability Information (elements would follow)
)


def test_basic_multi_link_element_of_an_association_response() -> None:
    el = decode_elements(RESPONSE_ML)
    ml = el.multi_link
    assert el.malformed is None and ml is not None
    assert (ml.mld_mac, ml.link_id, ml.ap_mld_id) == (AP_MLD, 0, None)
    (link,) = ml.links
    assert (link.link_id, link.address, link.complete) == (1, "02:aa:00:00:01:01", True)
    profile = decode_elements(link.profile, 4)  # Capability + Status Code, then elements
    assert profile.channel == 149


def test_basic_multi_link_element_of_an_association_request() -> None:
    ml = decode_elements(REQUEST_ML).multi_link
    assert ml is not None and ml.mld_mac == "02:bb:00:00:00:00" and ml.link_id is None
    assert [(x.link_id, x.address) for x in ml.links] == [(2, "02:bb:00:00:02:02")]
    assert ml.links[0].profile == bytes.fromhex("1104")


def test_ap_mld_id_follows_the_mld_capabilities_in_the_common_info() -> None:
    # control 0x0310: Link ID Info, MLD Capabilities, AP MLD ID; Common Info Length 11
    body = bytes.fromhex("1003" "0b" "02aa00000000" "05" "0300" "07")
    ml = decode_basic_multi_link(body)
    assert (ml.link_id, ml.ap_mld_id, ml.links) == (5, 7, ())


def test_multi_link_element_longer_than_255_octets_is_joined_from_fragments() -> None:
    """9.4.2.183: the element carries 255 octets, a Fragment element (242) the rest."""
    profiles = b"".join(
        bytes([0, 17]) + bytes.fromhex("3000") + b"\x07" + bytes([2, 0xBB, 0, 0, n, n])
        + bytes(8) for n in range(16)
    )  # 16 Per-STA Profiles of 19 octets: 304 octets
    body = bytes.fromhex("6b" "0000" "07" "02bb00000000") + profiles
    first, rest = body[:255], body[255:]
    raw = bytes([255, 255]) + first + bytes([242, len(rest)]) + rest
    ml = decode_elements(raw).multi_link
    assert ml is not None and len(ml.links) == 16
    assert ml.links[-1].address == "02:bb:00:00:0f:0f"


def test_other_multi_link_variants_are_not_taken_for_basic() -> None:
    probe_ml = bytes.fromhex("ff" "05" "6b" "0100" "01" "00")  # type 1: Probe Request variant
    assert decode_elements(probe_ml).multi_link is None


@pytest.mark.parametrize("body,why", [
    (bytes.fromhex("b001" "0d" "02aa"), "common info length"),
    (bytes.fromhex("1000" "07" "02aa00000000"), "ends before link_id"),
    (bytes.fromhex("0000" "07" "02aa00000000" "00" "09" "2000" "07" "02"), "past the end"),
])
def test_truncated_multi_link_element_is_a_decode_error(body: bytes, why: str) -> None:
    with pytest.raises(DecodeError, match=why):
        decode_basic_multi_link(body)


def test_truncated_multi_link_element_leaves_the_other_elements_decoded() -> None:
    raw = bytes.fromhex("0003" "6c6162") + bytes.fromhex("ff04" "6b1000" "07")
    el = decode_elements(raw)
    assert el.ssid == b"lab" and el.multi_link is None and "MULTI_LINK" in (el.malformed or "")


MLO_LINK_KDE = bytes.fromhex(
    "31"            # Link Information: link 1 (b0-3), RSNE Info (b4) and RSNXE Info (b5) set
    "02aa00000101"  # the affiliated AP's MAC address on link 1
    "30140100000fac040100000fac040100000fac080000"  # RSNE
    "f40120"        # RSNXE (H2E)
)
MLO_GTK_KDE = bytes.fromhex(
    "25"            # Key ID 1 (b0-1), Tx (b2), link ID 2 (b4-7)
    "010000000000"  # PN
    "00112233445566778899aabbccddeeff"  # GTK
)


def test_mlo_link_kde() -> None:
    kde = decode_mlo_link_kde(MLO_LINK_KDE)
    assert kde == (1, "02:aa:00:00:01:01", True, True)


def test_mlo_gtk_kde() -> None:
    kde = decode_mlo_gtk_kde(MLO_GTK_KDE)
    assert (kde.key_id, kde.tx, kde.link_id) == (1, True, 2)
    assert kde.pn == bytes.fromhex("010000000000") and len(kde.gtk) == 16


def test_mld_address_and_links_from_the_kdes_of_key_data() -> None:
    kdes = (Kde(3, bytes.fromhex("02bb00000000")), Kde(19, MLO_LINK_KDE), Kde(19, b"\x01"))
    assert mac_kde(kdes) == "02:bb:00:00:00:00"
    assert [k.link_id for k in mlo_links(kdes)] == [1]
