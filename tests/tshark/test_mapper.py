"""The tshark mapper (analyzer.tshark): tshark's dissection of builder-made frames maps to the
very records our decoder gives for the same bytes, and the pure helpers read tshark's JSON."""

from __future__ import annotations

import io
import struct
from dataclasses import replace
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.capture.writer import write_capture
from analyzer.dot11 import decode
from analyzer.dot11.records import (
    Action,
    AssocReq,
    BlockAck,
    BtmRequest,
    BtmResponse,
    Disconnect,
    Frame,
    FtAction,
    Kind,
    Malformed,
    NeighborResp,
    SaQuery,
)
from analyzer.simulate import actions as act
from analyzer.simulate import eapol as ea
from analyzer.simulate import elements as el
from analyzer.simulate import frames as fr
from analyzer.tshark.mapper import header, map_packet, ts_ns
from analyzer.tshark.runner import TsharkCapture, packets
from analyzer.tshark.tree import printable

AP1, AP2 = fr.mac("02:00:00:00:01:00"), fr.mac("02:00:00:00:02:00")
STA = fr.mac("02:00:00:00:0a:00")
RADIO = fr.Radio(tsft_us=1_000, freq_mhz=5180, signal_dbm=-48)
PMKID = bytes(range(16))
AKM_FT_PSK, AKM_PSK = 4, 2


def _builder_frames() -> list[bytes]:
    candidates = [el.neighbor_report(AP2, 5200, preference=200), el.neighbor_report(AP1, 5180)]
    ft_elements = el.rsne(AKM_FT_PSK, [PMKID]) + el.mde(0xA1B2) + el.fte(
        snonce=bytes(range(32)), r0kh_id=b"r0kh.example", r1kh_id=AP2)
    return [
        fr.assoc_req(AP1, STA, 0x0011, el.ssid(b"lab\x01") + el.rsne(AKM_PSK, [PMKID, PMKID[::-1]])
                     + el.ext_capabilities() + el.rm_capabilities() + el.owe_dh(bytes(32))),
        fr.assoc_req(AP2, STA, 0x0011, el.ssid(b"lab") + ft_elements, current_ap=AP1),
        fr.assoc_resp(AP1, STA, 0x0011, 30, 0, el.timeout_interval(3, 1000)),
        fr.auth(AP2, STA, AP2, 2, 1, body=ft_elements),
        fr.action(STA, AP1, AP1, act.btm_request(7, candidates, disassoc_imminent=True,
                                                 disassoc_timer=20)),
        fr.action(AP1, STA, AP1, act.btm_response(7, 0, AP2)),
        fr.action(AP1, STA, AP1, act.ft_request(STA, AP2, ft_elements)),
        fr.action(STA, AP1, AP1, act.ft_response(STA, AP2, 0, ft_elements)),
        fr.action(AP1, STA, AP1, act.sa_query(False, 0x1234)),
        fr.action(STA, AP1, AP1, act.neighbor_response(3, candidates)),
        fr.deauth(STA, AP1, AP1, 3),
        fr.ack(AP1),
        fr.block_ack(STA, AP1, 5, 100, b"\x0f" + bytes(7)),
    ]


@pytest.fixture(scope="module")
def builder_capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tshark") / "builder.pcap"
    frames = _builder_frames()
    write_capture(path, ((1_700_000_000_000_000_000 + i * 1_000_123, fr.on_air(f, RADIO))
                         for i, f in enumerate(frames)))  # fmt: skip
    return path


@pytest.fixture(scope="module")
def both(builder_capture: Path) -> list[tuple[Frame | Malformed | None, Frame | Malformed]]:
    if __import__("shutil").which("tshark") is None:
        pytest.skip("tshark is not installed (apt-get install tshark)")
    ours = {rec.index: decode(rec) for rec in open_capture(str(builder_capture))}
    return [(ours.get(item.index), item) for item in TsharkCapture(str(builder_capture))]


