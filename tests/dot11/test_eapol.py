"""EAPOL PDUs and EAPOL-Key bodies: layout, MIC length, message classification, KDEs."""

from __future__ import annotations

import csv
import gzip
import re
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.dot11.eap import decode_eap
from analyzer.dot11.eapol import decode_eapol, decode_eapol_key
from analyzer.dot11.errors import DecodeError
from analyzer.dot11.records import Eap, Eapol, EapolKey, Kde

PUBLIC = Path(__file__).resolve().parents[2].parent / "shared" / "pcaps" / "public"

# Key Information values of a CCMP (descriptor version 2) handshake, DOMAIN §5.
M1, M2, M3, M4, G1, G2 = 0x008A, 0x010A, 0x13CA, 0x030A, 0x1382, 0x0302

RSNE_PSK = bytes.fromhex("30140100000fac040100000fac040100000fac020000")
RSNE_OWE = bytes.fromhex("30140100000fac040100000fac040100000fac120000")
WPA1_IE = bytes.fromhex("dd160050f20101000050f20201000050f20201000050f202")
PMKID = bytes.fromhex("c2ea9449c142e84a0479041702526532")
PMKID_KDE = bytes.fromhex("dd14000fac04") + PMKID
MAC_KDE = bytes.fromhex("dd0a000fac03") + bytes.fromhex("020000000100")


def key_body(
    key_info: int,
    *,
    desc: int = 2,
    key_length: int = 0,
    replay: int = 1,
    nonce: bytes = bytes(32),
    mic: bytes = bytes(16),
    key_data: bytes = b"",
    kd_len: int | None = None,
) -> bytes:
    """An EAPOL-Key body (descriptor type onward) with IV, RSC and reserved zeroed."""
    size = len(key_data) if kd_len is None else kd_len
    fixed = struct.pack(">BHHQ", desc, key_info, key_length, replay) + nonce + bytes(32)
    return fixed + mic + struct.pack(">H", size) + key_data


def pdu(body: bytes, ptype: int = 3, version: int = 2) -> bytes:
    return struct.pack(">BBH", version, ptype, len(body)) + body


def key(body: bytes, mic_len: int | None = None) -> EapolKey:
    return decode_eapol_key(body, mic_len)


# --- hashcat mode 22000 example (DOMAIN §6 vector 5) ------------------------------------------

HASHCAT_SNONCE = bytes.fromhex("48ce2ccba9c1fda130ff2fbbfb4fd3b063d1a93920b0f7df54a5cbf787b16171")
HASHCAT_M2 = (
    bytes.fromhex("0103007502010a 0000 0000000000000001")
    + HASHCAT_SNONCE
    + bytes(48)
    + bytes.fromhex("0016 30140100000fac040100000fac040100000fac028000")
)


def test_hashcat_m2_vector_is_m2_with_psk_rsne() -> None:
    """hashcat src/modules/module_22000.c example EAPOL (MIC zeroed), SNonce 48ce2c…b16171."""
    e = decode_eapol(HASHCAT_M2)
    assert (e.version, e.type, e.length, e.raw) == (1, 3, 117, HASHCAT_M2)
    k = e.body
    assert isinstance(k, EapolKey)
    assert (k.descriptor, k.key_info, k.key_version, k.replay_counter) == (2, 0x010A, 2, 1)
    assert k.nonce == HASHCAT_SNONCE
    assert k.mic == bytes(16) and k.mic_lengths == (16,)
    assert k.key_data == bytes.fromhex("30140100000fac040100000fac040100000fac028000")
    assert k.message == "M2"
    assert k.kdes == (Kde(-48, k.key_data[2:]),)
    assert k.rsne is not None and k.rsne.akms == (2,) and k.rsne.pairwise_ciphers == (4,)
    assert k.rsne.raw == k.key_data


# --- EAPOL header -------------------------------------------------------------------------------


def test_raw_excludes_trailing_padding() -> None:
    """A short frame padded to the Ethernet minimum keeps the padding out of raw."""
    frame = pdu(b"", ptype=1) + bytes(42)
    e = decode_eapol(frame)
    assert (e.type, e.length, e.body, e.raw) == (1, 0, None, frame[:4])


@pytest.mark.parametrize("ptype", [1, 2, 4, 5])
def test_start_logoff_and_other_types_have_no_body(ptype: int) -> None:
    assert decode_eapol(pdu(b"\x00\x01", ptype=ptype)).body is None


