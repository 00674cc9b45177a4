"""Attacks and anomalies on the air (issue 19), each emitted by the scenario builder and
run end to end; each finding also has a negative test (no false alarm)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analyzer.pipeline import run
from analyzer.report.jsonout import analysis_document
from analyzer.simulate.scenario import Scenario

AP1, AP2 = "00:11:22:33:44:01", "00:11:22:33:44:02"
STA = "02:00:00:00:00:01"
PASS = "correct horse"


def analyze(sc: Scenario, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "attack.pcapng"
    sc.write(path, "pcapng")
    return analysis_document(run([str(path)]))


def found(doc: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["code"] == code]


def one_ap(**ap: Any) -> Scenario:
    sc = Scenario(seed=19)
    sc.ap("ap1", AP1, "lab", 36, akm="psk", passphrase=PASS, **ap)
    sc.sta("c", STA)
    return sc.beacons("ap1", 3)


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