@pytest.mark.tshark
def test_every_builder_frame_maps_to_the_record_our_decoder_gives(both: list) -> None:
    """Management, Action (FT, BTM, SA Query, neighbour report), ACK and Block Ack frames:
    tshark's fields rebuild the same Frame, radio, header and body, field for field."""
    assert len(both) == len(_builder_frames())
    for ours, theirs in both:
        assert theirs == ours, f"frame {theirs.index}"


@pytest.mark.tshark
def test_rsne_pmkids_ssid_bytes_and_extension_elements_come_from_tshark(both: list) -> None:
    """The RSNE's PMKID list, an SSID with a control byte and the OWE DH group (an
    extension element, which tshark lists apart from the others) all survive."""
    frame = both[0][1]
    assert isinstance(frame, Frame) and isinstance(frame.body, AssocReq)
    elements = frame.body.elements
    assert elements.rsne is not None and elements.rsne.pmkids == (PMKID, PMKID[::-1])
    assert elements.ssid == b"lab\x01"
    assert elements.owe_dh_group == 19 and elements.bss_transition


@pytest.mark.tshark
def test_ft_reassociation_keeps_current_ap_mde_and_fte(both: list) -> None:
    frame = both[1][1]
    assert frame.kind is Kind.REASSOC_REQ
    body = frame.body
    assert body.current_ap == "02:00:00:00:01:00"
    assert body.elements.mde.mdid == 0xA1B2
    assert body.elements.fte.r0kh_id == b"r0kh.example"
    assert body.elements.fte.r1kh_id == "02:00:00:00:02:00"


@pytest.mark.tshark
def test_action_details_map_by_category(both: list) -> None:
    """BTM Request/Response, FT Request/Response, SA Query, Neighbor Report Response."""
    details = [f.body.detail for _, f in both if isinstance(f.body, Action)]
    req, resp, ft_req, ft_resp, saq, nresp = details
    assert isinstance(req, BtmRequest) and req.disassoc_imminent and req.disassoc_timer_tbtt == 20
    assert [c.preference for c in req.candidates] == [200, None]
    assert isinstance(resp, BtmResponse) and resp.target_bssid == "02:00:00:00:02:00"
    assert isinstance(ft_req, FtAction) and ft_req.target_ap == "02:00:00:00:02:00"
    assert isinstance(ft_resp, FtAction) and ft_resp.status == 0
    assert saq == SaQuery(0, 0x1234)
    assert isinstance(nresp, NeighborResp) and len(nresp.reports) == 2


@pytest.mark.tshark
def test_control_frames_and_deauth(both: list) -> None:
    deauth, ack, ba = (f for _, f in both[-3:])
    assert deauth.body == Disconnect(True, 3)
    assert ack.kind is Kind.CONTROL and ack.header.addr1 == "02:00:00:00:01:00"
    assert ack.header.addr2 is None and ack.body is None
    assert isinstance(ba.body, BlockAck) and ba.body.starting_seq == 100
    assert ba.body.tid_info == 5 and ba.body.bitmap == b"\x0f" + bytes(7)


@pytest.mark.tshark
def test_a_bad_fcs_is_malformed_in_both_engines(tmp_path: Path, tshark: str) -> None:
    path = tmp_path / "bad.pcap"
    write_capture(path, [(1, fr.on_air(fr.deauth(STA, AP1, AP1, 3), RADIO, bad_fcs=True))])
    (item,) = TsharkCapture(str(path))
    assert isinstance(item, Malformed) and item.reason == "bad FCS"
    assert item == decode(next(iter(open_capture(str(path)))))


