"""A capture whose clock jumps gives one document on every path: the compiled core and the
pure path, `--jobs 2`, and per-station partitions (issue 16, item 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.capture.writer import write_capture
from analyzer.report.jsonout import analysis_document
from analyzer.run.dispatch import run
from tests.conftest import REPO
from tests.core.test_exactness import analyze_json

from .test_bystation import _by_station

HOUR_NS = 3600 * 10**9


def jumped_copy(tmp_path: Path, at_frame: int, delta_ns: int) -> Path:
    """pcaps/psk-roam.pcapng with every frame from `at_frame` on stamped `delta_ns` later."""
    path = tmp_path / f"jump-{at_frame}-{delta_ns}.pcapng"
    with open_capture(str(REPO / "pcaps" / "psk-roam.pcapng")) as capture:
        frames = [(r.ts_ns + (delta_ns if r.index >= at_frame else 0), bytes(r.data))
                  for r in capture]
    write_capture(path, frames, fmt="pcapng")
    return path


@pytest.mark.parametrize("delta_ns", [-30_000_000, 2 * HOUR_NS, -24 * HOUR_NS])
def test_clock_jump_in_the_roam_is_the_same_on_every_path(
    tmp_path: Path, delta_ns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = jumped_copy(tmp_path, 66, delta_ns)  # M2 of the roam (frames 57-73)
    rc, core, _ = analyze_json(path, pure=False)
    doc = json.loads(core)
    (jump,) = [f for f in doc["findings"] if f["code"] == "CLOCK_JUMP"]
    assert jump["frames"] == [65, 66] and jump["severity"] == "warning"
    roam = next(r for r in doc["roams"] if r["kind"] == "roam")
    assert roam["latency_ms"]["control_plane"] is None
    assert roam["outcome"] == ("success" if delta_ns == -30_000_000 else "incomplete")
    assert analyze_json(path, pure=True)[1] == core
    single = analysis_document(run([str(path)]))
    monkeypatch.setattr("analyzer.run.jobs.MIN_SPLIT_BYTES", 0)
    assert analysis_document(run([str(path)], jobs=2)) == single
    assert _by_station(path, 2) == single
