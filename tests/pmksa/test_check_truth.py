"""`check` counts every attempt once (as expected, not judged and why, broke the expectations),
`--strict` fails on what it could not judge, `--format json` is for CI; `max_roam_ms` from
`--expect` decides SLOW_ROAM in `analyze` and `report` as it decides `check`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analyzer import api
from analyzer.cli import main
from tests.pmksa.scenarios import original


def _capture(tmp_path: Path, back: dict[str, Any] | None = None) -> str:
    path = tmp_path / "roams.pcap"
    original(back).write(path)
    return str(path)


def test_check_says_how_many_attempts_it_could_not_judge_and_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _capture(tmp_path, {"drop": ["reassoc_req"]})
    assert main(["check", path]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("not judged: 1 attempt: ") for line in lines)
    assert lines[-2].startswith("3 attempts: 2 judged as expected")
    assert "1 could not be judged, 0 broke the expectations; 0 attempts failed" in lines[-2]
    assert lines[-1].startswith("OK: 3 attempts, none breaks the expectations, but 1 could not")
    assert "all as expected" not in "\n".join(lines)


def test_check_strict_fails_on_an_attempt_it_could_not_judge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _capture(tmp_path, {"drop": ["reassoc_req"]})
    assert main(["check", "--strict", path]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "FAIL (--strict): 1 of 3 could not be judged")


def test_check_strict_passes_when_every_attempt_is_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--strict", _capture(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(
        "OK: 3 attempts, all judged as expected")


def test_check_json_counts_every_attempt_once_for_ci(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _capture(tmp_path, {"ap_miss": True})
    assert main(["check", "--format", "json", path]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is False and result["attempts"] == 3
    assert result["judged_as_expected"] + result["not_judged"] + result[
        "broke_expectations"] == 3
    assert result["broke_expectations"] == 1 and result["failed"] == 0
    (violation,) = result["violations"]
    assert violation["what"] == "pmksa" and violation["message"].startswith("ap_miss")


def _slow(document_findings: list[dict[str, Any]]) -> list[str]:
    return [f["message"] for f in document_findings if f["code"] == "SLOW_ROAM"]


def test_max_roam_ms_from_expect_drives_slow_roam_in_analyze_as_in_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _capture(tmp_path)
    toml = tmp_path / "lab.toml"
    toml.write_text("[defaults.sta]\nmax_roam_ms = 1000\n")
    assert main(["analyze", path, "--format", "json", "--expect", str(toml)]) == 0
    assert _slow(json.loads(capsys.readouterr().out)["findings"]) == []  # 150 ms default gone
    toml.write_text("[defaults.sta]\nmax_roam_ms = 1\n")
    assert main(["check", path, "--format", "json", "--expect", str(toml)]) == 1
    checked = {v["roam"] for v in json.loads(capsys.readouterr().out)["violations"]
               if v["what"] == "latency"}
    assert main(["analyze", path, "--format", "json", "--expect", str(toml)]) == 0
    slow = _slow(json.loads(capsys.readouterr().out)["findings"])
    assert len(slow) == len(checked) == 3
    assert all("max_roam_ms 1" in m for m in slow)


def test_without_expectations_slow_roam_keeps_the_default_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", _capture(tmp_path), "--format", "json"]) == 0
    assert all("threshold 150 ms" in m
               for m in _slow(json.loads(capsys.readouterr().out)["findings"]))


def test_max_roam_ms_drives_slow_roam_in_the_report_and_notebook(tmp_path: Path) -> None:
    path = _capture(tmp_path)
    toml = tmp_path / "lab.toml"
    toml.write_text("[defaults.sta]\nmax_roam_ms = 1\n")
    findings = api.load(path, expect=[str(toml)]).findings
    assert (findings["code"] == "SLOW_ROAM").sum() == 3
    out = tmp_path / "r.html"
    assert main(["report", path, "-o", str(out), "--expect", str(toml)]) == 0
    assert out.read_text().count("max_roam_ms 1") >= 3


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_max_roam_ms_drives_slow_roam_in_directory_runs_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], jobs: str
) -> None:
    """A directory of captures (one worker per file) judges SLOW_ROAM by `max_roam_ms` as
    `analyze FILE` does."""
    captures = tmp_path / "captures"
    captures.mkdir()
    for n in range(2):
        (tmp_path / f"c{n}").mkdir()
        Path(_capture(tmp_path / f"c{n}")).rename(captures / f"c{n}.pcap")
    toml = tmp_path / "lab.toml"
    toml.write_text("[defaults.sta]\nmax_roam_ms = 1\n")
    argv = ["analyze", str(captures), "--format", "json", "--expect", str(toml), "--jobs", jobs]
    assert main(argv) == 0
    slow = _slow(json.loads(capsys.readouterr().out)["findings"])
    assert len(slow) == 6 and all("max_roam_ms 1" in m for m in slow)
