"""How attempts fail or stay incomplete, and the findings that say so."""

from __future__ import annotations

from analyzer.roam.tracker import Tracker
from tests.roam.factory import AP1, AP2, STA, Air, codes


def _assoc(air: Air, t: float = 0, bssid: str = AP1, akm: int = 2) -> None:
    air.auth(t, STA, bssid)
    air.auth(t + 1, STA, bssid, seq=2)
    air.assoc_req(t + 2, STA, bssid, akm=akm)


def test_assoc_rejected_status_fails_with_status_name() -> None:
    air = Air()
    _assoc(air)
    air.assoc_resp(3, STA, AP1, status=17)
    (roam,), found = air.run()
    assert (roam.outcome, roam.failure_reason) == ("failed", "ap_unable_to_handle_new_sta")
    assert "ASSOC_REJECTED" in codes(found)


def test_status_30_comeback_keeps_the_attempt_for_the_reassociation() -> None:
    """Status 30 (association comeback) is "try again later": the reassociation that follows
    belongs to the same attempt, which succeeds."""
    air = Air()
    _assoc(air)
    air.assoc_resp(3, STA, AP1, status=30)
    air.assoc_req(1000, STA, AP1, reassoc=True, current_ap=AP1)
    air.assoc_resp(1001, STA, AP1, reassoc=True)
    air.fourway(1002)
    (roam,), found = air.run()
    assert (roam.outcome, roam.failure_reason) == ("success", None)
    assert "ASSOC_REJECTED" not in codes(found) and "ASSOC_COMEBACK" in codes(found)


def test_auth_rejected_fails_the_attempt() -> None:
    air = Air()
    air.auth(0, STA, AP1)
    air.auth(1, STA, AP1, seq=2, status=17)
    (roam,), found = air.run()
    assert (roam.outcome, roam.failure_reason) == ("failed", "ap_unable_to_handle_new_sta")
    assert codes(found) == ["AUTH_REJECTED"]


def test_sae_anti_clogging_status_does_not_fail() -> None:
    air = Air()
    air.auth(0, STA, AP1, alg=3, seq=1, from_ap=False)
    air.auth(1, STA, AP1, alg=3, seq=1, from_ap=True, status=76)
    air.auth(2, STA, AP1, alg=3, seq=1, from_ap=False)
    air.auth(3, STA, AP1, alg=3, seq=1, from_ap=True)
    (roam,), _ = air.run()
    assert roam.outcome == "incomplete"


def test_eap_failure_fails_the_attempt() -> None:
    air = Air()
    _assoc(air, akm=1)
    air.assoc_resp(3, STA, AP1)
    air.eap(5, 1, 1)
    air.eap(6, 2, 1)
    air.eap(7, 4)
    air.deauth(8, STA, AP1, reason=23)
    roams, found = air.run()
    assert (roams[0].outcome, roams[0].failure_reason) == ("failed", "eap_failure")
    assert "EAP_FAILURE" in codes(found)
    assert len(roams) == 1


def test_deauth_during_the_attempt_fails_it_with_the_reason() -> None:
    air = Air()
    _assoc(air)
    air.assoc_resp(3, STA, AP1)
    air.key(4, "M1")
    air.key(5, "M2")
    air.deauth(6, STA, AP1, reason=17)
    (roam,), found = air.run()
    assert (roam.outcome, roam.failure_reason) == ("failed", "deauth:ie_in_4way_differs")
    assert "DEAUTH_DURING_ROAM" in codes(found) and "HANDSHAKE_INCOMPLETE" in codes(found)


def test_4way_timeout_with_m1_retries_fails_and_says_incomplete_handshake() -> None:
    """hostapd resends M1 (new replay counter) then gives up with reason 15."""
    air = Air()
    _assoc(air)
    air.assoc_resp(3, STA, AP1)
    for i in range(4):
        air.key(5 + i * 1000, "M1", replay=i + 1)
    air.deauth(4010, STA, AP1, reason=15)
    (roam,), found = air.run()
    assert (roam.outcome, roam.failure_reason) == ("failed", "deauth:4way_handshake_timeout")
    assert roam.evidence.m1_count == 4
    assert roam.phase("4way").retransmissions == 3
    assert "HANDSHAKE_INCOMPLETE" in codes(found)


