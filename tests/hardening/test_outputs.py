"""Inputs are sacred: no output ever lands on an input, and no half-written file ever shows
under an output's real name (analyzer.capture.atomic)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analyzer.capture.atomic import Staged, atomic_file
from analyzer.simulate.library import simulate

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "pcaps" / "eap-pmksa-roam.pcapng"


def cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analyzer", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, **kw)


@pytest.fixture
def capture(tmp_path: Path) -> Path:
    path = tmp_path / "a.pcapng"
    shutil.copyfile(SHIPPED, path)
    (tmp_path / "sym.pcapng").symlink_to(path)
    os.link(path, tmp_path / "hard.pcapng")
    return path


def _writers(cap: Path) -> list[list[str]]:
    """Every command line that writes, its output aimed at `cap` (or a name of it)."""
    d = cap.parent
    other = str(d / "sym.pcapng")
    return [
        ["merge", str(cap), "-o", str(cap)],
        ["merge", other, str(cap), "-o", str(d / "hard.pcapng")],
        ["report", str(cap), "-o", str(d / "sym.pcapng")],
        ["report", other, "-o", str(cap)],
        ["analyze", str(cap), "--out", str(cap)],
        ["analyze", str(d / "roams.csv"), "--out", str(d)],
        ["analyze", str(cap), "--charts", str(cap)],
        ["analyze", str(cap), "--keys", str(d / "findings.csv"), "--out", str(d)],
        ["report", str(cap), "--expect", str(d / "x.toml"), "-o", str(d / "x.toml")],
        ["live", "-r", str(cap), "--write", str(d / "hard.pcapng")],
    ]


def test_an_output_that_is_an_input_or_a_link_to_one_is_refused_before_any_work(
    capture: Path,
) -> None:
    """Same name, symbolic link or hard link: one line on stderr, exit 2, the input intact."""
    shutil.copyfile(capture, capture.parent / "roams.csv")
    (capture.parent / "findings.csv").write_text("wpa-pwd:secret\n")
    (capture.parent / "x.toml").write_text("[defaults]\n")
    before = {p.name: p.read_bytes() for p in capture.parent.iterdir() if p.is_file()}
    for argv in _writers(capture):
        done = cli(*argv)
        assert done.returncode == 2, (argv, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, (argv, done.stderr)
        assert "input" in done.stderr and "Traceback" not in done.stderr
    after = {p.name: p.read_bytes() for p in capture.parent.iterdir() if p.is_file()}
    assert after == before  # nothing written, nothing left behind


def test_an_output_in_a_missing_directory_or_on_a_directory_is_a_user_error(
    capture: Path,
) -> None:
    done = cli("report", str(capture), "-o", str(capture.parent / "nowhere" / "r.html"))
    assert done.returncode == 2 and "does not exist" in done.stderr
    assert len(done.stderr.splitlines()) == 1
    done = cli("merge", str(capture), "-o", str(capture.parent))
    assert done.returncode == 2 and "is a directory" in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(target, "w") as f:
        f.write("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_directory_of_tables_appears_all_at_once_with_its_marker_last(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Staged(out) as staged:
        for name in ("roams.csv", "frames.csv"):
            Path(staged.path(name)).write_text(name)
        assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == []
    assert sorted(p.name for p in out.iterdir()) == ["_SUCCESS", "frames.csv", "roams.csv"]
    with pytest.raises(RuntimeError), Staged(out) as staged:
        Path(staged.path("roams.csv")).write_text("new")
        raise RuntimeError("interrupted")
    assert (out / "roams.csv").read_text() == "roams.csv"  # the old table stays
    assert sorted(p.name for p in out.iterdir()) == ["_SUCCESS", "frames.csv", "roams.csv"]


def test_analyze_out_writes_its_tables_and_a_completion_marker(capture: Path) -> None:
    out = capture.parent / "tables"
    done = cli("analyze", str(capture), "--out", str(out), "--format", "json")
    assert done.returncode == 0, done.stderr
    names = {p.name for p in out.iterdir()}
    assert {"roams.csv", "findings.csv", "frames.csv", "_SUCCESS"} <= names
    assert not [n for n in names if n.startswith(".")]
    assert set((out / "_SUCCESS").read_text().split()) == names - {"_SUCCESS"}


def test_merge_stopped_by_sigterm_leaves_no_file_under_the_real_name(tmp_path: Path) -> None:
    """The merged pcapng is written under a hidden temporary name: SIGTERM in the middle removes
    it; the old output stays as it was."""
    big = tmp_path / "big.pcapng"
    simulate("bench-mix", big, fmt="pcapng", frames=200_000)
    target = tmp_path / "merged.pcapng"
    target.write_bytes(b"old")
    proc = subprocess.Popen([sys.executable, "-m", "analyzer", "merge", str(big), str(big),
                             "-o", str(target)], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        while proc.poll() is None and not list(tmp_path.glob(".merged.pcapng.*.tmp")):
            time.sleep(0.01)
        assert proc.poll() is None, "the merge ended before it was stopped: use more frames"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.pcapng", "merged.pcapng"]
