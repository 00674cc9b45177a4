"""The scenario-builder roam that the ACK and Block Ack end-to-end tests share."""

from __future__ import annotations

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