def test_4way_stalled_without_deauth_times_out() -> None:
    air = Air()
    _assoc(air)
    air.assoc_resp(3, STA, AP1)
    air.key(5, "M1")
    air.beacon(7000, AP2)
    roams, _ = air.run()
    assert (roams[0].outcome, roams[0].failure_reason) == ("failed", "4way_timeout")
    assert roams[0].t_end_ns == 5_000_000


def test_no_progress_timeout_is_configurable() -> None:
    air = Air()
    air.auth(0, STA, AP1)
    air.beacon(1500, AP2)
    (roam,), _ = air.run(Tracker(timeout_s=1.0))
    assert (roam.outcome, roam.failure_reason) == ("failed", "no_progress")


def test_capture_ending_mid_attempt_is_incomplete() -> None:
    air = Air()
    _assoc(air)
    air.assoc_resp(3, STA, AP1)
    air.key(5, "M1")
    (roam,), found = air.run()
    assert roam.outcome == "incomplete" and roam.failure_reason is None
    assert "HANDSHAKE_INCOMPLETE" in codes(found)


def test_new_auth_to_another_ap_supersedes_a_stalled_attempt() -> None:
    air = Air()
    air.auth(0, STA, AP1)
    air.psk_connect(100, bssid=AP2)
    roams, _ = air.run()
    assert [(r.to_bssid, r.outcome, r.failure_reason) for r in roams] == [
        (AP1, "failed", "superseded"), (AP2, "success", None)]


def test_zero_anonce_is_reported() -> None:
    air = Air()
    _assoc(air)
    air.assoc_resp(3, STA, AP1)
    air.key(4, "M1", nonce=bytes(32))
    _, found = air.run()
    assert "ZERO_ANONCE" in codes(found)


def test_m3_anonce_differing_from_m1_is_reported() -> None:
    air = Air()
    _assoc(air)
    air.assoc_resp(3, STA, AP1)
    air.key(4, "M1")
    air.key(5, "M2")
    air.key(6, "M3", replay=2, nonce=bytes.fromhex("77" * 32))
    air.key(7, "M4", replay=2)
    _, found = air.run()
    assert "ANONCE_CHANGED" in codes(found)


def test_m2_echoing_no_m1_replay_counter_is_reported() -> None:
    air = Air()
    _assoc(air)
    air.assoc_resp(3, STA, AP1)
    air.key(4, "M1", replay=5)
    air.key(5, "M2", replay=4)
    _, found = air.run()
    assert "REPLAY_COUNTER_MISMATCH" in codes(found)


def test_m3_sent_twice_is_reported_and_counted() -> None:
    air = Air()
    _assoc(air)
    air.assoc_resp(3, STA, AP1)
    air.key(4, "M1")
    air.key(5, "M2")
    air.key(6, "M3", replay=2)
    air.key(1006, "M3", replay=3)
    air.key(1007, "M4", replay=3)
    (roam,), found = air.run()
    assert roam.outcome == "success"
    assert "M3_RETRANSMITTED" in codes(found)
    assert roam.phase("4way").retransmissions == 1


def test_slow_roam_over_threshold_is_reported_per_method() -> None:
    """Default 150 ms of control plane; a per-method threshold overrides it."""
    air = Air()
    air.data(0, bssid=AP1)
    air.auth(100, STA, AP2)
    air.auth(101, STA, AP2, seq=2)
    air.assoc_req(102, STA, AP2, reassoc=True, current_ap=AP1)
    air.assoc_resp(103, STA, AP2, reassoc=True)
    air.fourway(300, bssid=AP2)
    (roam,), found = air.run()
    assert roam.latency_ms["control_plane"] == 206.0
    assert "SLOW_ROAM" in codes(found)
    quick = Air()
    quick.data(0, bssid=AP1)
    quick.psk_connect(100, bssid=AP2, reassoc=True, current_ap=AP1)
    assert "SLOW_ROAM" not in codes(quick.run()[1])
    assert "SLOW_ROAM" in codes(quick.run(Tracker(slow_roam_ms={"psk": 5.0}))[1])