def _link_records() -> dict[int, list[bytes]]:
    """The same frames behind every other link header the analyzer reads, and EAPOL on
    Ethernet (with an 802.1Q tag, and pre-authentication)."""
    deauth = fr.deauth(STA, AP1, AP1, 3)
    m1 = ea.eapol_key(ea.KeyMessage("m1", 2, 1, nonce=bytes(range(32)),
                                    key_data=ea.pmkid_kde(PMKID)), None, 2)  # fmt: skip
    identity = ea.eapol(1, 0, ea.eap(2, 1, 1, b"alice\x07"))

    def eth(dst: bytes, src: bytes, payload: bytes, tag: bytes = b"", et: int = 0x888E) -> bytes:
        return dst + src + tag + struct.pack(">H", et) + payload

    ppi_common = struct.pack("<QHHHHBBbb", 1234, 0x0001, 108, 5240, 0x140, 0, 0, -55, -92)
    ppi = struct.pack("<BBHI", 0, 0, 8 + 4 + 20, 105) + struct.pack("<HH", 2, 20) + ppi_common
    prism_items = b"".join(
        struct.pack("<IHHI", (i + 1) << 16 | 0x44, 1 if i == 6 else 0, 4,
                    {2: 6, 5: -61 & 0xFFFFFFFF, 7: 22}.get(i, 0))
        for i in range(10)
    )  # fmt: skip
    prism = struct.pack("<II", 0x44, 144) + b"wlan0".ljust(16, b"\0") + prism_items
    avs = struct.pack(">IIQQIIIIIIiiII", 0x80211001, 64, 777, 888, 4, 36, 540, 0, 0, 2, -48,
                      -95, 0, 0)  # fmt: skip
    return {
        192: [ppi + deauth + fr.fcs(deauth)],
        119: [prism + deauth],
        163: [avs + deauth],
        105: [deauth],
        1: [eth(STA, AP1, m1), eth(AP1, STA, identity, struct.pack(">HH", 0x8100, 5)),
            eth(AP1, STA, ea.eapol_start()), eth(AP1, STA, identity, et=0x88C7)],
    }


@pytest.mark.tshark
@pytest.mark.parametrize("linktype", [192, 119, 163, 105, 1])
def test_other_link_headers_map_to_the_records_our_decoder_gives(
    tshark: str, tmp_path: Path, linktype: int
) -> None:
    """PPI 802.11-Common, Prism, AVS and raw 802.11 give the same Radio (or none); EAPOL on
    Ethernet the same EthHeader and EAPOL records."""
    path = tmp_path / f"link{linktype}.pcap"
    write_capture(path, enumerate(_link_records()[linktype], 1), linktype=linktype)
    ours = [decode(rec) for rec in open_capture(str(path))]
    theirs = list(TsharkCapture(str(path)))
    assert theirs == ours and all(isinstance(i, Frame) for i in theirs)


def _broken_frames() -> list[bytes]:
    llc = b"\xaa\xaa\x03\x00\x00\x00\x88\x8e"
    m1 = ea.eapol_key(ea.KeyMessage("m1", 2, 1, nonce=bytes(32)), None, 2)
    down = fr.data_header(STA, AP1, uplink=False)
    return [
        fr.assoc_req(AP1, STA, 0x11, el.ssid(b"x") + b"\x30\x20\x01\x00"),
        fr.assoc_req(AP1, STA, 0x11, el.ssid(b"x") + el.element(48, b"\x01\x00\x00\x0f")),
        fr.assoc_req(AP1, STA, 0x11, el.element(221, b"\x00\x50")),
        fr.mgmt(0, AP1, STA, AP1, b"\x11"),
        fr.mgmt(11, AP1, STA, AP1, b"\x00\x00"),
        down + llc + m1[:-5],
        down + llc + ea.eapol(1, 0, b"\x02\x01\x00\x40\x01abc"),
        down + llc + ea.eapol(1, 0, b"\x01\x01\x00\x04"),
        down + llc + ea.eapol(1, 3, b"\x02" + bytes(70)),
        down + llc + ea.eapol(1, 3, b"\x09" + bytes(95)),
        fr.mgmt(12, STA, AP1, AP1, b"\x03"),
        fr.mgmt(0, AP1, STA, AP1, b"")[:20],
        fr.assoc_req(AP1, STA, 0x11, el.ssid(b"x") + el.element(55, bytes(10))),
        fr.assoc_req(AP1, STA, 0x11, el.ssid(b"x") + el.element(54, b"\x01")),
    ]


