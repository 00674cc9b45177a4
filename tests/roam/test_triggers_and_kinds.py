"""Why a station moved (trigger), what kind of attempt it was, and where it came from."""

from __future__ import annotations

from tests.roam.factory import AP1, AP2, AP3, STA, STA2, Air


def _connected(air: Air, bssid: str = AP1, sta: str = STA) -> float:
    m4 = air.psk_connect(0, sta=sta, bssid=bssid)
    air.data(m4 + 2, sta=sta, bssid=bssid)
    return m4 + 2


def test_deauth_before_the_attempt_is_the_trigger_with_its_reason_name() -> None:
    air = Air()
    _connected(air)
    air.deauth(1000, STA, AP1, reason=4)
    air.psk_connect(1500, bssid=AP2, reassoc=False)
    roams, _ = air.run()
    trig = roams[-1].trigger
    assert (trig.type, trig.reason) == ("deauth", "disassoc_due_to_inactivity")
    assert roams[-1].kind == "roam"


def test_disassoc_before_the_attempt_is_the_trigger() -> None:
    air = Air()
    _connected(air)
    air.disassoc(1000, STA, AP1, reason=5)
    air.psk_connect(1200, bssid=AP2)
    roams, _ = air.run()
    assert (roams[-1].trigger.type, roams[-1].trigger.reason) == ("disassoc", "disassoc_ap_busy")


def test_btm_request_accepted_with_target_in_candidate_list() -> None:
    air = Air()
    _connected(air)
    air.btm_request(1000, STA, AP1, candidates=(AP2, AP3))
    air.btm_response(1003, STA, AP1, status=0, target=AP2)
    air.psk_connect(1010, bssid=AP2, reassoc=True, current_ap=AP1)
    roams, _ = air.run()
    trig = roams[-1].trigger
    assert trig.type == "btm_request"
    assert trig.btm_accepted is True and trig.target_in_candidates is True


def test_btm_request_rejected_then_roam_elsewhere() -> None:
    """The station rejected the BTM Request and roamed to an AP not in the list."""
    air = Air()
    _connected(air)
    air.btm_request(1000, STA, AP1, candidates=(AP2,))
    air.btm_response(1003, STA, AP1, status=6)
    air.disassoc(1100, STA, AP1, reason=12)
    air.psk_connect(1500, bssid=AP3)
    roams, _ = air.run()
    trig = roams[-1].trigger
    assert (trig.type, trig.btm_accepted, trig.btm_status) == ("btm_request", False, 6)
    assert trig.target_in_candidates is False
    assert trig.reason == "bss_transition_disassoc"


def test_no_trigger_frame_means_none_seen() -> None:
    air = Air()
    _connected(air)
    air.psk_connect(1000, bssid=AP2, reassoc=True, current_ap=AP1)
    roams, _ = air.run()
    assert roams[-1].trigger.type == "none_seen"


def test_trigger_older_than_the_window_is_not_used() -> None:
    air = Air()
    _connected(air)
    air.deauth(1000, STA, AP1)
    air.psk_connect(30_000, bssid=AP2)
    roams, _ = air.run()
    assert roams[-1].trigger.type == "none_seen"


def test_roam_whose_previous_association_is_before_the_capture_uses_current_ap() -> None:
    """No earlier association in the capture: from_bssid is the Reassoc Current AP field."""
    air = Air()
    air.psk_connect(0, bssid=AP2, reassoc=True, current_ap=AP1)
    (roam,), _ = air.run()
    assert (roam.kind, roam.from_bssid, roam.to_bssid) == ("roam", AP1, AP2)
    assert roam.evidence.current_ap == AP1


def test_data_frames_before_the_attempt_reveal_the_previous_association() -> None:
    """A station seen sending data to AP1 (joined before the capture) then moving: a roam."""
    air = Air()
    air.data(0, bssid=AP1)
    m4 = air.psk_connect(100, bssid=AP2)
    air.data(m4 + 4, bssid=AP2)
    (roam,), _ = air.run()
    assert (roam.kind, roam.from_bssid) == ("roam", AP1)
    assert roam.latency_ms["data_gap"] == m4 + 4


def test_same_bssid_again_is_a_reconnect() -> None:
    air = Air()
    _connected(air)
    air.deauth(1000, STA, AP1, reason=3, from_ap=False)
    air.psk_connect(2000, bssid=AP1)
    roams, _ = air.run()
    assert [r.kind for r in roams] == ["initial", "reconnect"]


def test_two_stations_roaming_interleaved_are_kept_apart() -> None:
    """Frames of two stations alternate; each gets its own attempts and numbers."""
    air = Air()
    air.data(0, sta=STA, bssid=AP1)
    air.data(0.5, sta=STA2, bssid=AP2)
    for i, (sta, old, new) in enumerate([(STA, AP1, AP2), (STA2, AP2, AP1)]):
        o = i * 0.5
        air.auth(10 + o, sta, new)
        air.auth(11 + o, sta, new, seq=2)
        air.assoc_req(12 + o, sta, new, reassoc=True, current_ap=old)
        air.assoc_resp(13 + o, sta, new, reassoc=True)
        air.key(14 + o, "M1", sta, new)
        air.key(15 + o, "M2", sta, new)
        air.key(16 + o, "M3", sta, new, replay=2)
        air.key(17 + o, "M4", sta, new, replay=2)
        air.data(18 + o, sta=sta, bssid=new)
    roams, found = air.run()
    by_sta = {r.sta: r for r in roams}
    assert len(roams) == 2 and not found
    assert (by_sta[STA].from_bssid, by_sta[STA].to_bssid) == (AP1, AP2)
    assert (by_sta[STA2].from_bssid, by_sta[STA2].to_bssid) == (AP2, AP1)
    assert all(r.outcome == "success" and r.method == "psk" for r in roams)
    assert all(len(r.frames) == 9 for r in roams)