def test_eap_body_is_decoded() -> None:
    e = decode_eapol(pdu(b"\x02\x05\x00\x0a\x01alice", ptype=0))
    assert isinstance(e.body, Eap) and e.body.identity == b"alice"


def test_preauth_ethertype_is_kept() -> None:
    assert decode_eapol(pdu(key_body(M1)), ethertype=0x88C7).ethertype == 0x88C7


def test_protocol_version_does_not_change_classification() -> None:
    """hostapd sends version 2, wpa_supplicant 1; v3 (802.1X-2010) exists too."""
    for version in (1, 2, 3):
        body = decode_eapol(pdu(key_body(M2, key_data=RSNE_PSK), version=version)).body
        assert isinstance(body, EapolKey) and body.message == "M2"


def test_rc4_key_descriptor_has_no_body() -> None:
    """Descriptor 1 is 802.1X dynamic WEP with another layout: kept, not decoded."""
    assert decode_eapol(pdu(b"\x01" + bytes(56))).body is None


@pytest.mark.parametrize("frame", [b"", b"\x02\x03\x00", pdu(key_body(M1))[:-1]])
def test_truncated_pdu_raises(frame: bytes) -> None:
    with pytest.raises(DecodeError) as err:
        decode_eapol(frame)
    assert err.value.layer == "eapol"


# --- 4-way handshake classification ------------------------------------------------------------


def test_m1_with_pmkid_kde_exposes_pmkid() -> None:
    k = key(key_body(M1, key_length=16, nonce=b"\xaa" * 32, key_data=PMKID_KDE))
    assert k.message == "M1"
    assert k.kdes == (Kde(4, PMKID),)
    assert k.pmkid == PMKID
    assert k.rsne is None


def test_m1_without_key_data_has_no_pmkid() -> None:
    k = key(key_body(M1))
    assert (k.message, k.key_data, k.kdes, k.pmkid) == ("M1", b"", (), None)


def test_m3_key_data_is_encrypted_so_not_walked() -> None:
    k = key(key_body(M3, key_length=16, key_data=bytes.fromhex("30") + bytes(55)))
    assert k.message == "M3"
    assert k.encrypted_key_data and k.kdes == () and k.rsne is None


def test_m2_with_rsne_is_m2() -> None:
    assert key(key_body(M2, key_data=RSNE_PSK)).message == "M2"


def test_rekey_m2_with_secure_bit_is_still_m2() -> None:
    """wpa_supplicant sets Secure in rekey M2s: the RSNE, not Secure, makes it M2."""
    k = key(key_body(M2 | 0x0200, replay=7, key_data=RSNE_PSK))
    assert k.secure and k.message == "M2"


def test_m4_with_copied_snonce_is_m4() -> None:
    """Some stations copy the SNonce into M4; empty Key Data still makes it M4."""
    k = key(key_body(M4, nonce=HASHCAT_SNONCE))
    assert k.message == "M4"


def test_m4_without_secure_bit_is_m4() -> None:
    """WPA1 M4s leave Secure clear; empty Key Data decides."""
    assert key(key_body(M2)).message == "M4"


def test_mlo_m4_with_only_mac_kde_is_m4() -> None:
    k = key(key_body(M4, key_data=MAC_KDE))
    assert k.message == "M4"
    assert k.kdes == (Kde(3, bytes.fromhex("020000000100")),)


def test_mlo_m2_with_rsne_and_mac_kde_is_m2() -> None:
    assert key(key_body(M2, key_data=RSNE_PSK + MAC_KDE)).message == "M2"


def test_secure_without_rsne_is_m4_by_hostapd_rule() -> None:
    oci = bytes.fromhex("dd07000fac0d510600")
    assert key(key_body(M4, key_data=oci)).message == "M4"
    assert key(key_body(M2, key_data=oci)).message == "M2"


def test_wpa1_m2_with_wpa_ie_is_m2_with_wpa1_rsne() -> None:
    k = key(key_body(0x0109, desc=254, key_data=WPA1_IE))
    assert k.message == "M2"
    assert k.rsne is not None and k.rsne.wpa1 and k.rsne.akms == (2,)


