"""Tracker state: bounds, expiry, summaries, EAPOL MIC-length choice, and the JSON shape."""

from __future__ import annotations

import json
import struct

from analyzer.dot11.eapol import decode_eapol_key
from analyzer.dot11.records import Eapol, EthHeader, Frame, Kind, MacHeader, Malformed
from analyzer.roam.events import EventType, mic_length, to_event
from analyzer.roam.records import Roam
from analyzer.roam.tracker import Tracker
from tests.roam.factory import AP1, AP2, STA, STA2, Air, codes, ms


def test_silent_station_state_expires_but_its_summary_stays() -> None:
    air = Air()
    air.psk_connect(0)
    air.data(20)
    air.beacon(400_000, AP1)
    tracker = Tracker(station_idle_s=300.0)
    air.run(tracker)
    assert tracker.active_stations == 0
    (summary,) = tracker.stations()
    assert (summary.sta, summary.attempts, summary.success, summary.roams) == (STA, 1, 1, 0)
    assert summary.bssids == (AP1,)


def test_frame_indices_are_capped_per_attempt_with_a_count() -> None:
    air = Air()
    air.auth(0, STA, AP1)
    air.auth(1, STA, AP1, seq=2)
    air.assoc_req(2, STA, AP1, akm=1)
    air.assoc_resp(3, STA, AP1)
    for i in range(300):
        air.eap(4 + i, 1 if i % 2 == 0 else 2, 13)
    (roam,), _ = air.run()
    assert len(roam.frames) == 200
    assert roam.frames_dropped == 104


def test_malformed_frame_of_an_attempt_is_named_in_missing() -> None:
    air = Air()
    air.auth(0, STA, AP1)
    air.auth(1, STA, AP1, seq=2)
    header = MacHeader(0, 0, 0, 0, AP1, STA, AP1, None, 9, 0, None, None, 24)
    bad = Malformed(99, ms(2), 0, "mgmt", "element overruns body", Kind.ASSOC_REQ, header)
    tracker = Tracker()
    for frame in air.frames:
        tracker.feed(frame)
    tracker.feed(bad)
    (roam,) = tracker.finish()
    assert roam.evidence.malformed_frames == (99,)
    assert "frame 99" in {m.what for m in roam.missing}
    assert tracker.malformed == 1


def test_a_frame_is_never_both_not_captured_and_malformed() -> None:
    """The (Re)Association Request reached the sniffer but failed to decode: the expected
    frames before the last one seen are "not decoded", never "not captured" beside it."""
    air = Air()
    air.auth(0, STA, AP1)
    air.auth(1, STA, AP1, seq=2)
    header = MacHeader(0, 0, 0, 0, AP1, STA, AP1, None, 9, 0, None, None, 24)
    bad = Malformed(99, ms(2), 0, "mgmt", "element overruns body", Kind.ASSOC_REQ, header)
    air.assoc_resp(3, STA, AP1)
    air.key(4, "M1")
    air.key(5, "M2")
    tracker = Tracker()
    for item in sorted([*air.frames, bad], key=lambda f: f.ts_ns):
        tracker.feed(item)
    (roam,) = [r for r in tracker.finish() if isinstance(r, Roam)]
    whys = {m.what: m.why for m in roam.missing}
    assert whys["assoc_req"].startswith("not decoded") and "frame 99" in whys["assoc_req"]
    assert not any(why.startswith("not captured") for why in whys.values())


def test_eapol_after_a_seen_handshake_is_a_rekey_not_an_attempt() -> None:
    air = Air()
    m4 = air.psk_connect(0)
    air.data(m4 + 1)
    air.key(60_000, "M1", replay=3)
    air.key(60_001, "M2", replay=3)
    air.key(60_002, "M3", replay=4)
    air.key(60_003, "M4", replay=4)
    roams, _ = air.run()
    assert len(roams) == 1


def test_protected_data_after_association_with_no_eapol_captured_is_success() -> None:
    air = Air()
    air.auth(0, STA, AP1)
    air.auth(1, STA, AP1, seq=2)
    air.assoc_req(2, STA, AP1)
    air.assoc_resp(3, STA, AP1)
    air.data(50)
    (roam,), _ = air.run()
    assert roam.outcome == "success"
    assert {"M1", "M2", "M3", "M4"} <= {m.what for m in roam.missing}


