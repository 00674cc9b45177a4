"""`--engine tshark` on the command line: same document, user errors as one line and exit 2,
and nothing of it loaded unless asked for."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from analyzer.cli import main
from tests.conftest import REPO

CAPTURE = str(REPO / "pcaps" / "eap-pmksa-roam.pcapng")


@pytest.mark.tshark
def test_analyze_with_tshark_prints_the_roams_the_default_engine_prints(
    tshark: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", CAPTURE, "--format", "json", "--quiet"]) == 0
    ours = json.loads(capsys.readouterr().out)
    assert main(["analyze", CAPTURE, "--format", "json", "--quiet", "--engine", "tshark"]) == 0
    theirs = json.loads(capsys.readouterr().out)
    assert theirs["roams"] == ours["roams"] and theirs["pmkids"] == ours["pmkids"]
    assert [r["method"] for r in theirs["roams"]] == ["full_8021x", "full_8021x", "pmksa_cache"]


@pytest.mark.tshark
@pytest.mark.parametrize("command", ["check", "frames"])
def test_check_and_frames_accept_the_tshark_engine(
    tshark: str, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, CAPTURE, "--engine", "tshark"]) == 0
    assert capsys.readouterr().out


@pytest.mark.tshark
def test_an_unreadable_capture_is_one_line_and_exit_2(
    tshark: str, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"not a capture at all")
    for path in (str(bad), str(tmp_path / "missing.pcap")):
        assert main(["analyze", path, "--engine", "tshark", "--quiet"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err and path in err


def test_without_tshark_on_path_the_engine_is_a_user_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert main(["analyze", CAPTURE, "--engine", "tshark", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tshark" in err


def test_several_captures_with_tshark_are_a_user_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", CAPTURE, CAPTURE, "--engine", "tshark", "--quiet"]) == 2
    assert "one capture" in capsys.readouterr().err


def test_the_default_engine_never_imports_the_tshark_engine() -> None:
    code = (
        "import sys; from analyzer.cli import main; "
        f"main(['analyze', {CAPTURE!r}, '--format', 'json', '--quiet']); "
        "sys.stderr.write(str(sorted(m for m in sys.modules if m.startswith('analyzer.tshark'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, check=True)  # fmt: skip
    assert done.stderr.strip().endswith("[]")


@pytest.mark.tshark
def test_the_notebook_api_takes_the_engine_too(tshark: str) -> None:
    import analyzer

    ours, theirs = analyzer.load(CAPTURE), analyzer.load(CAPTURE, engine="tshark")
    assert theirs.roams.equals(ours.roams)
    assert theirs.frames.equals(ours.frames)