def test_wpa1_m3_plaintext_wpa_ie_is_walked() -> None:
    """WPA1 has no Encrypted Key Data bit; its M3 repeats the WPA IE in clear."""
    k = key(key_body(0x01C9, desc=254, key_length=32, key_data=WPA1_IE))
    assert k.message == "M3"
    assert k.rsne is not None and k.rsne.wpa1


def test_wpa1_group_key_data_is_never_walked() -> None:
    """WPA1 G1 Key Data is the wrapped GTK although the Encrypted bit is clear."""
    k = key(key_body(0x0391, desc=254, key_length=32, key_data=bytes.fromhex("30") + bytes(31)))
    assert k.message == "G1"
    assert k.kdes == () and k.rsne is None


@pytest.mark.parametrize(("info", "message"), [(G1, "G1"), (G2, "G2")])
def test_group_key_messages(info: int, message: str) -> None:
    assert key(key_body(info, key_data=bytes(24) if info == G1 else b"")).message == message


def test_request_bit_is_req() -> None:
    """A STA request (Error set: MIC failure report) is REQ whatever else is set."""
    assert key(key_body(0x0F0A)).message == "REQ"


@pytest.mark.parametrize(
    ("info", "key_data", "message"),
    [(0x0088, b"", "M1"), (0x1008, bytes(48), "M2"), (0x13C8, bytes(80), "M3"),
     (0x1208, bytes(16), "M4")],
)
def test_aead_handshake_without_mic_field_is_m1_to_m4(
    info: int, key_data: bytes, message: str
) -> None:
    """FILS AKMs wrap Key Data with AES-SIV and have no MIC field (also after full EAP): the
    messages are told apart by Ack, Install and the length of the wrapped Key Data."""
    k = key(key_body(info, mic=b"", key_data=key_data), mic_len=0)
    assert (k.message, k.mic, k.key_data) == (message, b"", key_data)


def test_bytes_after_key_data_leave_mic_length_to_the_akm() -> None:
    """hostapd pads a Suite-B M1 with room for a PMKID KDE it leaves out: nothing ends the
    body exactly, so the message waits for the AKM's MIC length (24), then decodes."""
    body = key_body(0x0088, mic=bytes(24)) + bytes(22)
    guessed = key(body)
    assert guessed.message is None and guessed.mic is None and 24 in guessed.mic_lengths
    k = key(body, mic_len=24)
    assert (k.message, k.mic, k.key_data, k.trailing) == ("M1", bytes(24), b"", 22)


def test_pairwise_without_ack_or_mic_is_unclassified() -> None:
    assert key(key_body(0x000A)).message is None


# --- MIC length ---------------------------------------------------------------------------------


def test_owe_group20_24_byte_mic_decided_by_length() -> None:
    """OWE (AKM 18) with group 20 uses a 24-byte MIC; only 24 makes Key Data end the frame."""
    mic = b"\x5a" * 24
    k = key(key_body(0x0108, mic=mic, key_data=RSNE_OWE))
    assert k.mic_lengths == (24,)
    assert k.mic == mic and k.key_data == RSNE_OWE
    assert k.message == "M2"
    assert k.rsne is not None and k.rsne.akms == (18,)


def test_sae_ext_key_32_byte_mic_decided_by_length() -> None:
    k = key(key_body(0x0108, mic=b"\x5a" * 32, key_data=RSNE_PSK))
    assert k.mic_lengths == (32,) and len(k.mic or b"") == 32


def test_version_0_with_16_byte_mic_decided_by_length() -> None:
    k = key(key_body(0x0108, mic=b"\x5a" * 16, key_data=RSNE_PSK))
    assert k.mic_lengths == (16,) and k.message == "M2"


# Key Data (n = 16) is an 8-byte RSNE whose octets 6-7 read 0: with n = 24 that is an empty
# Key Data Length ending the frame too. 16 says M2, 24 says M4.
AMBIGUOUS = key_body(0x0108, key_data=bytes.fromhex("3006010000000000"))


def test_ambiguous_mic_length_returns_candidates() -> None:
    k = key(AMBIGUOUS)
    assert k.mic_lengths == (16, 24)
    assert (k.mic, k.key_data, k.kdes, k.rsne) == (None, None, (), None)
    assert k.message is None


def test_ambiguous_m1_is_still_m1() -> None:
    """Every fitting MIC length agrees that a pairwise Ack without MIC is M1."""
    k = key(key_body(0x0088, key_data=bytes.fromhex("3006010000000000")))
    assert k.mic_lengths == (16, 24) and k.message == "M1"


