"""RSN pre-authentication: EAP with the target AP through the current one (ethertype 0x88C7)
creates the PMKSA (station, target AA); it is never a roam.

Scenarios: EAP-TTLS to AP1, pre-authentication with AP2 through AP1, reassociation to AP2
offering the PMKID of that PMKSA. Over the air the pre-authentication frames are data frames
of the AP1 association: protected (unreadable) as a monitor capture has them, so the exchange
is read from a second, wired capture of the DS (`write_wired`, linktype 1); or in the clear
(`air="clear"`), as a capture decrypted beforehand shows them.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from analyzer.config.expectations import load_expectations
from analyzer.config.keys import KeyRing
from analyzer.dot11 import decode
from analyzer.dot11.records import Frame
from analyzer.roam.events import EventType, to_event
from analyzer.run.dispatch import run
from analyzer.run.engine import Analysis
from tests.pmksa.scenarios import AP1, AP2, STA, analyse, codes, ess

WIRED_OFFSET = {"2": 0.0}  # the wired capture shares no frame with the air: same host clock


def _preauth_then_roam(air: str = "protected", *, roam: bool = True, **options: Any) -> Any:
    sc = ess()
    sc.connect("c", "ap1").data("c", 4).wait(1000)
    sc.preauth("c", "ap2", air=air, **options).data("c", 4).wait(1500)
    if roam:
        sc.roam("c", "ap2").data("c", 4)
    return sc


def _with_wire(sc: Any, tmp_path: Path, keys: KeyRing | None = None,
               expect: list[str] | None = None) -> Analysis:
    air, wire = tmp_path / "air.pcap", tmp_path / "wire.pcap"
    sc.write(air)
    sc.write_wired(wire)
    exp = load_expectations(expect) if expect else None
    return run([str(air), str(wire)], expectations=exp, keys=keys, offsets=WIRED_OFFSET)


def _preauth_event(sc: Any) -> dict[str, Any]:
    return next(e for e in sc.truth()["events"] if e["event"] == "preauth")


def _to_ap2(analysis: Analysis) -> Any:
    return next(r for r in analysis.roams if r.to_bssid == AP2)


def test_reassociation_with_the_preauth_pmkid_is_a_hit_via_preauth_confirmed_by_the_msk(
    tmp_path: Path,
) -> None:
    """The PMKID offered to AP2 is HMAC-SHA1-128(MSK[0:32], "PMK Name" || AP2 || STA) of the
    pre-authentication's MSK: a plain hit (the station did authenticate to AP2), aged from the
    pre-authentication's EAP-Success."""
    sc = _preauth_then_roam()
    pre = _preauth_event(sc)
    first = sc.truth()["connections"][0]["msk"]
    keys = KeyRing(msks=(bytes.fromhex(first), bytes.fromhex(pre["msk"])))
    analysis = _with_wire(sc, tmp_path, keys)
    roam = _to_ap2(analysis)
    v = roam.pmksa
    assert v is not None and (v.verdict, v.as_expected, v.confirmed) == ("hit", True, True)
    assert roam.pmkids_offered == (pre["pmkid"],) and roam.pmkid_m1 == pre["pmkid"]
    assert f"pre-authentication via {AP1}" in v.reason
    assert roam.method == "pmksa_cache" and roam.mic_valid is True
    assert not roam.evidence.eap_seen
    expected_age = (roam.t_start_ns - pre["ts_ns"]) / 1e9
    assert v.pmksa_age_s == pytest.approx(expected_age, abs=0.002)
    assert 1.0 < v.pmksa_age_s < 3.0
    assert not {c for c in codes(analysis) if c.startswith(("PMKSA_", "PMKID_", "PREAUTH"))}


def test_preauth_read_from_clear_frames_over_the_air_needs_no_second_capture(
    tmp_path: Path,
) -> None:
    sc = _preauth_then_roam(air="clear", wire=False)
    analysis = analyse(sc, tmp_path)
    v = _to_ap2(analysis).pmksa
    assert v is not None and (v.verdict, v.as_expected) == ("hit", True)
    assert f"pre-authentication via {AP1}" in v.reason


