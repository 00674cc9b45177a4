"""decode() turns any record into Frame | Malformed | None; peek() agrees with it, cheaply."""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.dot11 import (
    Dot11,
    Dot11Auth,
    Dot11Beacon,
    Dot11Deauth,
    Dot11Elt,
    Dot11QoS,
    RadioTap,
)
from scapy.layers.l2 import Dot1Q, Ether

from analyzer.capture.records import RawRecord
from analyzer.dot11 import decode, peek
from analyzer.dot11.decode import UNSURE
from analyzer.dot11.records import (
    Auth,
    Beacon,
    Ccmp,
    Disconnect,
    Eapol,
    EthHeader,
    Frame,
    Kind,
    MacHeader,
    Malformed,
)

AP, STA, BCAST = "00:11:22:33:44:55", "66:77:88:99:aa:bb", "ff:ff:ff:ff:ff:ff"
SNAP = b"\xaa\xaa\x03\x00\x00\x00"
PUBLIC = Path(__file__).resolve().parents[3] / "shared" / "pcaps" / "public"


def eapol_m1() -> bytes:
    """EAPOL-Key message 1 of the 4-way handshake (key info 0x008a), no key data."""
    body = struct.pack(">BHH", 2, 0x008A, 16) + struct.pack(">Q", 1) + b"\x11" * 32
    body += bytes(16 + 8 + 8 + 16) + struct.pack(">H", 0)
    return struct.pack(">BBH", 2, 3, len(body)) + body


def radiotap(flags: int = 0x10) -> bytes:
    return bytes(RadioTap(present="Flags+Channel+dBm_AntSignal", Flags=flags, dBm_AntSignal=-50))


def rt(frame: bytes, flags: int = 0x10, fcs: bool = True) -> bytes:
    """Radiotap + frame (+ a correct FCS when flags say it is present)."""
    tail = struct.pack("<I", zlib.crc32(frame)) if fcs and flags & 0x10 else b""
    return radiotap(flags) + frame + tail


def rec(data: bytes, linktype: int = 127) -> RawRecord:
    return RawRecord(7, 1_000, linktype, data, 2, len(data))


BEACON = bytes(
    Dot11(addr1=BCAST, addr2=AP, addr3=AP, SC=0x10)
    / Dot11Beacon(cap="ESS+privacy")
    / Dot11Elt(ID=0, info=b"corp")
    / Dot11Elt(ID=3, info=b"\x06")
)
DEAUTH = bytes(Dot11(subtype=12, addr1=STA, addr2=AP, addr3=AP) / Dot11Deauth(reason=7))
AUTH = bytes(Dot11(subtype=11, addr1=AP, addr2=STA, addr3=AP) / Dot11Auth(algo=0, seqnum=1))
ACK = bytes(Dot11(type=1, subtype=13, addr1=STA))
QOS_PROTECTED = bytes(
    Dot11(type=2, subtype=8, FCfield="to_DS+protected", addr1=AP, addr2=STA, addr3=BCAST)
    / Dot11QoS(TID=6)
    / (b"\x01\x00\x00\x20\x00\x00\x00\x00" + b"\x99" * 40)
)
EAPOL = bytes(
    Dot11(type=2, subtype=8, FCfield="from_DS", addr1=STA, addr2=AP, addr3=AP)
    / Dot11QoS()
    / (SNAP + b"\x88\x8e" + eapol_m1())
)
NULL = bytes(Dot11(type=2, subtype=4, FCfield="to_DS+pw_mgt", addr1=AP, addr2=STA, addr3=AP))
MIX = {"beacon": BEACON, "qos_protected": QOS_PROTECTED, "ack": ACK, "eapol": EAPOL}


def test_beacon_decodes_with_radio_header_and_body() -> None:
    f = decode(rec(rt(BEACON)))
    assert isinstance(f, Frame)
    assert (f.index, f.ts_ns, f.interface, f.kind) == (7, 1_000, 2, Kind.BEACON)
    assert f.radio is not None and f.radio.signal_dbm == -50 and f.radio.fcs_present
    assert isinstance(f.header, MacHeader) and f.header.bssid == AP and f.header.seq == 1
    assert isinstance(f.body, Beacon) and f.body.elements.ssid == b"corp"


def test_bad_fcs_frame_is_malformed_not_dropped() -> None:
    m = decode(rec(rt(BEACON, flags=0x50)))
    assert isinstance(m, Malformed)
    assert (m.index, m.layer, m.reason) == (7, "link", "bad FCS")


def test_fcs_mismatch_is_malformed_even_when_not_flagged() -> None:
    data = bytearray(rt(BEACON))
    data[-1] ^= 0xFF
    m = decode(rec(bytes(data)))
    assert isinstance(m, Malformed) and m.reason == "FCS mismatch"
    assert isinstance(decode(rec(bytes(data)), check_fcs=False), Frame)


