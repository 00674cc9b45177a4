"""Information elements: the walk, RSNE/WPA1, MDE, FTE, Neighbor Report, and the names."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.dot11 import (
    AKMSuite,
    Dot11EltDSSSet,
    Dot11EltHTOperation,
    Dot11EltMicrosoftWPA,
    Dot11EltRSN,
    PMKIDListPacket,
    RSNCipherSuite,
)

from analyzer.dot11.consts import (
    Akm,
    Cipher,
    akm_name,
    cipher_name,
    reason_name,
    status_name,
)
from analyzer.dot11.elements import (
    decode_elements,
    decode_fte,
    decode_mde,
    decode_neighbor_report,
    decode_rsne,
    walk_elements,
)
from analyzer.dot11.errors import DecodeError

# Real-world oracles: wpa_supplicant debug log, /work/shared/docs/seed-log.txt lines 10 and 14.
SEED_RSNE_AP = bytes.fromhex("30140100000fac040100000fac040100000fac010c00")
SEED_RSNE_OWN = bytes.fromhex(
    "30260100000fac040100000fac040100000fac0100000100b8ac098e2a61e80a36d7e3ba474d2665"
)
PMKID = bytes.fromhex("b8ac098e2a61e80a36d7e3ba474d2665")
ANONCE, SNONCE = bytes(range(32)), bytes(range(32, 64))


def elt(eid: int, body: bytes) -> bytes:
    return bytes([eid, len(body)]) + body


def suite(oui: int, kind: int) -> bytes:
    return oui.to_bytes(3, "big") + bytes([kind])


def rsne_body(akms: list[bytes], pmkids: list[bytes] = (), caps: int = 0) -> bytes:
    body = b"\x01\x00" + suite(0x000FAC, 4) + b"\x01\x00" + suite(0x000FAC, 4)
    body += struct.pack("<H", len(akms)) + b"".join(akms) + struct.pack("<H", caps)
    return body + struct.pack("<H", len(pmkids)) + b"".join(pmkids)


def fte_body(mic_len: int, subelements: bytes = b"") -> bytes:
    return b"\x00\x03" + bytes([0xAA]) * mic_len + ANONCE + SNONCE + subelements


def neighbor_body(bssid: bytes, preference: int | None = None) -> bytes:
    body = bssid + struct.pack("<IBBB", 0x0000048F, 115, 36, 9)
    return body + (elt(3, bytes([preference])) if preference is not None else b"")


# --- RSNE ------------------------------------------------------------------------------------


def test_seed_log_ap_rsne_decodes_ccmp_8021x_without_pmkid() -> None:
    """The AP's RSNE from the wpa_supplicant log: CCMP/CCMP, AKM 1, capabilities 0x000c."""
    rsne = decode_elements(SEED_RSNE_AP).rsne
    assert rsne is not None
    assert (rsne.version, rsne.group_cipher) == (1, Cipher.CCMP)
    assert rsne.pairwise_ciphers == (4,)
    assert rsne.akms == (Akm.IEEE8021X,)
    assert rsne.capabilities == 0x000C
    assert rsne.pmkids == () and rsne.group_mgmt_cipher is None
    assert rsne.raw == SEED_RSNE_AP


def test_seed_log_own_rsne_carries_the_cached_pmkid() -> None:
    """The STA's 40-byte RSNE lists the one PMKID it tries to reuse."""
    rsne = decode_elements(SEED_RSNE_OWN).rsne
    assert rsne is not None
    assert rsne.pmkids == (PMKID,)
    assert rsne.akms == (1,) and rsne.capabilities == 0
    assert rsne.raw == SEED_RSNE_OWN


def test_rsne_from_scapy_with_pmkid_and_group_mgmt_cipher() -> None:
    """An independent encoder: scapy's RSN element with MFPC/MFPR, a PMKID and BIP."""
    elt_ = Dot11EltRSN(
        akm_suites=[AKMSuite(suite=8)],
        pmkids=PMKIDListPacket(pmkid_list=[PMKID]),
        group_management_cipher_suite=RSNCipherSuite(cipher=6),
    )
    rsne = decode_elements(bytes(elt_)).rsne
    assert rsne is not None
    assert rsne.akms == (Akm.SAE,)
    assert rsne.mfpc and rsne.mfpr and not rsne.preauth
    assert rsne.pmkids == (PMKID,)
    assert rsne.group_mgmt_cipher == Cipher.BIP_CMAC_128