def test_caller_mic_length_resolves_ambiguity() -> None:
    k = key(AMBIGUOUS, mic_len=24)
    assert (k.mic_lengths, k.key_data, k.message) == ((24,), b"", "M4")
    assert key(AMBIGUOUS, mic_len=16).message == "M2"


def test_no_fitting_mic_length_raises() -> None:
    with pytest.raises(DecodeError, match="MIC length"):
        key(key_body(0x0108, mic=b"\xff" * 16, key_data=b"\xff" * 40, kd_len=200))


def test_given_mic_length_that_does_not_fit_raises() -> None:
    with pytest.raises(DecodeError):
        key(key_body(M2, key_data=RSNE_PSK), mic_len=32)


def test_version_2_trailing_bytes_after_key_data_are_tolerated() -> None:
    k = key(key_body(M2, key_data=RSNE_PSK) + b"\x00\x00")
    assert k.key_data == RSNE_PSK and k.message == "M2"


@pytest.mark.parametrize("desc", [0, 3, 255])
def test_unknown_descriptor_raises(desc: int) -> None:
    with pytest.raises(DecodeError):
        key(key_body(M1, desc=desc))


def test_body_shorter_than_fixed_part_raises() -> None:
    with pytest.raises(DecodeError):
        key(key_body(M1)[:76])


# --- Key Data walk -----------------------------------------------------------------------------


def test_kde_walk_stops_at_padding() -> None:
    k = key(key_body(M1, key_data=PMKID_KDE + b"\xdd\x00\x00\x00"))
    assert k.kdes == (Kde(4, PMKID),)


def test_malformed_kde_list_keeps_what_parsed() -> None:
    k = key(key_body(M1, key_data=PMKID_KDE + b"\xdd\x40\x00\x0f\xac\x01"))
    assert k.kdes == (Kde(4, PMKID),) and k.pmkid == PMKID


def test_short_pmkid_kde_is_not_a_pmkid() -> None:
    k = key(key_body(M1, key_data=bytes.fromhex("dd08000fac04") + bytes(4)))
    assert k.kdes == (Kde(4, bytes(4)),) and k.pmkid is None


def test_undecodable_rsne_leaves_rsne_none() -> None:
    k = key(key_body(M2, key_data=b"\x30\x01\x01"))
    assert (k.message, k.rsne, k.kdes) == ("M2", None, (Kde(-48, b"\x01"),))


def test_vendor_element_that_is_not_a_kde_is_kept_as_element() -> None:
    k = key(key_body(M1, key_data=bytes.fromhex("dd05001122330a")))
    assert k.kdes == (Kde(-221, bytes.fromhex("001122330a")),)


# --- real captures -----------------------------------------------------------------------------


def _pcap_frames(path: Path) -> Iterator[tuple[int, bytes]]:
    """(linktype, frame) of a classic pcap, optionally gzipped."""
    data = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    e = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    (linktype,) = struct.unpack_from(e + "I", data, 20)
    off = 24
    while off + 16 <= len(data):
        (incl,) = struct.unpack_from(e + "I", data, off + 8)
        yield linktype, data[off + 16 : off + 16 + incl]
        off += 16 + incl


def eapol_pdus(path: Path) -> list[bytes]:
    """802.1X PDUs of unprotected data frames with LLC/SNAP 0x888E (radiotap or raw 802.11)."""
    pdus = []
    for linktype, frame in _pcap_frames(path):
        if linktype == 127:
            frame = frame[struct.unpack_from("<H", frame, 2)[0] :]
        if len(frame) < 24 or frame[0] & 0x0F != 0x08 or frame[1] & 0x40:
            continue  # not a version-0 data frame, or protected
        hdr = 24 + (6 if frame[1] & 0x03 == 0x03 else 0) + (2 if frame[0] & 0x80 else 0)
        if frame[hdr : hdr + 8] == b"\xaa\xaa\x03\x00\x00\x00\x88\x8e":
            pdus.append(frame[hdr + 8 :])
    return pdus


def public(name: str) -> Path:
    path = PUBLIC / name
    if not path.exists():
        pytest.skip(f"public capture {path} not available (../shared absent)")
    return path