def test_the_same_offer_without_preauth_or_earlier_eap_to_that_ap_is_not_a_plain_hit(
    tmp_path: Path,
) -> None:
    """No pre-authentication, no EAP with AP2 ever: AP2 accepting a PMKID with EAP skipped
    can only be OKC (AP1's PMK), never a plain hit."""
    sc = ess(okc=True)
    sc.connect("c", "ap1").data("c", 4).wait(2500).roam("c", "ap2", method="okc").data("c", 4)
    v = _to_ap2(analyse(sc, tmp_path)).pmksa
    assert v is not None and v.verdict == "okc_hit"
    assert "pre-authentication" not in v.reason


def test_preauth_frames_create_no_roam_and_leave_the_association_alone(tmp_path: Path) -> None:
    """Only the initial association to AP1 is an attempt; it ends at its first data frame,
    before the pre-authentication, and none of the 0x88C7 frames joins it."""
    sc = _preauth_then_roam(air="clear", roam=False)
    baseline = ess()
    baseline.connect("c", "ap1").data("c", 4)
    analysis = analyse(sc, tmp_path)
    (only,) = analysis.roams
    (alone,) = analyse(baseline, tmp_path, name="baseline.pcap").roams
    assert (only.to_bssid, only.kind, only.outcome, only.method) == (AP1, "initial", "success",
                                                                     "full_8021x")
    assert only.frames == alone.frames and only.t_end_ns == alone.t_end_ns
    assert only.pmksa is not None and only.pmksa.verdict == "not_applicable"
    preauth_frames = _preauth_frame_indices(tmp_path / "scenario.pcap")
    assert len(preauth_frames) >= 10 and not set(only.frames) & preauth_frames
    assert analysis.findings == []


def _preauth_frame_indices(path: Path) -> set[int]:
    from analyzer.capture import open_capture

    out = set()
    with open_capture(str(path)) as cap:
        for rec in cap:
            item = decode(rec)
            ev = to_event(item) if isinstance(item, Frame) else None
            if ev is not None and ev.type is EventType.PREAUTH:
                assert (ev.sta, ev.bssid, ev.via) == (STA, AP2, AP1)
                out.add(rec.index)
    return out


def test_wired_preauth_frames_name_the_target_and_not_the_current_ap(tmp_path: Path) -> None:
    """On the DS: DA/SA are the station and the target AP; the current AP is not in the frame."""
    sc = _preauth_then_roam(roam=False)
    sc.write_wired(tmp_path / "wire.pcap")
    from analyzer.capture import open_capture

    with open_capture(str(tmp_path / "wire.pcap")) as cap:
        events = [to_event(f) for f in map(decode, cap) if isinstance(f, Frame)]
    assert events and all(e is not None and e.type is EventType.PREAUTH for e in events)
    assert {(e.sta, e.bssid, e.via) for e in events if e is not None} == {(STA, AP2, None)}
    assert [e.from_ap for e in events if e is not None][:3] == [False, True, False]


def test_failed_preauth_creates_no_pmksa_and_is_reported(tmp_path: Path) -> None:
    sc = _preauth_then_roam(failure=True)
    analysis = _with_wire(sc, tmp_path)
    assert "PREAUTH_FAILED" in codes(analysis)
    roam = _to_ap2(analysis)
    assert roam.method == "full_8021x"  # the builder's station has no PMKSA for AP2 either
    v = roam.pmksa
    assert v is not None and v.verdict == "not_applicable" and "full authentication" in v.reason


def test_ap_forgetting_a_preauth_pmksa_is_an_unexpected_ap_miss(tmp_path: Path) -> None:
    sc = ess()
    sc.connect("c", "ap1").data("c", 4).wait(1000).preauth("c", "ap2").data("c", 4).wait(1500)
    sc.roam("c", "ap2", ap_miss=True).data("c", 4)
    analysis = _with_wire(sc, tmp_path)
    v = _to_ap2(analysis).pmksa
    assert v is not None and (v.verdict, v.as_expected) == ("ap_miss", False)
    assert "by pre-authentication" in v.reason
    assert "PMKSA_UNEXPECTED_AP_MISS" in codes(analysis)


