"""The scenario-builder roam that the ACK and Block Ack end-to-end tests share."""

from __future__ import annotations

import pytest

from analyzer.roam.records import Roam
from analyzer.simulate import Scenario

AP1_SIM, AP2_SIM, STA_SIM = "00:11:22:33:44:01", "00:11:22:33:44:02", "02:00:00:00:00:01"


def acked_roam(lost: tuple[str, ...], block_acks: bool = False) -> Scenario:
    """A PSK station with data on AP1 roams to AP2 and sends data there; a sniffer hears the
    ACKs (or Block Acks) of its data but those named in `lost` of the roam."""
    sc = Scenario("pcapng", seed=3, acks=True, block_acks=block_acks)
    sc.ap("ap1", AP1_SIM, "lab", 36, akm="psk", passphrase="correct horse")
    sc.ap("ap2", AP2_SIM, "lab", 44, akm="psk", passphrase="correct horse")
    sc.sta("c", STA_SIM).beacons("ap1", 3).beacons("ap2", 3)
    sc.connect("c", "ap1").data("c", 4).wait(300)
    sc.roam("c", "ap2", lost_acks=set(lost)).wait(5).data("c", 4)
    return sc


def expected_ack_to_ack(acked: list[tuple[int, str]], conn: dict) -> float:
    """ack_to_ack from the builder's truth: the last acknowledged data on AP1 before the roam
    to the first on AP2 after its first data frame (acked: (time, BSSID) of acknowledged data)."""
    old = max(ts for ts, b in acked if b == AP1_SIM and ts < conn["start_ns"])
    new = min(ts for ts, b in acked if b == AP2_SIM and ts > conn["phases_ns"]["first_data"])
    return round((new - old) / 1e6, 3)


def assert_ack_to_ack(roam: Roam, expected: float, lost: tuple[str, ...]) -> None:
    """The roam succeeded with `expected` ack_to_ack; it matches data_gap when every
    acknowledgement was heard, and is well past it when the first ones were lost."""
    assert (roam.kind, roam.outcome) == ("roam", "success")
    assert roam.latency_ms["ack_to_ack"] == expected
    data_gap = roam.latency_ms["data_gap"]
    assert data_gap is not None
    if lost:
        assert roam.latency_ms["ack_to_ack"] > data_gap + 5
    else:
        assert roam.latency_ms["ack_to_ack"] == pytest.approx(data_gap, abs=0.1)
