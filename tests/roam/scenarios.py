"""Shared by the end-to-end behaviour tests: write a builder scenario as a user's capture,
analyze it through the pipeline, and read the document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analyzer.report.jsonout import analysis_document
from analyzer.run.dispatch import run
from analyzer.simulate.scenario import Scenario

AP1, AP2 = "00:11:22:33:44:01", "00:11:22:33:44:02"
STA = "02:00:00:00:00:01"
PASS = "correct horse"


def analyze(sc: Scenario, tmp_path: Path, name: str = "scenario.pcapng") -> dict[str, Any]:
    path = tmp_path / name
    sc.write(path, "pcapng")
    return analysis_document(run([str(path)]))


def codes(doc: dict[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"]]


def found(doc: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["code"] == code]


def one_ap(seed: int, **ap: Any) -> Scenario:
    """A PSK AP on channel 36 with three beacons, and station "c"."""
    sc = Scenario(seed=seed)
    sc.ap("ap1", AP1, "lab", 36, akm="psk", passphrase=PASS, **ap)
    sc.sta("c", STA)
    return sc.beacons("ap1", 3)
