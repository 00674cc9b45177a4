"""Radiotap header decoding: field alignment, namespaces, flags, and where the frame starts."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.dot11 import Dot11, RadioTap

from analyzer.dot11.errors import DecodeError
from analyzer.dot11.radiotap import decode_radiotap

EXT, RT_NS, VENDOR_NS = 1 << 31, 1 << 29, 1 << 30
TSFT, FLAGS, RATE, CHANNEL, FHSS, SIGNAL, NOISE = (1 << b for b in range(7))
ANTENNA, RX_FLAGS, XCHANNEL, MCS, AMPDU, VHT, TIMESTAMP = (
    1 << 11,
    1 << 14,
    1 << 18,
    1 << 19,
    1 << 20,
    1 << 21,
    1 << 22,
)
HE, LSIG, TLV = 1 << 23, 1 << 27, 1 << 28
FRAME = b"\x80\x00" + bytes(22)  # a beacon MAC header


def build(words: list[int], fields: list[tuple[int, bytes]], frame: bytes = FRAME) -> bytes:
    """Radiotap header by hand: each field is (alignment, bytes), aligned to the header start."""
    out = bytearray(struct.pack("<BBH", 0, 0, 0))
    for w in words:
        out += struct.pack("<I", w)
    for align, value in fields:
        out += bytes(-len(out) % align)
        out += value
    struct.pack_into("<H", out, 2, len(out))
    return bytes(out) + frame


def test_radiotap_common_fields_land_at_documented_offsets() -> None:
    """TSFT|Flags|Rate|Channel|Signal puts its fields at 8/16/17/18/22 (DOMAIN §1 example)."""
    buf = build(
        [TSFT | FLAGS | RATE | CHANNEL | SIGNAL],
        [(8, struct.pack("<Q", 0x1122334455)), (1, b"\x10"), (1, b"\x0c")]
        + [(2, struct.pack("<HH", 5180, 0x0140)), (1, struct.pack("b", -42))],
    )
    radio, start = decode_radiotap(buf)
    assert start == 23 == len(buf) - len(FRAME)
    assert radio.tsft_us == 0x1122334455
    assert (radio.flags, radio.rate_500kbps) == (0x10, 12)
    assert (radio.freq_mhz, radio.channel_flags) == (5180, 0x0140)
    assert radio.signal_dbm == -42
    assert radio.noise_dbm is None


@pytest.mark.parametrize(
    "fields",
    [
        dict(present="Flags+Rate+Channel+dBm_AntSignal", Rate=2, ChannelFrequency=2412),
        dict(present="TSFT+Flags+Rate+Channel+dBm_AntSignal+dBm_AntNoise+Antenna"),
        dict(present="Flags+Channel+dBm_AntSignal+MCS+A_MPDU+VHT", dBm_AntSignal=-77),
        dict(present="Rate+Channel+dBm_AntNoise+RXFlags+timestamp", dBm_AntNoise=-101),
        dict(present="TSFT+HE+L_SIG"),
    ],
)
def test_radiotap_agrees_with_scapy_encoder(fields: dict[str, object]) -> None:
    """An independent encoder (scapy) and our decoder agree on every decoded field."""
    values = dict(
        mac_timestamp=987654321,
        Flags="FCS",
        Rate=22,
        ChannelFrequency=5300,
        ChannelFlags="5GHz+OFDM",
        dBm_AntSignal=-40,
        dBm_AntNoise=-95,
    )
    pkt = RadioTap(**{**values, **fields}) / Dot11(addr1="ff:ff:ff:ff:ff:ff")
    buf = bytes(pkt)
    back = RadioTap(buf)
    radio, start = decode_radiotap(buf)
    present = str(fields["present"]).split("+")
    assert start == back.len
    assert buf[start:] == bytes(back.payload)
    assert radio.tsft_us == (back.mac_timestamp if "TSFT" in present else None)
    assert radio.flags == (int(back.Flags) if "Flags" in present else None)
    assert radio.fcs_present is ("Flags" in present)
    assert radio.freq_mhz == (back.ChannelFrequency if "Channel" in present else None)
    assert radio.signal_dbm == (back.dBm_AntSignal if "dBm_AntSignal" in present else None)
    assert radio.noise_dbm == (back.dBm_AntNoise if "dBm_AntNoise" in present else None)
    assert radio.rate_500kbps == (back.Rate * 2 if "Rate" in present else None)  # scapy: Mb/s


def test_radiotap_flags_report_fcs_bad_fcs_and_padding() -> None:
    radio, _ = decode_radiotap(build([FLAGS], [(1, b"\x70")]))
    assert radio.fcs_present and radio.bad_fcs and radio.data_pad
    radio, _ = decode_radiotap(build([FLAGS], [(1, b"\x00")]))
    assert not (radio.fcs_present or radio.bad_fcs or radio.data_pad)


def test_radiotap_alignment_is_relative_to_header_start() -> None:
    """With two present words, data starts at 12 and TSFT is padded to 16."""
    buf = build([EXT | TSFT | FLAGS, RT_NS], [(8, struct.pack("<Q", 7)), (1, b"\x10")])
    assert buf[16:24] == struct.pack("<Q", 7)
    radio, start = decode_radiotap(buf)
    assert (radio.tsft_us, radio.flags, start) == (7, 0x10, 25)


def test_radiotap_first_signal_wins_over_per_chain_signals() -> None:
    """mac80211: the first namespace holds the combined signal, later ones each chain."""
    words = [
        TSFT | FLAGS | RATE | CHANNEL | SIGNAL | RX_FLAGS | RT_NS | EXT,
        SIGNAL | ANTENNA | RT_NS | EXT,
        SIGNAL | ANTENNA,
    ]
    fields = [(8, bytes(8)), (1, b"\x00"), (1, b"\x02"), (2, struct.pack("<HH", 2437, 0xA0))]
    fields += [(1, b"\xd6"), (2, b"\x00\x00"), (1, b"\xd4"), (1, b"\x00")]
    fields += [(1, b"\xd0"), (1, b"\x01")]
    radio, start = decode_radiotap(build(words, fields))
    assert radio.signal_dbm == -42
    assert radio.freq_mhz == 2437
    assert start == len(build(words, fields)) - len(FRAME)


def test_radiotap_vendor_namespace_is_skipped_and_decoding_continues() -> None:
    """A vendor namespace's data is skip_length bytes after its 6-byte header."""
    words = [FLAGS | VENDOR_NS | EXT, 0x0000_00FF | RT_NS | EXT, SIGNAL | NOISE]
    vendor = b"\x00\x11\x22" + b"\x01" + struct.pack("<H", 5) + b"\xee" * 5
    fields = [(1, b"\x10"), (2, vendor), (1, b"\xc4"), (1, b"\xa0")]
    radio, _ = decode_radiotap(build(words, fields))
    assert radio.flags == 0x10
    assert (radio.signal_dbm, radio.noise_dbm) == (-60, -96)