def test_station_not_offering_its_preauth_pmksa_is_sta_no_offer(tmp_path: Path) -> None:
    sc = _preauth_then_roam(roam=False)
    sc.roam("c", "ap2", method="full").data("c", 4)
    v = _to_ap2(_with_wire(sc, tmp_path)).pmksa
    assert v is not None and (v.verdict, v.as_expected) == ("sta_no_offer", False)
    assert "pre-authentication" in v.reason


def test_preauth_with_an_ap_whose_file_says_rsn_preauth_0_is_noted_not_judged(
    tmp_path: Path,
) -> None:
    """hostapd.conf for AP2 says rsn_preauth=0, yet AP2 completes a pre-authentication: an
    informational finding; the hit itself stays as expected, and `check` has no violation."""
    conf = tmp_path / "hostapd.conf"
    conf.write_text(f"interface=wlan0\nbssid={AP2}\nssid=corp\nrsn_preauth=0\n")
    analysis = _with_wire(_preauth_then_roam(), tmp_path, expect=[str(conf)])
    (note,) = [f for f in analysis.findings if f.code == "PREAUTH_NOT_EXPECTED"]
    assert note.severity == "info" and note.bssid == AP2 and "rsn_preauth=0" in note.message
    v = _to_ap2(analysis).pmksa
    assert v is not None and (v.verdict, v.as_expected) == ("hit", True)
    assert analysis.violations == []


def test_preauth_is_not_noted_when_no_file_states_rsn_preauth(tmp_path: Path) -> None:
    """hostapd's default is rsn_preauth=0, but without a file saying so nothing is noted."""
    conf = tmp_path / "hostapd.conf"
    conf.write_text(f"interface=wlan0\nbssid={AP2}\nssid=corp\nrsn_preauth=1\n")
    for expect in (None, [str(conf)]):
        analysis = _with_wire(_preauth_then_roam(), tmp_path, expect=expect)
        assert "PREAUTH_NOT_EXPECTED" not in codes(analysis)


def test_builder_refuses_preauth_without_a_current_association() -> None:
    sc = ess()
    with pytest.raises(ValueError, match="not associated"):
        sc.preauth("c", "ap2")
    sc.connect("c", "ap1")
    with pytest.raises(ValueError, match="already associated"):
        sc.preauth("c", "ap1")
    with pytest.raises(TypeError, match="unknown preauth options"):
        sc.preauth("c", "ap2", bogus=1)


@pytest.mark.tshark
def test_tshark_reads_the_wired_and_the_decrypted_air_preauth_frames(
    tshark: str, tmp_path: Path
) -> None:
    """Independent check of the builder: Wireshark dissects the wired 0x88C7 frames cleanly,
    and, given AP1's PMK, decrypts the protected air frames into the same EAP exchange with
    DA/SA = AP2, ending in an EAP-Success from AP2."""
    sc = _preauth_then_roam(roam=False)
    air, wire = tmp_path / "air.pcap", tmp_path / "wire.pcap"
    sc.write(air)
    sc.write_wired(wire)
    pmk = sc.truth()["connections"][0]["pmk"]

    def rows(path: Path, *args: str) -> list[str]:
        cmd = [tshark, "-n", "-r", str(path), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
        return [line for line in done.stdout.splitlines() if line.strip()]

    bad = "_ws.malformed || _ws.expert.severity >= warning"
    assert rows(wire, "-Y", bad) == [] and rows(air, "-Y", bad) == []
    wired = rows(wire, "-Y", "eth.type == 0x88c7", "-T", "fields", "-e", "eth.src", "-e",
                 "eap.code")
    assert len(wired) == len(sc.wired_frames()) and wired[-1].split("\t") == [AP2, "3"]
    keys = ["-o", "wlan.enable_decryption:TRUE", "-o", f'uat:80211_keys:"wpa-psk","{pmk}"']
    decrypted = rows(air, *keys, "-Y", f"eapol && (wlan.da == {AP2} || wlan.sa == {AP2})",
                     "-T", "fields", "-e", "wlan.bssid", "-e", "eap.code")
    assert len(decrypted) == len(wired)
    assert {r.split("\t")[0] for r in decrypted} == {AP1} and decrypted[-1].endswith("\t3")
