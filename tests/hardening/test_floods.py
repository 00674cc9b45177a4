"""Memory bounded by state, never by input size, on generated floods (RSS watched at the
process level; bounds on memory, never on time)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.roam.caps import MAX_UNANSWERED
from analyzer.run.engine import MAX_REASONS, OTHER_REASONS
from bench.flood import write_flood, write_malformed
from bench.rss import measure

REPO = Path(__file__).resolve().parents[2]
PEAK = ("import resource, sys\nfrom analyzer.cli import main\ncode = main(sys.argv[1:])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(code)\n")


def peak_mb(*argv: str) -> tuple[float, str]:
    """Peak RSS (MB) of `roam-analyzer ARGV` in a process of its own, and its stdout."""
    done = subprocess.run([sys.executable, "-c", PEAK, *argv], cwd=REPO, capture_output=True,
                          text=True, timeout=1200)
    assert done.returncode in (0, 3), done.stderr
    return int(done.stderr.split()[-1]) / 1024, done.stdout


def _json(argv: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main([*argv, "--format", "json", "--quiet"])
    return out.getvalue()


def test_distinct_malformed_reasons_are_capped_with_a_count_of_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "reasons.pcap"
    write_malformed(path, 20_000)
    one = _json(["analyze", str(path), "--jobs", "1"])
    cap = json.loads(one)["captures"][0]
    reasons = cap["malformed_reasons"]
    assert cap["malformed"] == 20_000 == sum(reasons.values())
    assert len(reasons) == MAX_REASONS + 1 and reasons[OTHER_REASONS] == 20_000 - MAX_REASONS
    monkeypatch.setattr("analyzer.run.jobs.MIN_SPLIT_BYTES", 0)
    assert _json(["analyze", str(path), "--jobs", "2"]) == one  # counted in capture order


def test_memory_does_not_grow_with_distinct_malformed_reasons(tmp_path: Path) -> None:
    """A million distinct reasons cost 190 MB and a 56 MB document before the cap; now the
    peak does not grow with them."""
    small, large = tmp_path / "small.pcap", tmp_path / "large.pcap"
    write_malformed(small, 20_000)
    write_malformed(large, 400_000)
    base, _ = peak_mb("analyze", str(small), "--jobs", "1", "--quiet", "--format", "json")
    flood, out = peak_mb("analyze", str(large), "--jobs", "1", "--quiet", "--format", "json")
    assert len(out) < 20_000
    assert flood - base < 25, (base, flood)


def test_a_live_pipe_faster_than_the_analysis_is_read_ahead_boundedly(tmp_path: Path) -> None:
    """Forged Association Requests piped faster than they are analysed: the read-ahead stays
    bounded, the records beyond it are dropped and counted, every record is accounted for."""
    path = tmp_path / "assoc.pcap"
    write_flood(path, 60_000, 6.0, 1, "assoc")
    done = subprocess.run(  # through a pipe: a live source, not a file read at leisure
        f"cat {path} | {sys.executable} -m analyzer live -r - --format jsonl",
        shell=True, cwd=REPO, capture_output=True, timeout=1200,
    )
    assert done.returncode == 0, done.stderr
    live = json.loads(done.stdout.splitlines()[-1])["live"]
    assert live["dropped_behind"] > 0
    assert live["frames_received"] + live["dropped_behind"] == 60_000
    assert b"fell behind" in done.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux /proc")
def test_jobs_2_memory_stays_near_jobs_1_on_forged_association_requests(tmp_path: Path) -> None:
    """Workers ahead of the parent wait with one finished chunk each (it was all of them:
    1 M forged requests took 1.7 GB for the process tree against 271 MB with --jobs 1)."""
    path = tmp_path / "assoc.pcap"
    write_flood(path, 150_000, 15.0, 1, "assoc")
    argv = [sys.executable, "-m", "analyzer", "analyze", str(path), "--quiet", "--format",
            "json", "--jobs"]
    one, two = measure([*argv, "1"]), measure([*argv, "2"])
    assert one["exit"] == two["exit"] == 0
    assert two["peak_tree_mb"] < one["peak_tree_mb"] + 2 * WORKER_MB, (one, two)


WORKER_MB = 150  # a worker: the interpreter, one 2 MiB range's chunk built and one queued


def test_the_html_report_draws_at_most_max_ladders_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A ladder costs ~0.1 s and ~30 KB: thousands of forged attempts made a 36 MB report in
    minutes. Past MAX_LADDERS the rest are listed (the attempts table) but not drawn."""
    import analyzer
    from analyzer.report import html

    loaded = analyzer.load(str(REPO / "pcaps" / "eap-pmksa-roam.pcapng"))
    assert loaded.to_html().count("ladder of attempt") == 3
    monkeypatch.setattr(html, "MAX_LADDERS", 2)
    page = loaded.to_html()
    assert page.count("ladder of attempt") == 2
    assert "1 of 3 attempts have no ladder here" in page
    assert "<h2>Attempts (3)</h2>" in page


def test_forged_unanswered_attempts_past_the_cap_are_counted_not_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1,500 stations each send one Association Request nobody answers: the first 1,000 are
    attempts, the other 500 one UNANSWERED_ATTEMPTS finding with their frames; the same with
    --jobs 2."""
    path = tmp_path / "assoc.pcap"
    write_flood(path, 1_500, 1.5, 1, "assoc")
    one = _json(["analyze", str(path), "--jobs", "1"])
    doc = json.loads(one)
    assert len(doc["roams"]) == MAX_UNANSWERED
    (folded,) = [f for f in doc["findings"] if f["code"] == "UNANSWERED_ATTEMPTS"]
    assert folded["severity"] == "warning" and folded["message"].startswith("500 more attempts")
    assert len(folded["frames"]) == 500 and folded["frames"][0] == doc["roams"][-1]["frames"][0] + 1
    monkeypatch.setattr("analyzer.run.jobs.MIN_SPLIT_BYTES", 0)
    assert _json(["analyze", str(path), "--jobs", "2"]) == one


def test_memory_and_document_do_not_grow_with_forged_unanswered_attempts(tmp_path: Path) -> None:
    """50,000 unanswered requests made a 159 MB document (446 MB peak); past the cap each
    costs a frame number in one finding and a station total."""
    small, large = tmp_path / "small.pcap", tmp_path / "large.pcap"
    write_flood(small, 5_000, 5.0, 1, "assoc")
    write_flood(large, 50_000, 50.0, 1, "assoc")
    base, _ = peak_mb("analyze", str(small), "--jobs", "1", "--quiet", "--format", "json")
    flood, out = peak_mb("analyze", str(large), "--jobs", "1", "--quiet", "--format", "json")
    doc = json.loads(out)
    assert len(doc["roams"]) == MAX_UNANSWERED
    # what is left grows only up to its caps: station totals and PMKID sightings
    assert len(json.dumps(doc["roams"])) < 3_000_000 and len(out) < 30_000_000
    assert flood - base < 150, (base, flood)
