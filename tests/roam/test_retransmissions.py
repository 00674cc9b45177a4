"""Retransmissions are folded and counted; replays and second-sensor copies are not attempts."""

from __future__ import annotations

from tests.roam.factory import AP1, AP2, STA, Air, codes


def test_retry_bit_copy_is_folded_into_its_phase_and_keeps_first_time() -> None:
    air = Air()
    air.auth(0, STA, AP1)
    air.auth(1, STA, AP1, seq=2)
    req = air.assoc_req(2, STA, AP1)
    air.retry(req, 4)
    air.retry(req, 6)
    air.assoc_resp(8, STA, AP1)
    air.fourway(10)
    (roam,), found = air.run()
    assoc = roam.phase("assoc")
    assert assoc is not None
    assert (assoc.frames, assoc.retransmissions) == (2, 2)
    assert assoc.start_ns == 2_000_000
    assert roam.latency_ms["assoc"] == 6.0
    assert not found


def test_replayed_association_request_is_a_finding_not_a_new_attempt() -> None:
    """The same Association Request (same sequence number, no Retry) 10 s later."""
    air = Air()
    air.auth(0, STA, AP1)
    air.auth(1, STA, AP1, seq=2)
    req = air.assoc_req(2, STA, AP1)
    air.assoc_resp(3, STA, AP1)
    m4 = air.fourway(5)
    air.data(m4 + 1)
    air.replay(req, 10_000)
    air.replay(req, 10_001)
    roams, found = air.run()
    assert len(roams) == 1
    assert codes(found) == ["REPLAYED_FRAME"]
    assert found[0].frame == len(air.frames) - 1


def test_same_frame_from_a_second_sensor_is_dropped_silently() -> None:
    air = Air()
    air.auth(0, STA, AP1)
    first = air.auth(1, STA, AP1, seq=2)
    air.copy_from_sensor(first, 1.01)
    air.assoc_req(2, STA, AP1)
    air.assoc_resp(3, STA, AP1)
    air.fourway(5)
    (roam,), found = air.run()
    assert not found
    assert roam.phase("auth").frames == 2


def test_probe_retries_count_in_the_probe_phase() -> None:
    air = Air()
    air.data(0, bssid=AP1)
    probe = air.probe_req(50)
    air.retry(probe, 51)
    air.probe_resp(52, STA, AP2)
    m4 = air.psk_connect(100, bssid=AP2, reassoc=True, current_ap=AP1)
    air.data(m4 + 1, bssid=AP2)
    (roam,), _ = air.run()
    probe_phase = roam.phase("probe")
    assert probe_phase is not None
    assert (probe_phase.frames, probe_phase.retransmissions) == (2, 1)
    assert roam.latency_ms["handoff"] == 103 - 50
