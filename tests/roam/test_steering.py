"""802.11k/v: the neighbor report or BTM candidate list a station had, attached to the attempt
that follows (what it probed, what it chose, how long after), BTM_IGNORED and
TARGET_NOT_IN_CANDIDATES; scenario captures written by the builder and read like a user's."""

from __future__ import annotations

from pathlib import Path

from analyzer.run.dispatch import run
from analyzer.run.engine import Analysis
from analyzer.simulate import Scenario

STA = "02:00:00:00:00:01"
AP1, AP2, AP3 = "00:11:22:33:44:01", "00:11:22:33:44:02", "00:11:22:33:44:03"


def three_aps() -> Scenario:
    sc = Scenario(seed=11)
    sc.ap("ap1", AP1, "lab", 36, akm="psk", passphrase="correct horse")
    sc.ap("ap2", AP2, "lab", 100, akm="psk", passphrase="correct horse")
    sc.ap("ap3", AP3, "lab", 149, akm="psk", passphrase="correct horse")
    sc.sta("c", STA)
    sc.beacons("ap1", 3).beacons("ap2", 3).beacons("ap3", 3)
    return sc.connect("c", "ap1").data("c", 4).wait(200)


def analyse(sc: Scenario, tmp_path: Path) -> Analysis:
    path = tmp_path / "steering.pcapng"
    sc.write(path)
    return run([str(path)])


def codes(analysis: Analysis) -> list[str]:
    return [f.code for f in analysis.findings]


def test_neighbor_report_then_probes_on_the_listed_channels_is_attached_to_the_roam(
    tmp_path: Path,
) -> None:
    """The station asked for a neighbor report, probed the listed channels and roamed to a
    listed BSS: the roam says so, with the time from the report to the attempt."""
    sc = three_aps().neighbor_report("c").wait(300)
    sc.probe("c", "ap2").probe("c", "ap3").wait(50).roam("c", "ap3").data("c", 4)
    a = analyse(sc, tmp_path)
    roam = a.roams[-1]
    s = roam.steering
    assert s is not None and s.source == "neighbor_report" and s.offered_by == AP1
    assert s.request_frame is not None and s.request_frame < s.frame
    assert [c.bssid for c in s.candidates] == [AP2, AP3]
    assert [c.channel for c in s.candidates] == [100, 149]
    assert set(s.probed_channels) == {100, 149}
    assert s.probed_candidates == (AP2, AP3)
    assert (s.chosen, s.chosen_listed, s.chosen_rank) == (AP3, True, 2)
    assert 300 < s.age_ms < 1000
    assert roam.to_dict()["steering"]["chosen_rank"] == 2
    assert "BTM_IGNORED" not in codes(a) and "TARGET_NOT_IN_CANDIDATES" not in codes(a)


def test_probes_only_on_one_listed_channel_name_only_that_candidate(tmp_path: Path) -> None:
    sc = three_aps().neighbor_report("c").wait(300)
    sc.probe("c", "ap2").wait(50).roam("c", "ap2").data("c", 4)
    s = analyse(sc, tmp_path).roams[-1].steering
    assert s is not None and s.probed_candidates == (AP2,) and s.probed_channels == (100,)


def test_btm_request_neither_answered_nor_followed_is_btm_ignored(tmp_path: Path) -> None:
    sc = three_aps().btm("ap1", "c", ["ap2"], respond=False).wait(12_000).data("c", 4)
    a = analyse(sc, tmp_path)
    ignored = [f for f in a.findings if f.code == "BTM_IGNORED"]
    assert len(ignored) == 1 and ignored[0].severity == "warning"
    assert (ignored[0].sta, ignored[0].bssid) == (STA, AP1)
    assert "no BTM Response" in ignored[0].message
    assert len(a.roams) == 1


def test_btm_request_the_capture_ends_within_the_window_is_not_judged(tmp_path: Path) -> None:
    """Two seconds of capture after the request cannot show it was ignored."""
    sc = three_aps().btm("ap1", "c", ["ap2"], respond=False).wait(2_000).data("c", 2)
    assert "BTM_IGNORED" not in codes(analyse(sc, tmp_path))


def test_btm_request_answered_and_followed_is_not_ignored(tmp_path: Path) -> None:
    sc = three_aps().btm("ap1", "c", ["ap2", "ap3"]).data("c", 4).wait(12_000).data("c", 2)
    a = analyse(sc, tmp_path)
    assert "BTM_IGNORED" not in codes(a) and "TARGET_NOT_IN_CANDIDATES" not in codes(a)
    s = a.roams[-1].steering
    assert s is not None and s.source == "btm_request" and s.chosen_rank == 1
    assert [c.preference for c in s.candidates] == [255, 254]


def test_btm_request_rejected_is_an_answer_not_ignored(tmp_path: Path) -> None:
    sc = three_aps().btm("ap1", "c", ["ap2"], accept=False, disassoc_imminent=False)
    a = analyse(sc.wait(12_000).data("c", 2), tmp_path)
    assert "BTM_IGNORED" not in codes(a)


def test_roam_after_btm_to_a_bss_off_the_candidate_list(tmp_path: Path) -> None:
    sc = three_aps().btm("ap1", "c", ["ap2"], go_to="ap3").data("c", 4)
    a = analyse(sc, tmp_path)
    roam = a.roams[-1]
    assert roam.to_bssid == AP3 and roam.trigger.target_in_candidates is False
    found = [f for f in a.findings if f.code == "TARGET_NOT_IN_CANDIDATES"]
    assert len(found) == 1 and found[0].roam_id == roam.id and found[0].bssid == AP3
    assert AP2 in found[0].message
    assert roam.steering is not None and roam.steering.chosen_rank is None


def test_an_attempt_without_any_offer_has_no_steering(tmp_path: Path) -> None:
    a = analyse(three_aps().roam("c", "ap2").data("c", 2), tmp_path)
    assert [r.steering for r in a.roams] == [None, None]
    assert a.roams[-1].to_dict()["steering"] is None


def test_offered_vs_chosen_chart_has_a_panel_per_steered_station(tmp_path: Path) -> None:
    from analyzer.report.steering import offered_vs_chosen, steered

    sc = three_aps().neighbor_report("c").wait(300).probe("c", "ap2").wait(50)
    sc.roam("c", "ap2").data("c", 4).btm("ap2", "c", ["ap1"], go_to="ap3").data("c", 4)
    roams = [r.to_dict() for r in analyse(sc, tmp_path).roams]
    assert [r["steering"]["source"] for r in steered(roams)[STA]] == [
        "neighbor_report", "btm_request"]
    fig = offered_vs_chosen(roams)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "not listed"
    fig.savefig(tmp_path / "steering.png")
    empty = offered_vs_chosen([])
    assert "no attempt followed" in empty.axes[0].texts[0].get_text()