def _without_reasons(item: object) -> object:
    """A record with its malformed reason (wording differs between the engines) left out."""
    if isinstance(item, Malformed):
        return (item.index, item.kind, item.header)
    body = getattr(item, "body", None)
    elements = getattr(body, "elements", None)
    if elements is not None and elements.malformed is not None:
        return item._replace(body=replace(body, elements=replace(elements, malformed="?")))
    return item


@pytest.mark.tshark
def test_malformed_frames_are_malformed_in_both_engines(tshark: str, tmp_path: Path) -> None:
    """Cut elements, cut fixed fields, cut or overlong EAPOL/EAP, an unknown key descriptor,
    a cut MAC header: the same frames are Malformed (or keep a malformed-element note), the
    same well-formed parts survive; only the wording of the reasons differs."""
    path = tmp_path / "broken.pcap"
    write_capture(path, ((i, fr.on_air(f, RADIO)) for i, f in enumerate(_broken_frames(), 1)))
    ours = [_without_reasons(decode(rec)) for rec in open_capture(str(path))]
    theirs = [_without_reasons(item) for item in TsharkCapture(str(path))]
    assert theirs == ours


# --- pure helpers: no tshark needed ------------------------------------------------------------


def test_epoch_time_becomes_integer_nanoseconds_without_float_rounding() -> None:
    layers = {"frame": {"frame.time_epoch": "1610403138.150508344"}}
    assert ts_ns(layers) == 1_610_403_138_150_508_344
    assert ts_ns({"frame": {"frame.time_epoch": "7.5"}}) == 7_500_000_000


def test_packets_are_parsed_one_at_a_time_from_tshark_json() -> None:
    text = (
        '[\n  {\n    "_source": {\n      "layers": {\n        "frame": {"frame.number": "1"}\n'
        '      }\n    }\n  },\n  {\n    "_source": {\n      "layers": {\n'
        '        "frame": {"frame.number": "2"}\n      }\n    }\n  }\n]\n'
    )
    got = [p["frame"]["frame.number"] for p in packets(io.BytesIO(text.encode()))]
    assert got == ["1", "2"]


def test_addresses_take_their_roles_from_the_ds_bits() -> None:
    """ToDS: A1 BSSID, A2 SA, A3 DA; FromDS: A1 DA, A2 BSSID, A3 SA (Table 9-30)."""
    wlan = {"wlan.flags": "0x01", "wlan.ra": "02:00:00:00:01:00", "wlan.ta": "02:00:00:00:0a:00",
            "wlan.da": "02:00:00:00:99:00", "wlan.sa": "02:00:00:00:0a:00",
            "wlan.seq": "5", "wlan.frag": "0", "wlan.qos.tid": "6"}
    hdr = header(wlan, 2, 8)
    assert (hdr.addr1, hdr.addr2, hdr.addr3) == (
        "02:00:00:00:01:00", "02:00:00:00:0a:00", "02:00:00:00:99:00")
    assert hdr.length == 26 and hdr.tid == 6 and hdr.sta == "02:00:00:00:0a:00"


def test_fcs_tshark_found_wrong_is_malformed() -> None:
    layers = {"frame": {"frame.number": "4", "frame.time_epoch": "1.0"},
              "wlan": {"wlan.fc.type": "0", "wlan.fc.subtype": "8", "wlan.fcs.status": "0"}}
    item = map_packet(layers)
    assert isinstance(item, Malformed) and item.index == 4 and item.reason == "FCS mismatch"


