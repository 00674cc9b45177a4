"""The PMKID the supplicant's log says an attempt offered, against its (Re)Association
Request on the air: another, none, not captured, or (the quiet case) the same."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from analyzer.capture import open_capture
from analyzer.capture.writer import write_capture
from analyzer.cli import main
from analyzer.simulate.library import BSSID_1, BSSID_2

from .test_correlate import PMKID_LINE, story, supplicant_log

OTHER = "0f" * 16
Log = Callable[[dict[str, Any]], list[str]]


def _spaced(pmkid: str) -> str:
    return " ".join(pmkid[i:i + 2] for i in range(0, 32, 2))


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], log: Log, fmt: str = "json",
         drop: Callable[[dict[str, Any]], set[int]] | None = None) -> tuple[Any, dict[str, Any]]:
    capture = tmp_path / "story.pcapng"
    truth = story(capture)
    if drop is not None:
        gone = drop(truth)
        with open_capture(capture) as cap:
            kept = [(r.ts_ns, r.data) for n, r in enumerate(cap, 1) if n not in gone]
        capture = tmp_path / "holed.pcap"
        write_capture(capture, kept)
    path = tmp_path / "wpa.log"
    path.write_text("\n".join(log(truth)) + "\n")
    assert main(["logs", str(path), "--capture", str(capture), "--format", fmt]) == 0
    out = capsys.readouterr().out
    return (json.loads(out) if fmt == "json" else out), truth


def _another(truth: dict[str, Any]) -> list[str]:
    pmkid = truth["connections"][2]["pmkids_offered"][0]
    return [line.replace(_spaced(pmkid), _spaced(OTHER)) if "cache entry found" in line
            else line for line in supplicant_log(truth, True)]


def _offered_to_ap2(truth: dict[str, Any]) -> list[str]:
    """The log names a PMKID before the attempt to AP2, which went through full EAP."""
    lines = supplicant_log(truth, True)
    at = next(n for n, line in enumerate(lines) if f"authenticate with {BSSID_2}" in line)
    stamp = lines[at].split(": ", 1)[0] + ": "
    return [*lines[:at], stamp + PMKID_LINE.format(_spaced(OTHER)), *lines[at:]]


def _checked(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in doc["attempts"] if a["pmkid_on_air"] is not None]


def test_log_pmkid_the_frame_does_not_carry_is_stated_with_the_frame_and_a_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc, truth = _run(tmp_path, capsys, _another)
    attempt, = _checked(doc)
    said = attempt["pmkid_on_air"]
    reassoc = truth["connections"][2]["frames"]["reassoc_req"][0]
    assert attempt["kind"] == "driver_retry" and attempt["pmkid"] == OTHER
    assert said["status"] == "other" and said["frame"] == reassoc
    assert said["carried"] == truth["connections"][2]["pmkids_offered"]
    assert said["message"].startswith(
        f"attempt #{attempt['index'] + 1}: the log says PMKID 0f0f0f0f… was offered to "
        f"{BSSID_1}")
    assert f"the Reassociation Request (frame {reassoc}) carries another: 2d26de1e…" \
        in said["message"]
    finding = next(f for f in doc["findings"] if f["code"] == "PMKID_NOT_AS_LOGGED")
    assert finding["severity"] == "warning" and finding["frame"] == reassoc
    roam = doc["roams"][-1]
    assert finding["roam_id"] == roam["id"]
    assert roam["log"]["attempt"]["pmkid_on_air"] == said


def test_log_pmkid_for_an_attempt_whose_frame_carries_none_says_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc, truth = _run(tmp_path, capsys, _offered_to_ap2)
    attempt, = _checked(doc)
    said = attempt["pmkid_on_air"]
    reassoc = truth["connections"][1]["frames"]["reassoc_req"][0]
    assert attempt["bssid"] == BSSID_2 and attempt["index"] == 1
    assert said["status"] == "none" and said["frame"] == reassoc and said["carried"] == []
    assert said["message"].endswith(f"the Reassociation Request (frame {reassoc}) carries none")
    assert said["message"].startswith("attempt #2: ")


def test_attempt_whose_request_was_not_captured_says_so_without_a_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc, _truth = _run(tmp_path, capsys, _another,
                       drop=lambda t: set(t["connections"][2]["frames"]["reassoc_req"]))
    attempt, = _checked(doc)
    said = attempt["pmkid_on_air"]
    assert said["status"] == "not_captured" and said["frame"] is None
    assert said["message"].endswith("no (Re)Association Request of this attempt was captured")
    assert not any(f["code"] == "PMKID_NOT_AS_LOGGED" for f in doc["findings"])


def test_log_and_frame_that_agree_say_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc, truth = _run(tmp_path, capsys, lambda t: supplicant_log(t, True))
    offered = [a for a in doc["attempts"] if a["pmkid"] is not None and a["on_air"]]
    assert offered and offered[0]["pmkid"] == truth["connections"][2]["pmkids_offered"][0]
    assert _checked(doc) == []
    assert [f["code"] for f in doc["findings"]] == ["AUTH_NOT_TRANSMITTED"]


def test_table_prints_one_plain_line_per_attempt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, truth = _run(tmp_path, capsys, _offered_to_ap2, fmt="table")
    reassoc = truth["connections"][1]["frames"]["reassoc_req"][0]
    line = (f"attempt #2: the log says PMKID 0f0f0f0f… was offered to {BSSID_2}")
    assert out.count(line) == 2  # the plain line, and the finding's message
    assert f"the Reassociation Request (frame {reassoc}) carries none" in out
    assert "PMKID_NOT_AS_LOGGED" in out
