"""Link-layer encapsulations: where the 802.11 frame starts and ends, and the radio fields."""

from __future__ import annotations

import struct

import pytest
from scapy.layers.dot11 import Dot11, RadioTap
from scapy.layers.l2 import Dot1Q, Ether

from analyzer.dot11.errors import DecodeError
from analyzer.dot11.linklayer import (
    SUPPORTED_LINKTYPES,
    channel_to_mhz,
    decode_ethernet,
    decode_link,
)

FRAME = bytes(
    Dot11(addr1="ff:ff:ff:ff:ff:ff", addr2="00:11:22:33:44:55", addr3="00:11:22:33:44:55")
)
FCS = b"\xde\xad\xbe\xef"


def ppi(common_flags: int, signal: int = -55, aligned: bool = False, extra: bytes = b"") -> bytes:
    """PPI header: an optional unknown field first, then 802.11-Common (type 2, 20 bytes)."""
    common = struct.pack("<QHHHHBBbb", 1234, common_flags, 108, 5240, 0x140, 0, 0, signal, -92)
    fields = b""
    if extra:
        fields += struct.pack("<HH", 30000, len(extra)) + extra
        if aligned:
            fields += bytes(-len(extra) % 4)
    fields += struct.pack("<HH", 2, len(common)) + common
    return struct.pack("<BBHI", 0, 1 if aligned else 0, 8 + len(fields), 105) + fields


def prism(order: str, msgcode: int = 0x44) -> bytes:
    items = [(0, 0, 4, 0)] * 10
    items[2] = (0, 0, 4, 6)  # channel
    items[5] = (0, 0, 4, -61 & 0xFFFFFFFF)  # signal
    items[6] = (0, 1, 4, 0)  # noise: status 1 = no value
    items[7] = (0, 0, 4, 22)  # rate
    body = b"".join(struct.pack(order + "IHHI", *i) for i in items)
    return struct.pack(order + "II", msgcode, 144) + b"wlan0".ljust(16, b"\0") + body


def avs(ssi_type: int = 2) -> bytes:
    return struct.pack(
        ">IIQQIIIIIIiiII", 0x80211001, 64, 777, 888, 4, 36, 540, 0, 0, ssi_type, -48, -95, 0, 0
    )


def test_supported_linktypes() -> None:
    assert SUPPORTED_LINKTYPES == {1, 105, 119, 127, 163, 192}


def test_raw_80211_frame_starts_at_zero_without_radio() -> None:
    assert decode_link(105, FRAME) == (None, 0, len(FRAME))


def test_fcs_present_strips_four_bytes() -> None:
    buf = bytes(RadioTap(present="Flags", Flags="FCS") / FRAME) + FCS
    radio, start, end = decode_link(127, buf)
    assert radio is not None and radio.fcs_present
    assert buf[start:end] == FRAME and buf[end:] == FCS


def test_radiotap_without_fcs_keeps_whole_frame() -> None:
    buf = bytes(RadioTap(present="dBm_AntSignal", dBm_AntSignal=-33) / FRAME)
    radio, start, end = decode_link(127, buf)
    assert radio is not None and radio.signal_dbm == -33
    assert (buf[start:end], end) == (FRAME, len(buf))


@pytest.mark.parametrize("aligned", [False, True])
def test_ppi_common_field_gives_radio_and_fcs(aligned: bool) -> None:
    buf = ppi(0x0001, aligned=aligned, extra=b"\x01\x02\x03") + FRAME + FCS
    radio, start, end = decode_link(192, buf)
    assert buf[start:end] == FRAME
    assert radio is not None
    assert (radio.tsft_us, radio.rate_500kbps, radio.freq_mhz, radio.channel_flags) == (
        1234,
        108,
        5240,
        0x140,
    )
    assert (radio.signal_dbm, radio.noise_dbm, radio.fcs_present, radio.bad_fcs) == (
        -55,
        -92,
        True,
        False,
    )


def test_ppi_invalid_fcs_flag_is_bad_fcs() -> None:
    radio, _, _ = decode_link(192, ppi(0x0005) + FRAME + FCS)
    assert radio is not None and radio.bad_fcs


