"""Output mistakes are one line on stderr and exit 2 before any capture is read; every file
written is confirmed on stderr with its size and what it holds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analyzer import cli
from analyzer.cli import main

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = str(ROOT / "pcaps" / "psk-roam.pcapng")


def _commands(target: str) -> list[list[str]]:
    return [
        ["report", CAPTURE, "-o", target],
        ["merge", CAPTURE, CAPTURE, "-o", target],
        ["simulate", "psk-roam", "-o", target],
        ["live", "-r", "-", "--write", target],
    ]


def _dir_commands(target: str) -> list[list[str]]:
    return [["analyze", CAPTURE, "--out", target], ["analyze", CAPTURE, "--charts", target]]


@pytest.fixture
def no_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any capture is opened: the check comes first."""
    import analyzer.run.dispatch as dispatch
    import analyzer.run.engine as engine

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("a capture was read before the output check")

    monkeypatch.setattr(engine, "open_captures", refuse)
    monkeypatch.setattr(dispatch, "run", refuse)


def _one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert not out and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("roam-analyzer: ") and all(w in err for w in words)


@pytest.mark.usefixtures("no_reading")
def test_file_output_in_a_missing_directory_is_refused_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in _commands(str(tmp_path / "nope" / "x.out")):
        _one_line_exit_2(argv, capsys, "does not exist")


@pytest.mark.usefixtures("no_reading")
def test_directory_given_as_an_output_file_is_refused_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in _commands(str(tmp_path)):
        _one_line_exit_2(argv, capsys, "is a directory")


@pytest.mark.usefixtures("no_reading")
def test_file_given_as_an_output_directory_is_refused_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "file.txt"
    existing.write_text("x")
    for argv in _dir_commands(str(existing)):
        _one_line_exit_2(argv, capsys, "is a file")
    for argv in _dir_commands(str(existing / "sub")):
        _one_line_exit_2(argv, capsys, "is not a directory")


@pytest.mark.usefixtures("no_reading")
def test_file_under_a_file_is_refused_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "file.txt"
    existing.write_text("x")
    for argv in _commands(str(existing / "x.out")):
        _one_line_exit_2(argv, capsys, "is not a directory")


@pytest.mark.usefixtures("no_reading")
def test_output_without_permission_is_refused_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root nothing is denied, so permission is what os.access says (mocked there)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.geteuid() == 0:
        monkeypatch.setattr(cli.os, "access", lambda p, _m: Path(p) != locked)
    for argv in _commands(str(locked / "x.out")) + _dir_commands(str(locked)):
        _one_line_exit_2(argv, capsys, "permission denied")


def test_each_written_file_is_confirmed_with_size_and_contents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "r.html"
    assert main(["report", CAPTURE, "-o", str(report)]) == 0
    err = capsys.readouterr().err
    assert f"wrote {report} (" in err and "kB): HTML report of 2 attempts" in err
    assert main(["analyze", CAPTURE, "--quiet", "--out", str(tmp_path / "t")]) == 0
    err = capsys.readouterr().err
    assert "roams.csv" in err and "2 attempts" in err and "frames.csv" in err
    pcap = tmp_path / "s.pcapng"
    assert main(["simulate", "psk-roam", "-o", str(pcap)]) == 0
    err = capsys.readouterr().err
    assert f"wrote {pcap} ({pcap.stat().st_size / 1000:.1f} kB): pcapng of " in err