def test_radiotap_skips_known_fields_so_later_namespaces_land_right() -> None:
    """FHSS, lock quality, MCS, A-MPDU, VHT, timestamp, HE, L-SIG have sizes we must skip."""
    skipped = FHSS | (1 << 7) | MCS | AMPDU | VHT | TIMESTAMP | HE | LSIG | XCHANNEL
    words = [FLAGS | skipped | RT_NS | EXT, NOISE]
    fields = [(1, b"\x00"), (2, b"\xff\xff"), (2, b"\xff\xff")]
    fields += [(4, struct.pack("<IHBB", 0, 5745, 149, 0))]  # XChannel
    fields += [(1, b"\xff" * 3), (4, b"\xff" * 8), (2, b"\xff" * 12), (8, b"\xff" * 12)]
    fields += [(2, b"\xff" * 12), (2, b"\xff" * 4), (1, b"\xa5")]
    radio, start = decode_radiotap(build(words, fields))
    assert radio.noise_dbm == -91
    assert radio.freq_mhz == 5745  # from XChannel when Channel is absent
    assert start == len(build(words, fields)) - len(FRAME)


def test_radiotap_unknown_field_still_finds_frame_at_it_len() -> None:
    """An unknown (or variable) field stops the field walk, not the frame."""
    buf = build([FLAGS | TLV | SIGNAL], [(1, b"\x10"), (1, b"\xd0"), (4, b"\x01\x02\x03\x04")])
    radio, start = decode_radiotap(buf)
    assert buf[start:] == FRAME
    assert (radio.flags, radio.signal_dbm) == (0x10, -48)  # fields before the TLV bit
    buf = build([FLAGS | EXT, 1 << 3], [(1, b"\x10"), (1, b"\x99" * 9)])  # radiotap bit 35
    radio, start = decode_radiotap(buf)
    assert radio.flags == 0x10 and buf[start:] == FRAME


def test_radiotap_field_past_it_len_stops_walk_keeps_frame() -> None:
    buf = bytearray(build([FLAGS | CHANNEL], [(1, b"\x10")]))
    radio, start = decode_radiotap(bytes(buf))
    assert radio.flags == 0x10 and radio.freq_mhz is None and start == 9


@pytest.mark.parametrize(
    "buf, why",
    [
        (b"", "truncated"),
        (b"\x00\x00\x08", "truncated"),
        (b"\x00\x00\x07\x00\x00\x00\x00\x00", "it_len"),
        (b"\x00\x00\x20\x00\x00\x00\x00\x00" + bytes(8), "it_len"),
        (b"\x01\x00\x08\x00\x00\x00\x00\x00", "version"),
        (b"\x00\x00\x08\x00\x00\x00\x00\x80", "present words"),
    ],
)
def test_radiotap_broken_header_raises_link_decode_error(buf: bytes, why: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode_radiotap(buf)
    assert info.value.layer == "link"
    assert why in info.value.reason


def test_radiotap_accepts_memoryview() -> None:
    buf = build([FLAGS | SIGNAL], [(1, b"\x10"), (1, b"\xc0")])
    assert decode_radiotap(memoryview(buf)) == decode_radiotap(buf)


@settings(max_examples=500, deadline=None)
@given(
    words=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=4), data=st.binary(max_size=80)
)
def test_radiotap_random_present_words_never_escape_it_len(words: list[int], data: bytes) -> None:
    """Any present bitmap over any field bytes: a Radio and it_len, or a link DecodeError."""
    words = [w | EXT for w in words[:-1]] + [words[-1] & ~EXT]
    buf = build(words, [(1, data)])
    try:
        radio, start = decode_radiotap(buf)
    except DecodeError as e:
        assert e.layer == "link"
        return
    assert buf[start:] == FRAME
    assert radio.signal_dbm is None or -128 <= radio.signal_dbm <= 127
