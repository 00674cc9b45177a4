"""The fuzz campaign in miniature (a few seconds), so CI runs the harness on every change.

Long campaigns: `python -m fuzz.campaign` (fuzz/README.md)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer import _core
from fuzz import corpus
from fuzz.campaign import Job, cli_job, files_job, frames_job, replay
from fuzz.mutate import mutate_capture, mutate_frame
from fuzz.targets import LINKTYPES, FrameTarget, run_file

HANG_GUARD_S = 30.0  # per input, in the harness: only a real hang trips it


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return corpus.build(tmp_path_factory.mktemp("corpus"))


def job(kind: str, root: Path, count: int, findings: Path) -> Job:
    return Job(kind, 7, count, str(root), str(findings), slow_s=HANG_GUARD_S, hang_s=HANG_GUARD_S)


def test_corpus_holds_scenario_frames_and_capture_seeds(root: Path) -> None:
    frames = corpus.load_frames(root)
    assert len(frames) > 200 and {lt for lt, _ in frames} >= {127}
    assert len(corpus.load_files(root)) >= 8


def test_smoke_campaign_mutated_frames_raise_nothing(root: Path, tmp_path: Path) -> None:
    stats = frames_job(job("frames", root, 20_000, tmp_path))
    assert stats.inputs == 20_000
    assert (stats.exceptions, stats.hangs, stats.differences, stats.samples) == (0, 0, 0, [])


def test_smoke_campaign_mutated_files_raise_nothing(root: Path, tmp_path: Path) -> None:
    stats = files_job(job("files", root, 200, tmp_path))
    assert stats.inputs == 200
    assert (stats.exceptions, stats.hangs, stats.differences, stats.samples) == (0, 0, 0, [])


@pytest.mark.skipif(not _core.available(), reason="compiled core not built")
def test_smoke_campaign_notices_a_core_difference(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparison is live: a core that misclassified would be counted, not missed."""
    from analyzer._core import _core as compiled

    class Wrong:
        def __getattr__(self, name: str) -> object:
            return getattr(compiled, name)

        @staticmethod
        def peek(linktype: int, data: bytes) -> int:
            return 42

    monkeypatch.setattr(_core, "core", lambda: Wrong())
    stats = frames_job(job("frames", root, 50, tmp_path))
    assert stats.differences == 50 and stats.exceptions == 0


def test_mutator_is_deterministic_for_a_seed(root: Path) -> None:
    frames = [data for _lt, data in corpus.load_frames(root)][:50]
    blob = corpus.load_files(root)[0]
    runs = []
    for _ in range(2):
        rng = random.Random(3)
        runs.append(([mutate_frame(rng, f) for f in frames], mutate_capture(rng, blob, frames)))
    assert runs[0] == runs[1]


def test_replay_runs_a_saved_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "frame-127-1-1.bin"
    saved.write_bytes(bytes.fromhex("00000800000000008000"))
    assert replay(saved) == 0
    assert "no exception" in capsys.readouterr().out


_SEEDS = [data for _ts, data in next(iter(corpus._scenarios())).frames()]  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(_SEEDS),
    cut=st.integers(0, 600),
    tail=st.binary(max_size=64),
    linktype=st.sampled_from(LINKTYPES),
)
def test_any_prefix_of_a_scenario_frame_plus_noise_goes_through_decode_roam_and_report(
    seed: bytes, cut: int, tail: bytes, linktype: int
) -> None:
    target = FrameTarget()
    target(1, 1_000, linktype, seed[:cut] + tail, True)
    target(2, 2_000, 127, seed[:cut] + tail, False)
    target.reset()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=300))
def test_any_bytes_after_a_valid_pcap_header_go_through_the_whole_pipeline(data: bytes) -> None:
    header = bytes.fromhex("d4c3b2a1020004000000000000000000ffff00007f000000")
    run_file(header + data, render_text=True)


def test_smoke_campaign_mutated_captures_through_the_command_line(root: Path,
                                                                  tmp_path: Path) -> None:
    """analyze --jobs 1 and --jobs 2 agree byte for byte, merge and report exit 0, 2 (one
    line) or 3, nothing raises, no input changes (fuzz.targets.run_cli)."""
    stats = cli_job(job("cli", root, 20, tmp_path))
    assert stats.inputs == 20
    assert (stats.exceptions, stats.hangs, stats.samples) == (0, 0, [])
