"""Management bodies: beacons, probes, (re)association, authentication (incl. SAE), deauth."""

from __future__ import annotations

import gzip
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.dot11 import (
    AKMSuite,
    Dot11AssoReq,
    Dot11AssoResp,
    Dot11Auth,
    Dot11Beacon,
    Dot11Deauth,
    Dot11Disas,
    Dot11Elt,
    Dot11EltDSSSet,
    Dot11EltRSN,
    Dot11ProbeReq,
    Dot11ProbeResp,
    Dot11ReassoReq,
    PMKIDListPacket,
)

from analyzer.dot11.errors import DecodeError
from analyzer.dot11.mgmt import decode_mgmt_body
from analyzer.dot11.records import (
    Action,
    AssocReq,
    AssocResp,
    Auth,
    Beacon,
    Disconnect,
    Elements,
    ProbeReq,
    SaeCommit,
    SaeConfirm,
)

PCAPS = Path(__file__).resolve().parents[3] / "shared" / "pcaps" / "public"
PMKID = bytes.fromhex("b8ac098e2a61e80a36d7e3ba474d2665")
SCALAR, ELEMENT = b"\x5a" * 32, b"\xe1" * 64  # group 19 sizes
TOKEN = b"\x70" * 32


def elt(eid: int, body: bytes) -> bytes:
    return bytes([eid, len(body)]) + body


def rsn(akm: int = 2, pmkids: list[bytes] | None = None) -> bytes:
    return bytes(
        Dot11EltRSN(
            akm_suites=[AKMSuite(suite=akm)],
            mfp_capable=0,
            mfp_required=0,
            pmkids=PMKIDListPacket(pmkid_list=pmkids or []),
            group_management_cipher_suite=None,
        )
    )


def auth(algorithm: int, seq: int, status: int, rest: bytes = b"") -> bytes:
    return struct.pack("<HHH", algorithm, seq, status) + rest


# --- beacons and probes ----------------------------------------------------------------------


def test_beacon_fixed_fields_and_elements_by_hand() -> None:
    body = struct.pack("<QHH", 0x1122334455, 100, 0x0411) + elt(0, b"corp") + elt(3, b"\x06")
    beacon = decode_mgmt_body(8, body, False)
    assert isinstance(beacon, Beacon)
    assert (beacon.tsf, beacon.interval_tu, beacon.privacy) == (0x1122334455, 100, True)
    assert beacon.elements.ssid == b"corp" and beacon.elements.channel == 6


def test_beacon_and_probe_response_from_scapy() -> None:
    """scapy as an independent encoder of the same layout (9.3.3.2 / 9.3.3.10)."""
    tail = Dot11Elt(ID=0, info=b"lab") / Dot11EltDSSSet(channel=11) / Dot11EltRSN()
    # scapy numbers the capability bits of its FlagsField byte-swapped: use the names.
    beacon_layer = Dot11Beacon(beacon_interval=200, cap="ESS+privacy")
    for subtype, layer in ((8, beacon_layer), (5, Dot11ProbeResp())):
        body = decode_mgmt_body(subtype, bytes(layer / tail), False)
        assert isinstance(body, Beacon)
        assert body.elements.ssid == b"lab" and body.elements.ds_channel == 11
        assert body.elements.rsne is not None and body.elements.rsne.mfpr
    beacon = decode_mgmt_body(8, bytes(beacon_layer / tail), False)
    assert isinstance(beacon, Beacon) and beacon.interval_tu == 200 and beacon.privacy
    assert beacon.capabilities == 0x0011


def test_probe_request_is_only_elements() -> None:
    probe = decode_mgmt_body(4, bytes(Dot11ProbeReq() / Dot11Elt(ID=0, info=b"")), False)
    assert isinstance(probe, ProbeReq) and probe.elements.ssid == b""


# --- (re)association -------------------------------------------------------------------------


def test_association_request_offers_pmkid_in_its_rsne() -> None:
    layer = Dot11AssoReq(cap="ESS+privacy+short-slot", listen_interval=10)
    req = decode_mgmt_body(0, bytes(layer / Dot11Elt(ID=0, info=b"corp")) + rsn(1, [PMKID]), False)
    assert isinstance(req, AssocReq) and not req.reassoc and req.current_ap is None
    assert (req.capabilities, req.listen_interval) == (0x0411, 10)
    assert req.elements.rsne is not None and req.elements.rsne.pmkids == (PMKID,)


def test_reassociation_request_carries_the_current_ap_before_elements() -> None:
    layer = Dot11ReassoReq(current_AP="b0:b9:8a:56:8d:eb") / Dot11Elt(ID=0, info=b"Neheb")
    req = decode_mgmt_body(2, bytes(layer), False)
    assert isinstance(req, AssocReq) and req.reassoc
    assert req.current_ap == "b0:b9:8a:56:8d:eb" and req.elements.ssid == b"Neheb"