def _ppi_with_unknown_field(extra: bytes) -> bytes:
    """PPI with the 32-bit alignment flag, an unknown field (type 30000) padded to 4 octets,
    then 802.11-Common."""
    common = struct.pack("<QHHHHBBbb", 1234, 0, 108, 5240, 0x140, 0, 0, -55, -92)
    fields = struct.pack("<HH", 30000, len(extra)) + extra + bytes(-len(extra) % 4)
    fields += struct.pack("<HH", 2, len(common)) + common
    return struct.pack("<BBHI", 0, 1, 8 + len(fields), 105) + fields


@pytest.mark.tshark
def test_tshark_rejects_an_aligned_ppi_field_padded_to_four_octets(
    tshark: str, tmp_path: Path
) -> None:
    """Frame 1 here: a PPI header with the alignment flag and a 3-octet unknown field
    followed by its 1 octet of padding (PPI 1.0.10: fields are 32-bit aligned when the flag
    is set). tshark 4.0 shows the 802.11-Common field right, then "[Malformed Packet: PPI]"
    and no 802.11 frame; our decoder skips the padding and decodes the Deauthentication.
    tshark's PPI dissector is wrong here; with a 4-octet field (frame 2, no padding) both
    engines agree. No capture in ../shared or pcaps/ has such a header."""
    path = tmp_path / "ppi.pcap"
    deauth = fr.deauth(STA, AP1, AP1, 3)
    write_capture(path, [(1, _ppi_with_unknown_field(b"abc") + deauth),
                         (2, _ppi_with_unknown_field(b"abcd") + deauth)], linktype=192)
    ours = [decode(rec) for rec in open_capture(str(path))]
    theirs = list(TsharkCapture(str(path)))
    assert isinstance(ours[0], Frame) and ours[0].kind is Kind.DEAUTH
    assert isinstance(theirs[0], Malformed) and theirs[0].layer == "link"
    assert theirs[1] == ours[1] and isinstance(ours[1], Frame)


def test_tshark_messages_keep_control_and_non_ascii_characters_escaped() -> None:
    assert printable("SSID \x1b[31mx\u00e9\x00") == "SSID \\x1b[31mx\\xe9\\x00"


@pytest.mark.tshark
def test_tshark_keeps_a_learned_mic_length_for_a_later_eapol_key(
    tshark: str, tmp_path: Path
) -> None:
    """Frames 1-2: M1/M2 with descriptor version 0 and a 24-octet MIC (AKM 12, Suite B 192,
    no association captured); frame 3: an M1 with a 16-octet MIC between the same pair.
    Both engines read frames 1-2 alike. For frame 3 tshark keeps the 24 octets it learned for
    the conversation, so its MIC swallows the Key Data Length and its Key Data is empty: the
    PMKID KDE is lost. Our decoder takes the one MIC length for which Key Data Length ends the
    body (16) and finds the PMKID. tshark's dissector is wrong here."""
    llc = b"\xaa\xaa\x03\x00\x00\x00\x88\x8e"

    def key(message: str, mic_len: int, key_data: bytes) -> bytes:
        msg = ea.KeyMessage(message, 0, 1, nonce=bytes(range(32)), key_data=key_data)
        return ea.eapol(2, 3, ea.key_body(msg, mic=bytes(mic_len)))

    down, up = fr.data_header(STA, AP1, uplink=False), fr.data_header(STA, AP1, uplink=True)
    frames = [down + llc + key("m1", 24, ea.pmkid_kde(PMKID)),
              up + llc + key("m2", 24, el.rsne(12)),
              down + llc + key("m1", 16, ea.pmkid_kde(PMKID))]  # fmt: skip
    path = tmp_path / "mic.pcap"
    write_capture(path, ((i, fr.on_air(f, RADIO)) for i, f in enumerate(frames, 1)))
    ours = [decode(rec) for rec in open_capture(str(path))]
    theirs = list(TsharkCapture(str(path)))
    assert theirs[:2] == ours[:2]
    assert ours[2].body.body.pmkid == PMKID and ours[2].body.body.mic_lengths == (16,)
    assert theirs[2].body.body.pmkid is None and theirs[2].body.body.mic_lengths == (24,)