def test_ppi_without_common_field_still_finds_frame() -> None:
    buf = struct.pack("<BBHI", 0, 0, 8, 105) + FRAME
    assert decode_link(192, buf) == (None, 8, len(buf))


@pytest.mark.parametrize(
    "buf",
    [
        b"\x00\x00\x08",
        struct.pack("<BBHI", 0, 0, 200, 105) + FRAME,
        struct.pack("<BBHI", 0, 0, 8, 1) + FRAME,  # PPI around Ethernet
        struct.pack("<BBHI", 0, 0, 12, 105) + struct.pack("<HH", 2, 20) + FRAME,
    ],
)
def test_broken_ppi_is_a_link_error(buf: bytes) -> None:
    with pytest.raises(DecodeError) as info:
        decode_link(192, buf)
    assert info.value.layer == "link"


@pytest.mark.parametrize("order", ["<", ">"])
def test_prism_header_in_either_byte_order(order: str) -> None:
    buf = prism(order) + FRAME
    radio, start, end = decode_link(119, buf)
    assert (start, end) == (144, len(buf))
    assert radio is not None
    assert (radio.freq_mhz, radio.signal_dbm, radio.noise_dbm, radio.rate_500kbps) == (
        2437,
        -61,
        None,
        22,
    )


def test_prism_with_unknown_msgcode_is_a_link_error() -> None:
    with pytest.raises(DecodeError, match="msgcode"):
        decode_link(119, prism("<", msgcode=0x99) + FRAME)


def test_avs_header_length_gives_frame_offset() -> None:
    buf = avs() + FRAME
    radio, start, end = decode_link(163, buf)
    assert (start, end) == (64, len(buf))
    assert radio is not None
    assert (radio.tsft_us, radio.freq_mhz, radio.rate_500kbps) == (777, 5180, 108)
    assert (radio.signal_dbm, radio.noise_dbm) == (-48, -95)


def test_avs_signal_only_when_reported_in_dbm() -> None:
    radio, _, _ = decode_link(163, avs(ssi_type=1) + FRAME)
    assert radio is not None and radio.signal_dbm is None


def test_avs_header_under_prism_linktype_is_recognised() -> None:
    radio, start, _ = decode_link(119, avs() + FRAME)
    assert start == 64 and radio is not None and radio.freq_mhz == 5180


def test_unsupported_linktype_is_a_link_error() -> None:
    with pytest.raises(DecodeError, match="unsupported linktype 228"):
        decode_link(228, FRAME)


def test_fcs_longer_than_frame_is_a_link_error() -> None:
    buf = bytes(RadioTap(present="Flags", Flags="FCS")) + b"\x00\x00"
    with pytest.raises(DecodeError, match="FCS"):
        decode_link(127, buf)


def test_ethernet_eapol_header() -> None:
    buf = bytes(Ether(dst="00:11:22:33:44:55", src="66:77:88:99:aa:bb", type=0x888E) / b"\x02")
    eth, pos = decode_ethernet(buf)
    assert (eth.dst, eth.src, eth.ethertype, pos) == (
        "00:11:22:33:44:55",
        "66:77:88:99:aa:bb",
        0x888E,
        14,
    )


def test_ethernet_vlan_tag_is_skipped() -> None:
    buf = bytes(Ether(src="66:77:88:99:aa:bb") / Dot1Q(vlan=42, type=0x888E) / b"\x02\x03")
    eth, pos = decode_ethernet(buf)
    assert (eth.ethertype, pos, buf[pos:]) == (0x888E, 18, b"\x02\x03")


def test_truncated_ethernet_is_a_link_error() -> None:
    with pytest.raises(DecodeError):
        decode_ethernet(b"\x00" * 13)
    with pytest.raises(DecodeError, match="VLAN"):
        decode_ethernet(b"\x00" * 12 + b"\x81\x00\x00")


@pytest.mark.parametrize(
    "channel, mhz", [(1, 2412), (13, 2472), (14, 2484), (36, 5180), (165, 5825), (0, None)]
)
def test_channel_to_mhz(channel: int, mhz: int | None) -> None:
    assert channel_to_mhz(channel) == mhz
