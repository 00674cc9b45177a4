"""`live` streams each roam out and keeps none: memory follows the state, not the roams."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest

from analyzer.cli import main
from analyzer.report.summary import summarize
from analyzer.roam import tally
from analyzer.roam.records import Finding, Roam
from analyzer.roam.tally import RoamTally
from analyzer.run.dispatch import run
from analyzer.run.live import LiveOptions, run_live
from analyzer.simulate import Scenario

AP1, AP2, STA = "00:1f:f3:c0:89:0f", "00:1f:f3:c0:89:1f", "02:00:00:00:00:01"
SAMPLE_EVERY = 500


def _ping_pong(path: Path, roams: int) -> None:
    """One station roaming between two PSK APs `roams` times."""
    sc = Scenario(seed=1)
    sc.ap("a", AP1, "lab", 36, akm="psk", passphrase="correct horse")
    sc.ap("b", AP2, "lab", 44, akm="psk", passphrase="correct horse")
    sc.sta("c", STA)
    sc.connect("c", "a")
    for k in range(roams):
        sc.roam("c", "b" if k % 2 == 0 else "a")
    sc.write(path)


def _roams_alive() -> int:
    return sum(1 for o in gc.get_objects() if type(o) is Roam)


class _Probe:
    """An output that forgets each roam, and counts the Roam objects still alive."""

    def __init__(self) -> None:
        self.roams = 0
        self.alive: list[int] = []

    def result(self, item: Roam | Finding) -> None:
        if isinstance(item, Roam):
            self.roams += 1
            if self.roams % SAMPLE_EVERY == 0:
                self.alive.append(_roams_alive())

    def warning(self, text: str) -> None:
        return None

    def status(self, live: Any) -> None:
        return None


def test_live_keeps_no_roam_however_many_attempts_stream_through(tmp_path: Path) -> None:
    capture = tmp_path / "many.pcap"
    _ping_pong(capture, 6000)
    gc.collect()
    before = _roams_alive()
    probe = _Probe()
    analysis, stats = run_live(LiveOptions(streams=[str(capture)]), probe)
    assert stats.stopped_by == "end of stream" and probe.roams == 6001
    assert len(probe.alive) == 12
    assert max(probe.alive) - before <= 2  # the one being handed out, at most one more
    assert analysis.roams == [] and analysis.tally is not None
    summary = analysis.tally.summary()
    assert (summary["attempts"], summary["roams"], summary["success"]) == (6001, 6000, 6001)
    assert summary["control_plane_ms"]["psk"]["measured"] == 6001


def test_live_summary_is_analyzes_for_a_small_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capture = tmp_path / "few.pcap"
    _ping_pong(capture, 7)
    assert main(["analyze", str(capture), "--format", "jsonl"]) == 0
    analyzed = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert main(["live", "-r", str(capture), "--format", "jsonl"]) == 0
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    summary = lines[-1]
    assert [line["type"] for line in lines].count("roam") == 8
    for key in ("attempts", "roams", "success", "success_rate", "control_plane_ms"):
        assert summary[key] == analyzed[key], key
    assert "8 attempts, 7 roams; channels heard: 36, 44" in err


def test_tally_is_summarize_and_exact_counts_past_the_reservoir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    capture = tmp_path / "some.pcap"
    _ping_pong(capture, 40)
    roams = run([str(capture)]).roams
    assert RoamTally(roams).summary() == summarize(roams)
    monkeypatch.setattr(tally, "RESERVOIR", 16)
    sampled = RoamTally(roams).summary()
    psk = sampled["control_plane_ms"]["psk"]
    assert psk["attempts"] == psk["measured"] == 41 and sampled["attempts"] == 41
    latencies = sorted(r.latency_ms["control_plane"] for r in roams)
    assert latencies[0] <= psk["median"] <= latencies[-1]