def test_fcs_is_not_part_of_the_body() -> None:
    f = decode(rec(rt(DEAUTH)))
    assert isinstance(f, Frame) and f.kind is Kind.DEAUTH
    assert isinstance(f.body, Disconnect) and f.body.reason == 7


RTS = bytes(Dot11(type=1, subtype=11, addr1=AP, addr2=STA))
CTS = bytes(Dot11(type=1, subtype=12, addr1=STA))
BLOCK_ACK_REQ = bytes(Dot11(type=1, subtype=8, addr1=STA, addr2=AP)) + bytes(4)
# a compressed Block Ack (BA Control 0x0004): SSN 1, bitmap bit 0
BLOCK_ACK = bytes(Dot11(type=1, subtype=9, addr1=STA, addr2=AP)) + bytes.fromhex(
    "04001000" "0100000000000000"
)


@pytest.mark.parametrize("linktype", [127, 105])
def test_ack_is_a_control_frame_with_its_receiver_address_only(linktype: int) -> None:
    """An ACK (9.3.1.3) names only the transmitter of the frame it acknowledges, as RA."""
    data = rt(ACK) if linktype == 127 else ACK
    f = decode(rec(data, linktype))
    assert isinstance(f, Frame) and f.kind is Kind.CONTROL and f.body is None
    assert isinstance(f.header, MacHeader)
    assert (f.header.ftype, f.header.subtype, f.header.length) == (1, 13, 10)
    assert (f.header.ra, f.header.ta, f.header.bssid, f.header.seq) == (STA, None, None, None)
    assert peek(linktype, data) == Kind.CONTROL


@pytest.mark.parametrize("frame", [RTS, CTS, BLOCK_ACK_REQ], ids=["rts", "cts", "block_ack_req"])
def test_other_control_frames_are_ignored(frame: bytes) -> None:
    assert decode(rec(rt(frame))) is None
    assert peek(127, rt(frame)) == -1


def test_ack_shorter_than_ten_bytes_is_malformed_at_mac_layer() -> None:
    data = rt(ACK[:8])
    assert peek(127, data) == Kind.CONTROL  # so that decode() can say why
    m = decode(rec(data))
    assert isinstance(m, Malformed) and m.layer == "mac" and "too short" in m.reason


def test_ack_with_a_wrong_fcs_is_malformed() -> None:
    data = bytearray(rt(ACK))
    data[-1] ^= 0xFF
    m = decode(rec(bytes(data)))
    assert isinstance(m, Malformed) and (m.layer, m.reason) == ("link", "FCS mismatch")
    flagged = decode(rec(rt(ACK, flags=0x50)))
    assert isinstance(flagged, Malformed) and flagged.reason == "bad FCS"


def test_extension_frames_are_ignored() -> None:
    frame = b"\x0c\x00" + bytes(30)
    assert decode(rec(frame, linktype=105)) is None
    assert peek(105, frame) == -1


def test_protected_qos_data_is_data_with_its_ccmp_header() -> None:
    """The body of a protected data frame is what the PN tracker reads in the clear
    (issue 19): its packet number, key ID and MIC; the payload stays undecoded."""
    f = decode(rec(rt(QOS_PROTECTED)))
    assert isinstance(f, Frame) and f.kind is Kind.DATA
    assert f.body == Ccmp(1, 0, int.from_bytes(b"\x99" * 8, "little"))
    assert isinstance(f.header, MacHeader) and f.header.tid == 6 and f.header.sta == STA


def test_null_data_is_kept_as_data() -> None:
    """Power-save nulls show a station is alive."""
    f = decode(rec(rt(NULL)))
    assert isinstance(f, Frame) and f.kind is Kind.DATA
    assert isinstance(f.header, MacHeader) and f.header.pwr_mgt


def test_four_address_data_is_data() -> None:
    frame = bytes(Dot11(type=2, subtype=0, FCfield="to_DS+from_DS", addr4=STA) / (SNAP + b"x"))
    f = decode(rec(frame, linktype=105))
    assert isinstance(f, Frame) and f.kind is Kind.DATA


def test_eapol_in_llc_snap_is_decoded() -> None:
    f = decode(rec(rt(EAPOL)))
    assert isinstance(f, Frame) and f.kind is Kind.EAPOL
    assert isinstance(f.body, Eapol) and (f.body.ethertype, f.body.type) == (0x888E, 3)
    assert f.body.raw == eapol_m1()