@pytest.mark.parametrize("cut", [2, 6, 12, 18, 20])
def test_rsne_trailing_fields_are_optional(cut: int) -> None:
    """An RSNE may stop after any complete field; the rest is absent, not an error."""
    rsne = decode_rsne(SEED_RSNE_AP[2 : 2 + cut])
    assert rsne.version == 1
    assert (rsne.group_cipher is None) == (cut < 6)
    assert len(rsne.akms) == (1 if cut >= 18 else 0)
    assert (rsne.capabilities is None) == (cut < 20)


@pytest.mark.parametrize("cut", [1, 4, 7, 11, 13, 19])
def test_rsne_cut_inside_a_field_raises(cut: int) -> None:
    with pytest.raises(DecodeError) as err:
        decode_rsne(SEED_RSNE_AP[2 : 2 + cut])
    assert err.value.layer == "rsne"


def test_rsne_count_larger_than_the_body_is_malformed_not_partial() -> None:
    """Security analysis must not see a partial suite list: RSNE dropped, reason recorded."""
    body = bytearray(SEED_RSNE_AP[2:])
    body[12] = 3  # AKM count 3, one suite fits
    with pytest.raises(DecodeError, match="AKM count says 3 but 1 fit"):
        decode_rsne(bytes(body))
    elements = decode_elements(elt(0, b"corp") + elt(48, bytes(body)) + elt(3, b"\x06"))
    assert elements.rsne is None
    assert elements.malformed is not None and elements.malformed.startswith("RSNE: ")
    assert elements.ssid == b"corp" and elements.ds_channel == 6


def test_vendor_akm_suites_keep_their_oui() -> None:
    """Suites outside 00-0F-AC are (oui << 8) | type: CCKM, DPP, a 00-50-F2 suite in an RSNE."""
    akms = [suite(0x004096, 0), suite(0x506F9A, 2), suite(0x0050F2, 2), suite(0x000FAC, 24)]
    rsne = decode_rsne(rsne_body(akms))
    assert rsne.akms == (Akm.CCKM, Akm.DPP, Akm.WPA_PSK, Akm.SAE_EXT_KEY)
    assert rsne.akms[0] == 0x00409600
    assert [akm_name(a) for a in rsne.akms] == ["CCKM", "DPP", "WPA-PSK", "SAE-EXT-KEY"]


def test_wpa1_vendor_element_decodes_with_microsoft_oui_as_home() -> None:
    """221 00:50:F2:01 is WPA1: same layout, suites under 00-50-F2 become plain types."""
    wpa = Dot11EltMicrosoftWPA(
        group_cipher_suite=RSNCipherSuite(oui=0x0050F2, cipher=2),
        pairwise_cipher_suites=[RSNCipherSuite(oui=0x0050F2, cipher=2)],
        akm_suites=[AKMSuite(oui=0x0050F2, suite=2)],
    )
    elements = decode_elements(bytes(wpa))
    assert elements.rsne is None and elements.wpa is not None
    assert elements.wpa.wpa1 and elements.wpa.group_cipher == Cipher.TKIP
    assert elements.wpa.akms == (2,) and akm_name(2, wpa1=True) == "WPA-PSK"
    assert elements.wpa.raw == bytes(wpa)
    assert elements.vendor_ouis == (b"\x00\x50\xf2",)


# --- the walk --------------------------------------------------------------------------------


def test_walk_yields_id_and_body_bounds_and_stops_at_an_overlong_length() -> None:
    buf = elt(0, b"ab") + elt(3, b"\x01") + b"\xdd\x09\x00"
    assert list(walk_elements(buf)) == [(0, 2, 4), (3, 6, 7)]
    assert list(walk_elements(buf, 4, 7)) == [(3, 6, 7)]


def test_truncated_last_element_keeps_what_decoded() -> None:
    """A capture cut short (snaplen) still yields the elements before the cut."""
    buf = elt(0, b"Coherer") + elt(3, b"\x0b") + SEED_RSNE_AP[:10]
    elements = decode_elements(buf)
    assert elements.ssid == b"Coherer" and elements.channel == 11
    assert elements.rsne is None
    assert elements.malformed == "element 48 length 20 but 8 bytes left"


def test_lone_trailing_octet_is_reported() -> None:
    elements = decode_elements(elt(0, b"x") + b"\x30")
    assert elements.ssid == b"x"
    assert elements.malformed == "element header truncated at offset 3"


