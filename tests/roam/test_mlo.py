"""Wi-Fi 7 multi-link: a station is its MLD. Scenario captures written by the builder (three
links per MLD, frames on the links with link addresses, keys and PMKIDs with the MLD MAC
addresses) and read like a user's file."""

from __future__ import annotations

from pathlib import Path

from analyzer.capture import open_capture
from analyzer.config.keys import load_keys
from analyzer.crypto.keys import pmkid
from analyzer.dot11 import decode
from analyzer.dot11.records import AssocReq, AssocResp, Frame
from analyzer.run.dispatch import run
from analyzer.run.engine import Analysis
from analyzer.simulate import Scenario

STA_MLD = "02:bb:00:00:00:00"
STA_LINKS = ["02:bb:00:00:00:10", "02:bb:00:00:00:11", "02:bb:00:00:00:12"]
AP1_MLD, AP2_MLD = "02:aa:00:00:01:00", "02:aa:00:00:02:00"
AP1_LINKS = [("02:aa:00:00:01:10", 36), ("02:aa:00:00:01:11", 100), ("02:aa:00:00:01:12", 6)]
AP2_LINKS = [("02:aa:00:00:02:10", 44), ("02:aa:00:00:02:11", 116), ("02:aa:00:00:02:12", 11)]
PASSPHRASE = "correct horse"


def mlo_scenario(akm: str = "psk") -> Scenario:
    sc = Scenario(seed=21)
    secret = {"passphrase": PASSPHRASE} if akm == "psk" else {}
    sc.ap("ap1", AP1_MLD, "wifi7", 36, akm=akm, **secret)
    sc.ap("ap2", AP2_MLD, "wifi7", 44, akm=akm, **secret)
    sc.mld_ap("ap1", AP1_LINKS).mld_ap("ap2", AP2_LINKS)
    sc.sta("c", STA_MLD).mld_sta("c", STA_LINKS)
    sc.beacons("ap1", 3).beacons("ap2", 3)
    return sc.connect("c", "ap1").data("c", 12).wait(300)


def analyse(sc: Scenario, tmp_path: Path, **kw: object) -> Analysis:
    path = tmp_path / "mlo.pcapng"
    sc.write(path)
    return run([str(path)], **kw)  # type: ignore[arg-type]


def frames(sc: Scenario, tmp_path: Path) -> list[Frame]:
    path = tmp_path / "frames.pcapng"
    sc.write(path)
    with open_capture(path) as cap:
        return [f for f in map(decode, cap) if isinstance(f, Frame)]


def test_frames_travel_on_link_addresses_and_channels(tmp_path: Path) -> None:
    """The builder's output: no MLD MAC address in any header, data on all three links."""
    sc = mlo_scenario().roam("c", "ap2").data("c", 12)
    seen = frames(sc, tmp_path)
    headers = {a for f in seen if f.header is not None
               for a in (f.header.addr1, getattr(f.header, "addr2", None))}
    assert not headers & {STA_MLD, AP1_MLD, AP2_MLD}
    assert set(STA_LINKS) <= headers
    assert {f.radio.freq_mhz for f in seen if f.radio} >= {5180, 5500, 2437, 5220, 5580, 2462}


def test_association_frames_carry_the_basic_multi_link_element(tmp_path: Path) -> None:
    seen = frames(mlo_scenario(), tmp_path)
    req = next(f.body for f in seen if isinstance(f.body, AssocReq))
    resp = next(f.body for f in seen if isinstance(f.body, AssocResp))
    ml_req, ml_resp = req.elements.multi_link, resp.elements.multi_link
    assert ml_req is not None and ml_resp is not None
    assert ml_req.mld_mac == STA_MLD and [x.address for x in ml_req.links] == STA_LINKS[1:]
    assert (ml_resp.mld_mac, ml_resp.link_id) == (AP1_MLD, 0)
    assert [(x.link_id, x.address) for x in ml_resp.links] == [(1, AP1_LINKS[1][0]),
                                                                (2, AP1_LINKS[2][0])]