def test_association_response_masks_aid_and_keeps_the_comeback_time() -> None:
    """Status 30 (PMF: rejected temporarily) comes with Timeout Interval type 3."""
    comeback = elt(56, b"\x03" + struct.pack("<I", 1000))
    resp = decode_mgmt_body(1, bytes(Dot11AssoResp(status=30, AID=0xC001)) + comeback, False)
    assert isinstance(resp, AssocResp) and not resp.reassoc
    assert (resp.status, resp.aid) == (30, 1)
    assert resp.elements.timeout_intervals == ((3, 1000),)
    reassoc = decode_mgmt_body(3, struct.pack("<HHH", 0x11, 0, 0xC002), False)
    assert isinstance(reassoc, AssocResp) and reassoc.reassoc and reassoc.aid == 2


# --- deauthentication / disassociation -------------------------------------------------------


def test_deauth_and_disassoc_reason() -> None:
    assert decode_mgmt_body(12, bytes(Dot11Deauth(reason=15)), False) == Disconnect(True, 15)
    assert decode_mgmt_body(10, bytes(Dot11Disas(reason=8)), False) == Disconnect(False, 8)


def test_protected_deauth_hides_its_reason() -> None:
    """With PMF the reason code is inside CCMP: reason None, not a guess."""
    assert decode_mgmt_body(12, b"\x00" * 18, True) == Disconnect(True, None)


# --- authentication --------------------------------------------------------------------------


def test_open_auth_from_scapy() -> None:
    body = decode_mgmt_body(11, bytes(Dot11Auth(algo=0, seqnum=2, status=0)), False)
    assert body == Auth(0, 2, 0, None, Elements())


def test_ft_auth_carries_rsne_mde_and_fte() -> None:
    fte = b"\x00\x00" + bytes(16) + bytes(32) + b"\x5e" * 32 + elt(3, b"r0kh")
    rest = rsn(4, [PMKID]) + elt(54, b"\x01\x02\x01") + elt(55, fte)
    ft = decode_mgmt_body(11, auth(2, 1, 0, rest), False)
    assert isinstance(ft, Auth) and ft.algorithm == 2 and ft.sae is None
    assert ft.elements.rsne is not None and ft.elements.rsne.pmkids == (PMKID,)
    assert ft.elements.mde is not None and ft.elements.mde.mdid == 0x0201
    assert ft.elements.fte is not None and ft.elements.fte.snonce == b"\x5e" * 32


def test_fils_auth_carries_elements_after_the_fixed_fields() -> None:
    """FILS-SK (4): RSNE, FILS Nonce (ext 13) and FILS Session (ext 4) follow the 6 bytes."""
    rest = rsn(14) + elt(255, b"\x0d" + b"\x11" * 16) + elt(255, b"\x04" + b"\x22" * 8)
    fils = decode_mgmt_body(11, memoryview(auth(4, 1, 0, rest)), False)
    assert isinstance(fils, Auth) and (fils.algorithm, fils.seq) == (4, 1)
    assert fils.elements.rsne is not None and fils.elements.rsne.akms == (14,)
    assert fils.elements.fils_session == b"\x22" * 8


def test_sae_commit_without_token() -> None:
    sae = decode_mgmt_body(11, auth(3, 1, 0, b"\x13\x00" + SCALAR + ELEMENT), False)
    assert isinstance(sae, Auth)
    assert sae.sae == SaeCommit(19, b"", SCALAR, ELEMENT)


def test_sae_commit_with_anti_clogging_token_before_the_scalar() -> None:
    """After status 76 the STA repeats its commit with the AP's token (hunting-and-pecking)."""
    sae = decode_mgmt_body(11, auth(3, 1, 0, b"\x13\x00" + TOKEN + SCALAR + ELEMENT), False)
    assert isinstance(sae, Auth) and sae.sae == SaeCommit(19, TOKEN, SCALAR, ELEMENT)


def test_sae_h2e_commit_takes_the_token_from_its_container_element() -> None:
    container = elt(255, b"\x5d" + TOKEN)
    sae = decode_mgmt_body(11, auth(3, 1, 126, b"\x13\x00" + SCALAR + ELEMENT + container), False)
    assert isinstance(sae, Auth) and sae.sae == SaeCommit(19, TOKEN, SCALAR, ELEMENT)


@pytest.mark.parametrize(
    ("group", "scalar", "element"), [(20, 48, 96), (21, 66, 132), (15, 384, 384)]
)
def test_sae_commit_sizes_by_group(group: int, scalar: int, element: int) -> None:
    rest = struct.pack("<H", group) + b"\x01" * scalar + b"\x02" * element
    sae = decode_mgmt_body(11, auth(3, 1, 0, rest), False)
    assert isinstance(sae, Auth) and isinstance(sae.sae, SaeCommit)
    assert (len(sae.sae.scalar), len(sae.sae.element), sae.sae.anti_clogging_token) == (
        scalar,
        element,
        b"",
    )


def test_sae_commit_of_unknown_group_cannot_tell_the_token() -> None:
    sae = decode_mgmt_body(11, auth(3, 1, 0, b"\x63\x00" + b"\x01" * 40), False)
    assert isinstance(sae, Auth) and sae.sae == SaeCommit(99, None, b"", b"\x01" * 40)