def test_first_occurrence_wins_and_offset_skips_fixed_fields() -> None:
    buf = b"\xff" * 4 + elt(0, b"one") + elt(0, b"two")
    assert decode_elements(buf, 4).ssid == b"one"
    assert decode_elements(memoryview(buf), 4).ssid == b"one"


def test_channel_comes_from_ds_parameter_else_ht_operation() -> None:
    """DS Parameter Set (3) wins; 5 GHz APs often only send HT Operation (61)."""
    ht = bytes(Dot11EltHTOperation(primary_channel=44))
    assert decode_elements(ht).channel == 44
    assert decode_elements(ht + bytes(Dot11EltDSSSet(channel=1))).channel == 1
    assert decode_elements(b"").channel is None


def test_capability_elements_expose_btm_neighbor_report_and_h2e() -> None:
    buf = elt(127, b"\x00\x00\x08\x00") + elt(70, b"\x02\x00\x00\x00\x00") + elt(244, b"\x20")
    elements = decode_elements(buf)
    assert elements.bss_transition and elements.rm_neighbor_report and elements.sae_h2e
    assert not decode_elements(elt(127, b"\x00\x00\x00")).bss_transition


def test_timeout_interval_extension_and_vendor_elements() -> None:
    buf = (
        elt(56, b"\x03" + struct.pack("<I", 1000))
        + elt(255, b"\x20\x13\x00" + b"\x04" * 64)
        + elt(255, b"\x04" + b"F" * 8)
        + elt(221, b"\x00\x10\x18\x02\x00")
        + elt(221, b"\x00\x50\xf2\x02\x01")
    )
    elements = decode_elements(buf)
    assert elements.timeout_intervals == ((3, 1000),)
    assert elements.owe_dh_group == 19
    assert elements.fils_session == b"F" * 8
    assert elements.vendor_ouis == (b"\x00\x10\x18", b"\x00\x50\xf2")
    assert elements.wpa is None and elements.malformed is None


def test_short_element_bodies_are_malformed_and_skipped() -> None:
    elements = decode_elements(elt(3, b"") + elt(56, b"\x01") + elt(0, b"ok"))
    assert elements.ds_channel is None and elements.timeout_intervals == ()
    assert elements.ssid == b"ok" and elements.malformed == "DS_CHANNEL: empty"


# --- MDE / FTE / Neighbor Report -------------------------------------------------------------


def test_mde_reads_mdid_and_ft_over_ds() -> None:
    raw = elt(54, b"\x01\x02\x01")
    mde = decode_elements(raw).mde
    assert mde is not None and (mde.mdid, mde.ft_over_ds, mde.resource_req) == (0x0201, True, False)
    assert mde.raw == raw
    with pytest.raises(DecodeError):
        decode_mde(b"\x01\x02")


def test_fte_with_16_byte_mic_and_key_holder_ids() -> None:
    sub = elt(1, bytes.fromhex("020000000100")) + elt(3, b"wireshark.ft.eap.test")
    raw = elt(55, fte_body(16, sub))
    fte = decode_elements(raw).fte
    assert fte is not None
    assert fte.mic == b"\xaa" * 16 and fte.anonce == ANONCE and fte.snonce == SNONCE
    assert fte.r1kh_id == "02:00:00:00:01:00" and fte.r0kh_id == b"wireshark.ft.eap.test"
    assert fte.element_count == 3 and not fte.has_gtk and fte.raw == raw


def test_fte_with_24_byte_mic_is_told_apart_by_its_subelements() -> None:
    """SHA-384 AKMs use a 24-byte MIC; only that length makes the subelements fit exactly."""
    sub = elt(3, b"r0kh") + elt(2, b"\x00" * 35) + elt(1, b"\x02" * 6)
    fte = decode_fte(fte_body(24, sub))
    assert len(fte.mic) == 24 and fte.anonce == ANONCE and fte.snonce == SNONCE
    assert fte.r0kh_id == b"r0kh" and fte.has_gtk and fte.r1kh_id == "02:02:02:02:02:02"


@pytest.mark.parametrize(("length", "mic"), [(82, 16), (90, 24), (98, 32)])
def test_fte_without_subelements_takes_mic_length_from_the_size(length: int, mic: int) -> None:
    fte = decode_fte(b"\x00\x00" + bytes(length - 2))
    assert len(fte.mic) == mic and fte.r0kh_id is None and fte.r1kh_id is None


