"""Attacks and anomalies on the air (issue 19), each emitted by the scenario builder and
run end to end; each finding also has a negative test (no false alarm)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analyzer.simulate.scenario import Scenario
from tests.roam import scenarios
from tests.roam.scenarios import AP1, AP2, PASS, STA, analyze, found


def one_ap(**ap: Any) -> Scenario:
    return scenarios.one_ap(19, **ap)


# --- invalid RSN selections ------------------------------------------------------------------


def test_two_akms_against_a_pmf_required_ap_explain_the_rejection(tmp_path: Path) -> None:
    sc = one_ap(pmf="required")
    sc.connect("c", "ap1", offer_akms=[2, 6], sta_rsn_caps=0, status=43)
    doc = analyze(sc, tmp_path)
    (bad,) = found(doc, "INVALID_RSNE_SELECTION")
    assert bad["severity"] == "error"
    assert "2 AKMs selected" in bad["message"] and "MFPR 1" in bad["message"]
    (rejected,) = found(doc, "ASSOC_REJECTED")
    assert "invalid RSNE selection (INVALID_RSNE_SELECTION)" in rejected["message"]


def test_a_valid_selection_raises_nothing(tmp_path: Path) -> None:
    sc = one_ap(pmf="required")
    sc.connect("c", "ap1").data("c", 2)
    doc = analyze(sc, tmp_path)
    assert not found(doc, "INVALID_RSNE_SELECTION")
    assert doc["roams"][0]["outcome"] == "success"


# --- aggregation ------------------------------------------------------------------------------


def test_a_finding_repeated_for_one_station_and_cause_is_one_with_a_count(
    tmp_path: Path,
) -> None:
    sc = one_ap(pmf="required")
    for _ in range(5):
        sc.connect("c", "ap1", sta_rsn_caps=0, status=31).wait(200)
    doc = analyze(sc, tmp_path)
    (rejected,) = found(doc, "ASSOC_REJECTED")
    assert rejected["count"] == 5 and len(rejected["frames"]) == 5
    assert rejected["message"].startswith("5× (Re)Association rejected: status 31")
    assert rejected["frame"] == rejected["frames"][0]
    assert len(doc["roams"]) == 5


def test_a_single_finding_lists_its_frame(tmp_path: Path) -> None:
    sc = one_ap(pmf="required")
    sc.connect("c", "ap1", sta_rsn_caps=0, status=31)
    (rejected,) = found(analyze(sc, tmp_path), "ASSOC_REJECTED")
    assert rejected["count"] == 1 and rejected["frames"] == [rejected["frame"]]


# --- deauthentication floods ---------------------------------------------------------------


def test_forged_deauth_flood_is_one_finding_with_its_signs(tmp_path: Path) -> None:
    sc = one_ap(pmf="capable")
    sc.connect("c", "ap1").data("c", 2).wait(100)
    sc.deauth_flood("c", "ap1", count=60, interval_ms=4, reason=7).wait(3000)
    sc.connect("c", "ap1").data("c", 2)
    doc = analyze(sc, tmp_path)
    floods = found(doc, "DEAUTH_FLOOD")
    assert len(floods) == 2  # one burst per direction, each with its count and frames
    ap_side = next(f for f in floods if "claimed by the AP" in f["message"])
    assert ap_side["severity"] == "error" and ap_side["message"].startswith("30 Deauth")
    assert "share one sequence counter" in ap_side["message"]
    assert "unprotected on a PMF association" in ap_side["message"]
    sta_side = next(f for f in floods if "claimed by the station" in f["message"])
    assert "reason 7 claimed by the station" in sta_side["message"]
    assert len([f for f in doc["findings"] if f["code"] == "REPLAYED_FRAME"]) <= 1


def test_a_flood_names_the_attempt_it_triggered(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 2).wait(100)
    sc.deauth_flood("c", "ap1", count=20, interval_ms=4, reason=7, both_ways=False)
    sc.wait(200).connect("c", "ap1").data("c", 2)
    doc = analyze(sc, tmp_path)
    (flood,) = found(doc, "DEAUTH_FLOOD")
    again = doc["roams"][1]
    assert again["trigger"]["type"] == "deauth"
    assert f"attempts starting at frames {again['frames'][0]}" in flood["message"]
    assert flood["severity"] == "warning"  # a flood, no sign of forgery: the AP could mean it


def test_a_few_deauths_are_no_flood(tmp_path: Path) -> None:
    sc = one_ap(pmf="capable")
    sc.connect("c", "ap1").data("c", 2).deauth("c", reason=3).wait(2000)
    sc.connect("c", "ap1").data("c", 2)
    assert not found(analyze(sc, tmp_path), "DEAUTH_FLOOD")


# --- 4-way handshake anomalies ----------------------------------------------------------------


def test_m1_injected_after_m3_is_a_handshake_restart_injected(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1", m1_after_m3=True).data("c", 2)
    doc = analyze(sc, tmp_path)
    (injected,) = found(doc, "HANDSHAKE_RESTART_INJECTED")
    assert injected["severity"] == "warning" and "ANonce" in injected["message"]
    assert not found(doc, "M3_RETRANSMITTED")
    assert [r["outcome"] for r in doc["roams"]] == ["success"]


def test_m3_resent_too_soon_is_replayed_not_m4_lost(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1", m3_replay=True).data("c", 2)
    doc = analyze(sc, tmp_path)
    (replayed,) = found(doc, "M3_REPLAYED")
    assert "not M4 lost" in replayed["message"]
    assert not found(doc, "M3_RETRANSMITTED")


def test_no_injection_alarm_on_a_lost_m4(tmp_path: Path) -> None:
    """(An M3 resent after a real timeout stays M3_RETRANSMITTED: wpa1-gtk-rekey golden.)"""
    sc = one_ap()
    sc.connect("c", "ap1", drop=["m4"]).wait(1000)
    doc = analyze(sc, tmp_path)
    assert not found(doc, "M3_REPLAYED") and not found(doc, "HANDSHAKE_RESTART_INJECTED")


# --- FT reassociation replay ------------------------------------------------------------------


def _ft_roam() -> Scenario:
    sc = Scenario(seed=31)
    for name, bssid, ch in (("ap1", AP1, 36), ("ap2", AP2, 40)):
        sc.ap(name, bssid, "lab", ch, akm="ft-psk", passphrase=PASS, mdid=0x4242)
    sc.sta("c", STA)
    sc.beacons("ap1", 2).beacons("ap2", 2).connect("c", "ap1").data("c", 2)
    return sc.roam("c", "ap2", method="ft_over_air").data("c", 2)


def test_ft_reassociation_replayed_and_answered_is_one_roam_and_findings(
    tmp_path: Path,
) -> None:
    sc = _ft_roam().replay("c", "ap2", ["reassoc_req", "reassoc_resp"], times=4).data("c", 2)
    doc = analyze(sc, tmp_path)
    assert [(r["kind"], r["method"]) for r in doc["roams"]] == [("initial", "psk"),
                                                                ("roam", "ft_over_air")]
    (replayed,) = found(doc, "FT_REASSOC_REPLAYED")
    assert replayed["count"] == 4 and len(replayed["frames"]) == 4
    assert "the AP answered it (status 0)" in replayed["message"]
    assert replayed["severity"] == "warning"
    assert doc["roams"][1]["latency_ms"]["assoc"] < 10  # not stretched to the replays


def test_ft_reassociation_replay_without_answer_is_still_found(tmp_path: Path) -> None:
    sc = _ft_roam().replay("c", "ap2", ["reassoc_req"], times=2)
    (replayed,) = found(analyze(sc, tmp_path), "FT_REASSOC_REPLAYED")
    assert replayed["count"] == 2 and "no answer captured" in replayed["message"]


def test_an_ft_roam_back_is_no_replay(tmp_path: Path) -> None:
    sc = _ft_roam().roam("c", "ap1", method="ft_over_air").data("c", 2)
    doc = analyze(sc, tmp_path)
    assert not found(doc, "FT_REASSOC_REPLAYED") and len(doc["roams"]) == 3


# --- key message replays after the handshake --------------------------------------------------


def test_m3_replayed_after_the_handshake_completed(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 2).replay("c", "ap1", ["m3"], times=2).data("c", 2)
    doc = analyze(sc, tmp_path)
    (replayed,) = found(doc, "M3_REPLAYED")
    assert replayed["count"] == 2 and "CVE-2017-13077" in replayed["message"]
    assert len(doc["roams"]) == 1 and not found(doc, "PTK_REKEY")


def test_group_key_message_replayed_is_found(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 2).wait(500).group_rekey("c", clear=True).data("c", 2)
    sc.replay("c", "ap1", ["g1"]).data("c", 2)
    doc = analyze(sc, tmp_path)
    (replayed,) = found(doc, "GROUP_KEY_REPLAYED")
    assert "CVE-2017-13080" in replayed["message"]
    assert len(found(doc, "GROUP_KEY_HANDSHAKE")) == 1


def test_rekeys_with_new_counters_are_no_replay(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 2).ptk_rekey("c", clear=True).data("c", 2)
    sc.group_rekey("c", clear=True).ptk_rekey("c", clear=True).data("c", 2)
    doc = analyze(sc, tmp_path)
    assert not found(doc, "M3_REPLAYED") and not found(doc, "GROUP_KEY_REPLAYED")
    assert len(found(doc, "PTK_REKEY")) == 2  # each rekey its own finding (its own frames)


# --- key reinstallation (packet numbers, no key) -----------------------------------------------


def test_m3_replay_then_the_station_pn_restarts_is_key_reinstallation(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 6).replay("c", "ap1", ["m3"], reinstall="sta")
    sc.data("c", 4)
    doc = analyze(sc, tmp_path)
    (reinstalled,) = found(doc, "KEY_REINSTALLATION")
    assert reinstalled["severity"] == "error" and "station's packet numbers" in reinstalled[
        "message"] and "CVE-2017-13077" in reinstalled["message"]


def test_ft_replay_then_the_ap_pn_restarts_is_key_reinstallation(tmp_path: Path) -> None:
    sc = _ft_roam().data("c", 4)
    sc.replay("c", "ap2", ["reassoc_req", "reassoc_resp"], reinstall="ap").data("c", 4)
    (reinstalled,) = found(analyze(sc, tmp_path), "KEY_REINSTALLATION")
    assert "AP's packet numbers" in reinstalled["message"]


def test_a_replay_the_victim_resists_is_no_reinstallation(tmp_path: Path) -> None:
    sc = one_ap()
    sc.connect("c", "ap1").data("c", 6).replay("c", "ap1", ["m3"]).data("c", 4)
    doc = analyze(sc, tmp_path)
    assert found(doc, "M3_REPLAYED") and not found(doc, "KEY_REINSTALLATION")