def test_an_mld_roam_is_one_roam_between_ap_mlds_not_one_per_link(tmp_path: Path) -> None:
    a = analyse(mlo_scenario().roam("c", "ap2").data("c", 12), tmp_path)
    assert [(r.sta, r.from_bssid, r.to_bssid, r.kind, r.outcome) for r in a.roams] == [
        (STA_MLD, None, AP1_MLD, "initial", "success"),
        (STA_MLD, AP1_MLD, AP2_MLD, "roam", "success"),
    ]
    assert [s.sta for s in a.stations] == [STA_MLD]
    roam = a.roams[-1]
    assert [(x.link_id, x.sta, x.ap, x.channel) for x in roam.mlo_links] == [
        (0, STA_LINKS[0], AP2_LINKS[0][0], 44),
        (1, STA_LINKS[1], AP2_LINKS[1][0], 116),
        (2, STA_LINKS[2], AP2_LINKS[2][0], 11),
    ]
    assert roam.latency_ms["data_gap"] is not None  # data on any link is the MLD's data
    assert roam.to_dict()["mlo_links"][0]["ap"] == AP2_LINKS[0][0]


def test_handshake_mics_verify_with_keys_derived_from_mld_addresses(tmp_path: Path) -> None:
    """The PTK of an association between MLDs uses the MLD MAC addresses: the MICs check
    out only because the roam's addresses are the MLDs'."""
    keys = load_keys([f"wpa-pwd:{PASSPHRASE}:wifi7"], [])
    a = analyse(mlo_scenario().roam("c", "ap2").data("c", 4), tmp_path, keys=keys)
    assert [r.mic_valid for r in a.roams] == [True, True]


def test_pmkid_of_an_mlo_pmksa_cache_roam_is_computed_with_mld_addresses(tmp_path: Path) -> None:
    sc = mlo_scenario("8021x").roam("c", "ap2").data("c", 4).wait(300)
    sc.roam("c", "ap1", method="pmksa").data("c", 4)
    a = analyse(sc, tmp_path)
    back = a.roams[-1]
    assert back.to_bssid == AP1_MLD and back.pmksa is not None
    assert back.pmksa.verdict == "hit" and back.method == "pmksa_cache"
    pmk = bytes.fromhex(sc.truth()["connections"][0]["pmk"])
    mld = pmkid(pmk, bytes.fromhex(AP1_MLD.replace(":", "")), bytes.fromhex(
        STA_MLD.replace(":", "")), 1)
    link = pmkid(pmk, bytes.fromhex(AP1_LINKS[0][0].replace(":", "")), bytes.fromhex(
        STA_LINKS[0].replace(":", "")), 1)
    assert back.pmkids_offered == (mld.hex(),) and back.pmkid_m1 == mld.hex() != link.hex()


def test_links_set_up_again_within_one_ap_mld_are_a_link_change_not_a_roam(
    tmp_path: Path,
) -> None:
    """The MLD re-associates with the AP MLD it is on, now with two links: an attempt of
    kind reconnect and MLO_LINK_CHANGE (link 2 removed), no roam."""
    sc = mlo_scenario().mld_sta("c", STA_LINKS[:2]).roam("c", "ap1").data("c", 6)
    a = analyse(sc, tmp_path)
    assert [(r.kind, r.to_bssid, r.outcome) for r in a.roams] == [
        ("initial", AP1_MLD, "success"), ("reconnect", AP1_MLD, "success")]
    assert [len(r.mlo_links) for r in a.roams] == [3, 2]
    assert [(s.sta, s.roams) for s in a.stations] == [(STA_MLD, 0)]
    (change,) = [f for f in a.findings if f.code == "MLO_LINK_CHANGE"]
    assert change.severity == "info" and change.roam_id == a.roams[1].id
    assert "added none; removed 2 (02:bb:00:00:00:12" in change.message


def test_the_same_links_again_are_no_link_change(tmp_path: Path) -> None:
    a = analyse(mlo_scenario().roam("c", "ap1").data("c", 6), tmp_path)
    assert [r.kind for r in a.roams] == ["initial", "reconnect"]
    assert "MLO_LINK_CHANGE" not in [f.code for f in a.findings]
