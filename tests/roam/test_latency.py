"""Latency figures: each computed from frames seen, or None with a `missing` reason."""

from __future__ import annotations

import pytest

from analyzer.roam.records import LATENCY_KEYS, RECOVERY_KEYS, Roam
from tests.roam.factory import AP1, AP2, PMKID_A, STA, Air


def _why(roam: Roam, what: str) -> str:
    reasons = {m.what: m.why for m in roam.missing}
    return reasons[what]


def _eap_roam(drop: str | None = None) -> Roam:
    """A full-802.1X roam AP1 -> AP2 after a scan, with one kind of frame left out."""
    air = Air()
    if drop != "old_data":
        air.data(0, bssid=AP1)
    if drop != "probe":
        air.probe_req(40)
    if drop != "auth":
        air.auth(100, STA, AP2)
        air.auth(101, STA, AP2, seq=2)
    if drop != "assoc_req":
        air.assoc_req(102, STA, AP2, akm=1, reassoc=True, current_ap=AP1)
    if drop != "assoc_resp":
        air.assoc_resp(103, STA, AP2, reassoc=True)
    if drop != "eap":
        air.eap(110, 1, 1, bssid=AP2)
        air.eap(112, 2, 1, bssid=AP2)
        air.eap(114, 1, 25, bssid=AP2)
        air.eap(116, 2, 25, bssid=AP2)
        if drop != "eap_success":
            air.eap(130, 3, bssid=AP2)
    if drop != "m1":
        air.key(131, "M1", bssid=AP2, pmkid=PMKID_A)
    air.key(132, "M2", bssid=AP2)
    air.key(133, "M3", bssid=AP2, replay=2)
    if drop != "m4":
        air.key(134, "M4", bssid=AP2, replay=2)
    air.data(140, bssid=AP2)
    roams, _ = air.run()
    return roams[-1]


def test_every_latency_of_a_complete_roam() -> None:
    roam = _eap_roam()
    assert roam.latency_ms == {
        "auth": 1.0, "assoc": 1.0, "eap": 20.0, "4way": 3.0, "control_plane": 34.0,
        "data_gap": 140.0, "handoff": 63.0, "ack_to_ack": None,
        "l3_up": None, "l3_down": None, "dhcp": None, "to_ip_traffic": None,
    }
    assert [m.what for m in roam.missing] == [
        "latency.ack_to_ack", "latency.l3_up", "latency.l3_down", "latency.dhcp",
        "latency.to_ip_traffic"]
    assert "needs decryption" in _why(roam, "latency.l3_up")
    assert "no ACK or Block Ack frames captured" in _why(roam, "latency.ack_to_ack")
    assert [p.name for p in roam.phases] == ["probe", "auth", "assoc", "eap", "4way",
                                             "first_data"]


@pytest.mark.parametrize(
    ("drop", "nulls", "frame_missing"),
    [
        ("probe", {"handoff": "no Probe Request"}, None),
        ("auth", {"auth": "no Authentication frames", "control_plane": "start unknown"},
         "auth_req"),
        ("assoc_req", {"assoc": "assoc_req not seen"}, "assoc_req"),
        ("assoc_resp", {"assoc": "assoc_resp not seen",
                        "handoff": "(Re)Association Response not seen"}, "assoc_resp"),
        ("eap_success", {"eap": "EAP-Success not seen"}, "eap_success"),
        ("m1", {"4way": "M1 not seen"}, "M1"),
        ("m4", {"4way": "M4 not seen", "control_plane": "M4 not seen"}, "M4"),
        ("old_data", {"data_gap": "old BSSID"}, None),
    ],
)
def test_each_missing_frame_nulls_its_latencies_with_a_reason(
    drop: str, nulls: dict[str, str], frame_missing: str | None
) -> None:
    roam = _eap_roam(drop)
    assert roam.outcome == "success"
    for key in LATENCY_KEYS:
        if key in nulls:
            assert roam.latency_ms[key] is None, key
            assert nulls[key] in _why(roam, f"latency.{key}")
        elif key != "ack_to_ack" and key not in RECOVERY_KEYS:  # those need decryption
            assert roam.latency_ms[key] is not None, key
    if frame_missing is not None:
        assert frame_missing in {m.what for m in roam.missing}


def test_success_inferred_from_protected_data_when_m4_was_missed() -> None:
    roam = _eap_roam("m4")
    assert roam.outcome == "success"
    assert "protected data after M3" in _why(roam, "M4")


def test_not_applicable_latencies_say_so() -> None:
    air = Air()
    air.psk_connect(0)
    (roam,), _ = air.run()
    assert roam.latency_ms["eap"] is None
    assert "not applicable" in _why(roam, "latency.eap")
    assert "no previous association" in _why(roam, "latency.data_gap")


def test_roam_without_data_on_the_new_bss_waits_then_reports_why() -> None:
    air = Air()
    air.data(0, bssid=AP1)
    air.psk_connect(100, bssid=AP2, reassoc=True, current_ap=AP1)
    air.beacon(9000, AP1)
    (roam,), _ = air.run()
    assert roam.outcome == "success"
    assert "within 5 s" in _why(roam, "latency.data_gap")


def test_rssi_and_channels_come_from_the_aps_frames() -> None:
    air = Air()
    air.beacon(0, AP1, channel=1, signal=-75)
    air.beacon(1, AP2, channel=36, signal=-48)
    air.data(2, bssid=AP1)
    air.auth(10, STA, AP2)
    air.auth(11, STA, AP2, seq=2, signal=-50)
    air.assoc_req(12, STA, AP2, reassoc=True, current_ap=AP1)
    air.assoc_resp(13, STA, AP2, reassoc=True)
    air.fourway(14, bssid=AP2)
    (roam,), _ = air.run()
    assert (roam.channel_from, roam.channel_to) == (1, 36)
    assert (roam.rssi_old_dbm, roam.rssi_new_dbm) == (-75, -50)