def test_fte_mic_length_can_be_forced_and_garbage_raises() -> None:
    assert len(decode_fte(fte_body(24), mic_len=24).mic) == 24
    with pytest.raises(DecodeError):
        decode_fte(fte_body(16)[:81])
    with pytest.raises(DecodeError):
        decode_fte(fte_body(16, b"\x01\x07" + b"\x00" * 3))


def test_neighbor_report_with_candidate_preference() -> None:
    nr = decode_neighbor_report(neighbor_body(bytes.fromhex("aabbccddee01"), 255))
    assert nr.bssid == "aa:bb:cc:dd:ee:01" and nr.bssid_info == 0x48F
    assert (nr.op_class, nr.channel, nr.phy_type, nr.preference) == (115, 36, 9, 255)
    assert decode_neighbor_report(neighbor_body(b"\x01" * 6)).preference is None
    with pytest.raises(DecodeError):
        decode_neighbor_report(b"\x01" * 12)


def test_neighbor_reports_are_collected_in_order() -> None:
    buf = elt(52, neighbor_body(b"\x01" * 6, 10)) + elt(52, neighbor_body(b"\x02" * 6, 200))
    reports = decode_elements(buf).neighbor_reports
    assert [r.preference for r in reports] == [10, 200]


# --- names ------------------------------------------------------------------------------------


def test_names_follow_hostap_and_never_raise() -> None:
    assert status_name(53) == "invalid_pmkid" and status_name(30) == "assoc_rejected_temporarily"
    assert status_name(126) == "sae_hash_to_element" and status_name(999) == "unknown(999)"
    assert (
        reason_name(15) == "4way_handshake_timeout" and reason_name(23) == "ieee_802_1x_auth_failed"
    )
    assert reason_name(99) == "unknown(99)"
    assert akm_name(99) == "unknown(99)" and akm_name(0x00409601) == "unknown(0x00409601)"
    assert (
        cipher_name(4) == "CCMP" and cipher_name(9) == "GCMP-256" and cipher_name(3) == "unknown(3)"
    )


def test_every_akm_selector_has_a_name() -> None:
    expected = {
        1: "802.1X",
        2: "PSK",
        3: "FT-802.1X",
        4: "FT-PSK",
        5: "802.1X-SHA256",
        6: "PSK-SHA256",
        7: "TDLS",
        8: "SAE",
        9: "FT-SAE",
        11: "SuiteB",
        12: "SuiteB-192",
        13: "FT-802.1X-SHA384",
        14: "FILS-SHA256",
        15: "FILS-SHA384",
        16: "FT-FILS-SHA256",
        17: "FT-FILS-SHA384",
        18: "OWE",
        19: "FT-PSK-SHA384",
        20: "PSK-SHA384",
        21: "PASN",
        23: "802.1X-SHA384",
        24: "SAE-EXT-KEY",
        25: "FT-SAE-EXT-KEY",
    }
    assert {k: akm_name(k) for k in expected} == expected
    assert all(not akm_name(a).startswith("unknown") for a in Akm)


# --- robustness -------------------------------------------------------------------------------

VALID = (
    elt(0, b"Coherer")
    + elt(3, b"\x01")
    + SEED_RSNE_OWN
    + elt(54, b"\x01\x02\x01")
    + elt(55, fte_body(16, elt(3, b"r0")))
    + elt(52, neighbor_body(b"\x01" * 6, 7))
    + elt(56, b"\x01\x00\x00\x00\x00")
    + elt(255, b"\x20\x13\x00")
    + bytes(Dot11EltMicrosoftWPA())
    + elt(127, b"\x00\x00\x08")
)


@given(st.integers(0, len(VALID)), st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255))))
def test_any_truncation_or_mutation_decodes_without_raising(cut: int, edits: list) -> None:
    """decode_elements returns a value for every input: the reason goes in `malformed`."""
    buf = bytearray(VALID[:cut])
    for pos, value in edits:
        if pos < len(buf):
            buf[pos] = value
    decode_elements(bytes(buf))


@given(st.binary(max_size=120))
def test_sub_decoders_raise_only_decode_error(data: bytes) -> None:
    for decode in (decode_rsne, decode_mde, decode_fte, decode_neighbor_report):
        try:
            decode(data)
        except DecodeError:
            pass