@pytest.mark.public
def test_wpa_induction_handshake_is_m1_m2_m3_m4() -> None:
    """Wireshark test capture: a real WPA2-PSK join, one 4-way handshake."""
    frames = [decode_eapol(p) for p in eapol_pdus(public("wpa-Induction.pcap.gz"))]
    keys = [f.body for f in frames]
    assert all(isinstance(k, EapolKey) for k in keys)
    assert [k.message for k in keys if isinstance(k, EapolKey)] == ["M1", "M2", "M3", "M4"]
    m1, m2, m3, _ = (k for k in keys if isinstance(k, EapolKey))
    assert m2.rsne is not None and m2.rsne.akms == (2,)
    assert m1.nonce == m3.nonce
    assert all(len(f.raw) == 4 + f.length for f in frames)


@pytest.mark.public
def test_test_pmkid_m1_carries_manifest_pmkid() -> None:
    """aircrack-ng test-pmkid.pcap: one M1 whose PMKID KDE is listed in MANIFEST.tsv."""
    path = public("test-pmkid.pcap")
    with (PUBLIC / "MANIFEST.tsv").open(newline="") as f:
        row = next(r for r in csv.DictReader(f, delimiter="\t") if r["file"] == path.name)
    expected = re.findall(r"\b[0-9a-f]{32}\b", row["pmkids_in_m1"])
    keys = [decode_eapol(p).body for p in eapol_pdus(path)]
    assert len(keys) == 1 and isinstance(keys[0], EapolKey)
    assert keys[0].message == "M1"
    assert keys[0].pmkid is not None and keys[0].pmkid.hex() == expected[-1]


@pytest.mark.public
def test_eap_tls_capture_eap_packets_decode() -> None:
    """Wireshark wpa-eap-tls.pcap.gz: Identity and EAP-TLS exchange, then Success."""
    bodies = [decode_eapol(p).body for p in eapol_pdus(public("wpa-eap-tls.pcap.gz"))]
    eaps = [b for b in bodies if isinstance(b, Eap)]
    assert {e.type for e in eaps} == {None, 1, 13}
    assert any(e.identity for e in eaps)
    assert any(e.code == 3 for e in eaps)
    assert all(e.flags is not None for e in eaps if e.type == 13)
    assert [b.message for b in bodies if isinstance(b, EapolKey)][:4] == ["M1", "M2", "M3", "M4"]


# --- robustness --------------------------------------------------------------------------------

VALID = [
    HASHCAT_M2,
    pdu(key_body(M1, key_data=PMKID_KDE + MAC_KDE)),
    pdu(key_body(M3, key_data=bytes(56))),
    pdu(AMBIGUOUS),
    pdu(key_body(0x0108, mic=b"\x5a" * 24, key_data=RSNE_OWE)),
    pdu(key_body(0x0109, desc=254, key_data=WPA1_IE)),
]


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(VALID),
    st.integers(min_value=0, max_value=200),
    st.lists(st.tuples(st.integers(0, 199), st.integers(0, 255)), max_size=6),
    st.binary(max_size=8),
)
def test_truncated_or_mutated_pdu_gives_eapol_or_decode_error(
    frame: bytes, cut: int, edits: list[tuple[int, int]], tail: bytes
) -> None:
    buf = bytearray(frame[:cut])
    for pos, value in edits:
        if pos < len(buf):
            buf[pos] = value
    try:
        e = decode_eapol(bytes(buf) + tail)
    except DecodeError:
        return
    assert isinstance(e, Eapol)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([v[4:] for v in VALID]),
    st.lists(st.tuples(st.integers(0, 199), st.integers(0, 255)), max_size=6),
    st.sampled_from([None, 0, 16, 24, 32]),
)
def test_mutated_key_body_with_any_mic_length_gives_key_or_decode_error(
    body: bytes, edits: list[tuple[int, int]], mic_len: int | None
) -> None:
    buf = bytearray(body)
    for pos, value in edits:
        if pos < len(buf):
            buf[pos] = value
    try:
        k = decode_eapol_key(bytes(buf), mic_len)
    except DecodeError:
        return
    assert isinstance(k, EapolKey) and k.mic_lengths


def test_eap_decoder_is_the_one_eapol_uses() -> None:
    body = b"\x03\x01\x00\x04"
    assert decode_eapol(pdu(body, ptype=0)).body == decode_eap(body)