def test_preauthentication_ethertype_is_eapol() -> None:
    frame = bytes(Dot11(type=2, subtype=0, FCfield="to_DS", addr1=AP, addr2=STA, addr3=AP))
    frame += SNAP + b"\x88\xc7" + eapol_m1()
    f = decode(rec(frame, linktype=105))
    assert isinstance(f, Frame) and f.kind is Kind.EAPOL
    assert isinstance(f.body, Eapol) and f.body.ethertype == 0x88C7
    assert peek(105, frame) == Kind.EAPOL


def test_radiotap_data_padding_is_skipped_before_llc() -> None:
    """Flag 0x20: a 26-byte QoS header is padded to 28 before the LLC header."""
    frame = EAPOL[:26] + b"\x00\x00" + EAPOL[26:]
    f = decode(rec(rt(frame, flags=0x30)))
    assert isinstance(f, Frame) and f.kind is Kind.EAPOL
    assert peek(127, rt(frame, flags=0x30)) == Kind.EAPOL


def test_protected_frame_with_llc_like_bytes_is_not_eapol() -> None:
    frame = bytearray(EAPOL)
    frame[1] |= 0x40
    assert peek(105, bytes(frame)) == Kind.DATA
    f = decode(rec(bytes(frame), linktype=105))
    assert isinstance(f, Frame) and f.kind is Kind.DATA


def test_first_fragment_with_eapol_llc_is_data_until_reassembled() -> None:
    """More Fragments set: the MSDU is whole only after reassembly, which the decoder does
    not do, so the fragment is DATA whatever its first octets look like (tshark shows it as
    Data too)."""
    frame = bytearray(EAPOL)
    frame[1] |= 0x04
    for linktype, data in ((105, bytes(frame)), (127, rt(bytes(frame)))):
        assert peek(linktype, data) == Kind.DATA
        f = decode(rec(data, linktype=linktype))
        assert isinstance(f, Frame) and f.kind is Kind.DATA and f.body is None


def test_a_msdu_whose_first_subframe_looks_like_eapol_llc_is_data() -> None:
    """QoS Control bit 7 (A-MSDU Present): the body is A-MSDU subframes (DA, SA, length),
    never an LLC header, even when their octets spell one (tshark shows the subframes)."""
    frame = bytearray(EAPOL)
    frame[24] |= 0x80
    for linktype, data in ((105, bytes(frame)), (127, rt(bytes(frame)))):
        assert peek(linktype, data) == Kind.DATA
        f = decode(rec(data, linktype=linktype))
        assert isinstance(f, Frame) and f.kind is Kind.DATA and f.body is None


def test_unknown_management_subtype_is_other_mgmt_without_body() -> None:
    frame = bytes(Dot11(type=0, subtype=9, addr1=BCAST, addr2=AP, addr3=AP))  # ATIM
    f = decode(rec(frame, linktype=105))
    assert isinstance(f, Frame) and f.kind is Kind.OTHER_MGMT and f.body is None
    assert peek(105, frame) == Kind.OTHER_MGMT


def test_bad_management_body_is_malformed_with_kind_and_header() -> None:
    m = decode(rec(AUTH[:26], linktype=105))
    assert isinstance(m, Malformed)
    assert (m.layer, m.kind) == ("mgmt", Kind.AUTH)
    assert m.header is not None and m.header.sa == STA


def test_auth_body_decodes() -> None:
    f = decode(rec(AUTH, linktype=105))
    assert isinstance(f, Frame) and isinstance(f.body, Auth) and f.body.seq == 1


def test_truncated_mac_header_is_malformed_at_mac_layer() -> None:
    m = decode(rec(BEACON[:20], linktype=105))
    assert isinstance(m, Malformed) and m.layer == "mac" and m.kind is None


@pytest.mark.parametrize("data", [b"", b"\x00\x00\x40\x00\x00\x00\x00\x00", radiotap(0)])
def test_broken_or_empty_link_layer_is_malformed(data: bytes) -> None:
    m = decode(rec(data))
    assert isinstance(m, Malformed) and m.layer == "link"


def test_unsupported_linktype_is_malformed_and_peek_says_irrelevant() -> None:
    assert isinstance(decode(rec(BEACON, linktype=228)), Malformed)
    assert peek(228, BEACON) == -1


def test_ethernet_eapol_frame_has_eth_header() -> None:
    data = bytes(Ether(dst=STA, src=AP, type=0x888E) / eapol_m1())
    f = decode(rec(data, linktype=1))
    assert isinstance(f, Frame) and f.kind is Kind.EAPOL and f.radio is None
    assert f.header == EthHeader(dst=STA, src=AP, ethertype=0x888E)
    assert isinstance(f.body, Eapol) and f.body.type == 3
    assert peek(1, data) == Kind.EAPOL