@pytest.mark.parametrize(
    ("status", "rest"),
    [(76, b"\x13\x00" + TOKEN), (77, b"\x13\x00"), (0, b"\x13\x00" + SCALAR), (1, b"")],
)
def test_sae_commit_rejections_and_short_commits_have_no_sae_fields(
    status: int, rest: bytes
) -> None:
    sae = decode_mgmt_body(11, auth(3, 1, status, rest), False)
    assert isinstance(sae, Auth) and sae.status == status and sae.sae is None


def test_sae_confirm() -> None:
    sae = decode_mgmt_body(11, auth(3, 2, 0, b"\x01\x00" + b"\xc0" * 32), False)
    assert isinstance(sae, Auth) and sae.sae == SaeConfirm(1, b"\xc0" * 32)
    assert decode_mgmt_body(11, auth(3, 2, 0, b"\x01"), False).sae is None  # type: ignore[union-attr]


def test_protected_auth_is_shared_key_transaction_3() -> None:
    """Only Shared Key seq 3 is encrypted (WEP); its fields are unreadable."""
    assert decode_mgmt_body(11, b"\x00" * 40, True) == Auth(1, 3, 0, None, Elements())


def test_protected_action_goes_to_the_action_decoder() -> None:
    assert decode_mgmt_body(13, b"\x00" * 30, True) == Action(-1, None, True, None)


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subtype", "size"),
    [(0, 3), (1, 5), (2, 9), (3, 5), (5, 11), (8, 11), (10, 1), (11, 5), (12, 0)],
)
def test_too_short_fixed_part_is_a_mgmt_decode_error(subtype: int, size: int) -> None:
    with pytest.raises(DecodeError) as err:
        decode_mgmt_body(subtype, b"\x00" * size, False)
    assert err.value.layer == "mgmt"


def test_protected_bit_on_a_beacon_or_unknown_subtype_is_an_error() -> None:
    with pytest.raises(DecodeError, match="Protected bit"):
        decode_mgmt_body(8, b"\x00" * 12, True)
    with pytest.raises(DecodeError, match="subtype 9"):
        decode_mgmt_body(9, b"", False)


# --- a real frame ----------------------------------------------------------------------------


def pcap_frames(path: Path) -> Iterator[bytes]:
    """802.11 frames of a gzip radiotap pcap, FCS removed (radiotap Flags 0x10)."""
    data = gzip.decompress(path.read_bytes())
    pos = 24
    while pos + 16 <= len(data):
        incl = struct.unpack_from("<I", data, pos + 8)[0]
        rec, pos = data[pos + 16 : pos + 16 + incl], pos + 16 + incl
        it_len, present = struct.unpack_from("<HI", rec, 2)
        flags = rec[16 if present & 0x01 else 8] if present & 0x02 else 0
        yield rec[it_len : len(rec) - 4 if flags & 0x10 else len(rec)]


@pytest.mark.public
def test_real_association_request_of_wpa_induction() -> None:
    """wpa-Induction.pcap (Wireshark test capture): STA joins SSID Coherer with WPA2-PSK."""
    path = PCAPS / "wpa-Induction.pcap.gz"
    if not path.exists():
        pytest.skip("../shared/pcaps/public is absent")
    frames = [f for f in pcap_frames(path) if f[0] == 0x00]  # mgmt, subtype 0
    assert len(frames) == 1
    req = decode_mgmt_body(0, frames[0][24:], False)
    assert isinstance(req, AssocReq)
    assert req.elements.ssid == b"Coherer"
    assert req.elements.rsne is not None and req.elements.rsne.akms == (2,)
    assert req.elements.malformed is None
    beacons = [decode_mgmt_body(8, f[24:], False) for f in pcap_frames(path) if f[0] == 0x80]
    assert beacons and all(b.elements.malformed is None for b in beacons)  # type: ignore[union-attr]


# --- robustness ------------------------------------------------------------------------------

VALID = {
    0: bytes(Dot11AssoReq() / Dot11Elt(ID=0, info=b"x")) + rsn(2, [PMKID]),
    2: bytes(Dot11ReassoReq() / Dot11Elt(ID=0, info=b"x")) + rsn(4) + elt(54, b"\x01\x02\x01"),
    1: bytes(Dot11AssoResp()) + elt(56, b"\x03\x00\x01\x00\x00"),
    8: bytes(Dot11Beacon() / Dot11Elt(ID=0, info=b"x") / Dot11EltRSN()),
    11: auth(3, 1, 0, b"\x13\x00" + TOKEN + SCALAR + ELEMENT),
    12: b"\x03\x00",
    13: b"\x0a\x07\x01\x05\x00\x00\x0a" + elt(52, b"\x01" * 13 + elt(3, b"\x09")),
}


@given(st.sampled_from(sorted(VALID)), st.data())
def test_any_truncation_or_mutation_gives_a_record_or_decode_error(subtype: int, data) -> None:
    body = bytearray(VALID[subtype])
    body = body[: data.draw(st.integers(0, len(body)))]
    for pos, value in data.draw(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 255)))):
        if pos < len(body):
            body[pos] = value
    for protected in (False, True):
        try:
            decode_mgmt_body(subtype, bytes(body), protected)
        except DecodeError:
            pass