def test_broadcast_deauth_fails_every_attempt_with_that_ap() -> None:
    air = Air()
    for sta in (STA, STA2):
        air.auth(0, sta, AP1)
        air.auth(1, sta, AP1, seq=2)
    air.deauth(5, "ff:ff:ff:ff:ff:ff", AP1, reason=3)
    roams, found = air.run()
    assert sorted(r.sta for r in roams) == [STA, STA2]
    assert {r.failure_reason for r in roams} == {"deauth:deauth_leaving"}
    assert codes(found).count("DEAUTH_DURING_ROAM") == 2


def _ambiguous_m4() -> bytes:
    """An M4 whose 24-byte-MIC split (AKM 20) ends the body, and whose 16-byte split fits
    too and reads as an M2 (key data would start 0x30)."""
    fixed = struct.pack(">BHHQ32s16s8s8s", 2, 0x0308, 0, 2, bytes(32), bytes(16), bytes(8),
                        bytes(8))
    mic = bytes(16) + struct.pack(">H", 8) + b"\x30" + bytes(5)
    return fixed + mic + struct.pack(">H", 0)


def test_ambiguous_mic_length_is_resolved_from_the_association_akm() -> None:
    body = _ambiguous_m4()
    guess = decode_eapol_key(body)
    assert guess.message is None and set(guess.mic_lengths) == {16, 24}
    air = Air()
    air.auth(0, STA, AP1)
    air.auth(1, STA, AP1, seq=2)
    air.assoc_req(2, STA, AP1, akm=20)
    air.assoc_resp(3, STA, AP1)
    air.key(4, "M1")
    air.key(5, "M2")
    air.key(6, "M3", replay=2)
    raw = struct.pack(">BBH", 2, 3, len(body)) + body
    header = MacHeader(2, 8, 0x01, 0, AP1, STA, AP1, None, 77, 0, 6, None, 26)
    air.frames.append(Frame(len(air.frames) + 1, ms(7), 0, Kind.EAPOL, None, header,
                            Eapol(0x888E, 2, 3, len(body), guess, raw)))
    (roam,), _ = air.run()
    assert roam.outcome == "success" and roam.evidence.m4_seen
    assert mic_length(20) == 24 and mic_length(18, 20) == 24 and mic_length(18) is None


def test_roles_of_management_eapol_and_ft_over_ds_events() -> None:
    air = Air()
    resp = to_event(air.assoc_resp(0, STA, AP1))
    req = to_event(air.auth(1, STA, AP2))
    ft = to_event(air.ft_request(2, STA, AP1, AP2))
    m1_eth = to_event(air.key(3, "M1", eth=True))
    assert resp is not None and (resp.sta, resp.bssid, resp.from_ap) == (STA, AP1, True)
    assert req is not None and (req.sta, req.bssid, req.from_ap) == (STA, AP2, False)
    assert ft is not None and (ft.type, ft.bssid, ft.via) == (EventType.FT_REQUEST, AP2, AP1)
    assert m1_eth is not None and (m1_eth.sta, m1_eth.bssid, m1_eth.from_ap) == (STA, AP1, True)
    assert isinstance(air.frames[-1].header, EthHeader)


def test_to_dict_has_the_issue_json_shape() -> None:
    air = Air()
    air.data(0, bssid=AP1)
    air.deauth(10, STA, AP1)
    m4 = air.psk_connect(20, bssid=AP2)
    air.data(m4 + 1, bssid=AP2)
    (roam,), _ = air.run()
    d = json.loads(json.dumps(roam.to_dict()))
    for key in ("id", "sta", "from_bssid", "to_bssid", "ssid", "kind", "method", "akm",
                "eap_method", "trigger", "outcome", "failure_reason", "t_start", "t_end",
                "phases", "latency_ms", "missing", "pmkids_offered", "pmkid_m1", "frames"):
        assert key in d
    assert set(d["latency_ms"]) == {"auth", "assoc", "eap", "4way", "control_plane",
                                    "data_gap", "handoff", "ack_to_ack",
                                    "l3_up", "l3_down", "dhcp", "to_ip_traffic"}
    assert d["recovery"] is None  # only the decryption pass fills it
    assert d["t_start"] == 0.02 and d["trigger"]["type"] == "deauth"
    assert d["phases"][0] == {"name": "auth", "start": 0.02, "end": 0.021, "frames": 2,
                              "retransmissions": 0}
    assert d["frames"][0] == 3