def test_ethernet_vlan_tagged_eapol_is_decoded() -> None:
    data = bytes(Ether(dst=STA, src=AP) / Dot1Q(vlan=5, type=0x888E) / eapol_m1())
    f = decode(rec(data, linktype=1))
    assert isinstance(f, Frame) and f.kind is Kind.EAPOL
    assert peek(1, data) == Kind.EAPOL


def test_ethernet_other_ethertypes_are_ignored() -> None:
    data = bytes(Ether(type=0x0800) / (b"\x45" + bytes(40)))
    assert decode(rec(data, linktype=1)) is None
    assert peek(1, data) == -1


@pytest.mark.parametrize("name", sorted(MIX) + ["deauth", "auth", "null", "rts", "cts", "ba"])
@pytest.mark.parametrize("linktype", [127, 105])
def test_peek_agrees_with_decode(name: str, linktype: int) -> None:
    others = {"deauth": DEAUTH, "auth": AUTH, "null": NULL, "rts": RTS, "cts": CTS}
    frame = {**MIX, **others, "ba": BLOCK_ACK}[name]
    data = rt(frame) if linktype == 127 else frame
    item = decode(rec(data, linktype))
    expected = -1 if item is None else int(item.kind)  # type: ignore[union-attr]
    assert peek(linktype, data) == expected


# --- robustness -----------------------------------------------------------------------------

VALID = [rt(f) for f in (BEACON, DEAUTH, AUTH, EAPOL, QOS_PROTECTED, NULL, ACK, BLOCK_ACK)] + [
    rt(EAPOL[:26] + b"\x00\x00" + EAPOL[26:], flags=0x30),
    rt(BEACON, flags=0),
]


@settings(max_examples=400, deadline=None)
@given(
    base=st.sampled_from(VALID),
    cut=st.integers(min_value=0, max_value=400),
    edits=st.lists(st.tuples(st.integers(0, 399), st.integers(0, 255)), max_size=6),
    tail=st.binary(max_size=40),
)
def test_decode_never_raises_on_truncated_or_mutated_frames(
    base: bytes, cut: int, edits: list[tuple[int, int]], tail: bytes
) -> None:
    data = bytearray(base[:cut])
    for pos, value in edits:
        if pos < len(data):
            data[pos] = value
    data += tail
    for checked in (True, False):
        item = decode(rec(bytes(data)), check_fcs=checked)
        assert item is None or isinstance(item, Frame | Malformed)
    assert isinstance(peek(127, bytes(data)), int)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200), linktype=st.sampled_from([1, 105, 119, 127, 163, 192, 0]))
def test_peek_and_decode_never_raise_on_arbitrary_bytes(data: bytes, linktype: int) -> None:
    assert peek(linktype, data) >= -1
    item = decode(rec(data, linktype))
    assert item is None or isinstance(item, Frame | Malformed)


def test_peek_on_empty_bytes_is_unsure_so_decode_reports_it() -> None:
    """An unreadable record must reach decode() and be counted as malformed, not dropped."""
    for linktype in (1, 105, 119, 127, 163, 192):
        assert peek(linktype, b"") == UNSURE
        assert isinstance(decode(RawRecord(1, 0, linktype, b"", 0, 0)), Malformed)


# --- a real frame ---------------------------------------------------------------------------


def first_record(path: Path) -> tuple[int, bytes]:
    """Linktype and data of the first record of a (gzipped) little-endian µs pcap."""
    raw = gzip.decompress(path.read_bytes())
    magic, _, _, _, _, _, linktype = struct.unpack_from("<IHHiIII", raw)
    assert magic == 0xA1B2C3D4
    incl = struct.unpack_from("<IIII", raw, 24)[2]
    return linktype, raw[40 : 40 + incl]


@pytest.mark.public
def test_real_beacon_from_wpa_induction() -> None:
    """Wireshark's wpa-Induction.pcap.gz, frame 1: beacon of SSID "Coherer" on channel 1."""
    path = PUBLIC / "wpa-Induction.pcap.gz"
    if not path.is_file():
        pytest.skip(f"real captures not available: {path} is absent")
    linktype, data = first_record(path)
    assert peek(linktype, data) == Kind.BEACON
    f = decode(RawRecord(1, 0, linktype, data, 0, len(data)))
    assert isinstance(f, Frame) and f.kind is Kind.BEACON
    assert f.radio is not None and (f.radio.freq_mhz, f.radio.rate_500kbps) == (2412, 2)
    assert f.radio.fcs_present
    assert isinstance(f.header, MacHeader) and f.header.bssid == "00:0c:41:82:b2:55"
    assert isinstance(f.body, Beacon) and f.body.elements.ssid == b"Coherer"
    assert f.body.elements.channel == 1
