"""One face for every subcommand: --version, JSON output, one-line usage errors, plurals,
frames with relative times and retries marked, logs numbered from 1 with a warning for a file
with nothing recognised, and --help with a line per option, examples and the exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = str(ROOT / "pcaps" / "psk-roam.pcapng")
SEED_LOG = str(ROOT / "docs" / "seed-log.txt")
SUBCOMMANDS = ("analyze", "check", "frames", "simulate", "report", "logs", "live", "merge")


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("roam-analyzer ")


@pytest.mark.parametrize("argv", [
    ["analyze", CAPTURE, "--format", "xml"],
    ["check", CAPTURE, "--format", "yaml"],
    ["frames", CAPTURE, "--format", "csv"],
    ["bogus"],
    ["analyze"],
])
def test_a_usage_error_is_one_line_not_the_usage(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "usage:" not in err and "--help" in err


@pytest.mark.parametrize("argv", [
    ["analyze", CAPTURE, "--format", "json"],
    ["check", CAPTURE, "--format", "json"],
    ["frames", CAPTURE, "--format", "json"],
    ["logs", SEED_LOG, "--format", "json"],
])
def test_every_result_printing_subcommand_prints_json(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    json.loads(capsys.readouterr().out)


def test_report_and_merge_print_json_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", CAPTURE, "-o", str(tmp_path / "r.html"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["attempts"] == 2
    out = str(tmp_path / "m.pcapng")
    assert main(["merge", CAPTURE, CAPTURE, "-o", out, "--format", "json"]) == 0
    merged = json.loads(capsys.readouterr().out)
    assert merged["frames"] > 0 and len(merged["sensors"]) == 2


def test_frames_table_shows_time_since_the_first_frame_and_marks_retries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.pmksa.scenarios import original

    path = tmp_path / "retry.pcap"
    original({"retries": ["reassoc_req"]}).write(path)
    assert main(["frames", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[1] == "+0.000000"
    assert any(line.split()[2] == "R" and "reassoc_req" in line for line in lines)


def test_summary_words_agree_in_number(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.report.test_terminal import render

    document = {"captures": [], "roams": [], "findings": [], "stations": [], "pmkids": [],
                "summary": {"attempts": 1, "roams": 1, "success_rate": 1.0,
                            "control_plane_ms": {}}}
    assert "Summary: 1 attempt, 1 roam, success 100%" in render(document, 100)


def test_logs_numbers_attempts_from_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["logs", SEED_LOG]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("│")]
    assert rows[0].split("│")[1].strip() == "1"


def test_logs_warns_about_a_file_with_no_line_recognised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("hello\nworld\n")
    assert main(["logs", str(junk), SEED_LOG]) == 0
    err = capsys.readouterr().err
    assert f"{junk}: no wpa_supplicant or hostapd line recognised" in err
    assert "seed-log.txt" not in err


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_help_has_a_line_per_option_examples_and_exit_codes(name: str) -> None:
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[name]  # type: ignore[union-attr]
    text = sub.format_help()
    for action in sub._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, (name, action.option_strings)
    assert "examples:" in text and "exit codes:" in text
