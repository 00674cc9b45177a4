"""`live -i` on a real interface: a radiotap TAP device in a private network namespace, fed
by a replayer with the capture's own pacing (see tests/live/tap.py and ns_run.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.capture.live import bpf_program
from analyzer.simulate.library import eap_pmksa_roam, ft_roam, psk_roam, simulate
from tests.live.bpf import run_bpf
from tests.live.tap import why_not

REASON = why_not()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"live TAP tests: {REASON}")
ROOT = Path(__file__).resolve().parents[2]
SAME = ("sta", "from_bssid", "to_bssid", "ssid", "channel_from", "channel_to", "kind", "method",
        "akm", "eap_method", "outcome", "failure_reason", "pmkids_offered", "pmkid_m1")


def in_namespace(capture: Path, args: list[str], stop: str = "sigint", **more: float) -> dict:
    config = json.dumps({"capture": str(capture), "args": args, "stop": stop, **more})
    done = subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "tests.live.ns_run", config],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def lines(stdout: str, kind: str) -> list[dict]:
    return [d for d in map(json.loads, stdout.splitlines()) if d["type"] == kind]


def analyze(capture: Path) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "analyzer", "analyze", "--format", "jsonl",
                           "--quiet", str(capture)], capture_output=True, text=True, check=True)
    return lines(done.stdout, "roam")


JITTER_S = 0.25  # how far the replayer's pacing may drift under load between two frames


def _pmksa_but_age(roam: dict) -> dict | None:
    pmksa = roam["pmksa"]
    return pmksa and {k: v for k, v in pmksa.items() if k != "pmksa_age_s"}


def project(roams: list[dict], *extra: str) -> list[dict]:
    return [{k: r[k] for k in SAME + extra} for r in roams]


@pytest.mark.parametrize("make", [psk_roam, eap_pmksa_roam, ft_roam])
def test_live_interface_reports_the_same_roams_as_analyze(make, tmp_path: Path) -> None:
    """With data-frame headers (and ACKs) captured, `live -i` finds every roam `analyze` finds
    in the same capture file, with the same stations, APs, method, outcome and PMKSA evidence,
    and measures ack_to_ack on the roams."""
    capture = tmp_path / "scenario.pcapng"
    make().write(capture)
    run = in_namespace(capture, ["--data-latency"])
    assert run["rc"] == 0, run["stderr"]
    live = lines(run["stdout"], "roam")
    offline = analyze(capture)
    assert live and project(live) == project(offline)
    # live times are the kernel's arrival times of the replayed frames: the PMKSA's age
    # (creation to use, seconds apart) may differ by the replay's jitter, nothing else may
    assert [_pmksa_but_age(r) for r in live] == [_pmksa_but_age(r) for r in offline]
    for got, want in zip(live, offline, strict=True):
        if want["pmksa"] and want["pmksa"]["pmksa_age_s"] is not None:
            assert got["pmksa"]["pmksa_age_s"] == pytest.approx(want["pmksa"]["pmksa_age_s"],
                                                                abs=JITTER_S)
    assert all(r["latency_ms"]["ack_to_ack"] is not None for r in live if r["kind"] == "roam")
    summary = lines(run["stdout"], "summary")[0]["live"]
    assert summary["frames_received"] > 0 and summary["kernel_drops"] == 0
    assert summary["stopped_by"] == "SIGINT"


def test_without_data_latency_roams_complete_at_the_handshake(tmp_path: Path) -> None:
    """The default filter passes no data frames: the same roams, closed at their handshake
    (no first-data phase), and the data frames never reach user space."""
    capture = tmp_path / "psk.pcapng"
    psk_roam().write(capture)
    run = in_namespace(capture, [])
    live = lines(run["stdout"], "roam")
    assert project(live) == project(analyze(capture))
    assert all(r["latency_ms"]["data_gap"] is None for r in live)
    counts = lines(run["stdout"], "summary")[0]
    with open_capture(capture) as cap:
        total = sum(1 for _ in cap)
    assert counts["live"]["frames_received"] < total


def test_sigint_leaves_a_valid_pcapng_with_every_frame_received(tmp_path: Path) -> None:
    """Stopped by SIGINT, the pcapng is complete: our reader and tshark read as many frames
    as the run reports received."""
    capture, written = tmp_path / "eap.pcapng", tmp_path / "live.pcapng"
    eap_pmksa_roam().write(capture)
    run = in_namespace(capture, ["--data-latency", "--write", str(written)])
    received = lines(run["stdout"], "summary")[0]["live"]["frames_received"]
    with open_capture(written) as cap:
        records = list(cap)
        assert not cap.info.truncated
    assert len(records) == received == run["sent"] - _control_but_ack(capture)
    tshark = _tshark_count(written)
    if tshark is not None:
        assert tshark == received


def test_interface_gone_stops_with_exit_4_and_a_closed_pcapng(tmp_path: Path) -> None:
    """Deleting the interface ends the run: exit code 4, roams flushed, summary written,
    the pcapng readable to its last frame."""
    capture, written = tmp_path / "psk.pcapng", tmp_path / "live.pcapng"
    psk_roam().write(capture)
    run = in_namespace(capture, ["--write", str(written)], stop="gone")
    assert run["rc"] == 4, run["stderr"]
    assert "stopped by interface gone" in run["stderr"]
    assert len(lines(run["stdout"], "roam")) == 2
    with open_capture(written) as cap:
        assert sum(1 for _ in cap) == lines(run["stdout"], "summary")[0]["live"]["written"]


def test_an_attempt_in_progress_at_sigterm_is_reported_incomplete(tmp_path: Path) -> None:
    """A capture that stops mid-handshake: SIGTERM reports the open attempt as incomplete."""
    full, cut = tmp_path / "psk.pcapng", tmp_path / "cut.pcapng"
    psk_roam().write(full)
    from analyzer.capture.writer import write_capture

    with open_capture(full) as cap:
        records = list(cap)
    last_m2 = max(i for i, r in enumerate(records) if b"\x88\x8e" in r.data[:80]) - 1
    write_capture(cut, [(r.ts_ns, r.data) for r in records[:last_m2]], fmt="pcapng")
    run = in_namespace(cut, [], stop="sigterm")
    assert run["rc"] == 0
    outcomes = [r["outcome"] for r in lines(run["stdout"], "roam")]
    assert outcomes[-1] == "incomplete", outcomes


def _control_but_ack(capture: Path) -> int:
    """Frames the filter drops even with --data-latency: control frames other than ACK and
    Block Ack."""
    with open_capture(capture) as cap:
        fc0 = [r.data[r.data[2] | r.data[3] << 8] for r in cap]
    return sum(1 for b in fc0 if b & 0x0C == 0x04 and b not in (0xD4, 0x94))


def _tshark_count(path: Path) -> int | None:
    try:
        done = subprocess.run(["tshark", "-r", str(path), "-T", "fields", "-e", "frame.number"],
                              capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        return None
    assert done.returncode == 0, done.stderr
    return len(done.stdout.split())


def test_count_stops_after_exactly_that_many_records_of_a_fast_mix(tmp_path: Path) -> None:
    """Thousands of frames a second, data cut to their headers: `--count N` stops after the
    first N records the filter passes, every one written as received, none dropped (read in
    batches by the compiled core when it is built)."""
    capture, written = tmp_path / "mix.pcap", tmp_path / "live.pcapng"
    simulate("bench-mix", capture, fmt="pcap", frames=20_000)
    program = bpf_program(True)
    with open_capture(capture) as cap:
        passed = [r.data[:snap] for r in cap if (snap := run_bpf(program, r.data))]
    count = len(passed) - 500
    run = in_namespace(capture, ["--data-latency", "--count", str(count), "--write",
                                 str(written)], stop="none", speed=40.0)
    assert run["rc"] == 0, run["stderr"]
    summary = lines(run["stdout"], "summary")[0]["live"]
    assert summary["stopped_by"] == "count" and summary["kernel_drops"] == 0
    assert summary["frames_received"] == summary["written"] == count
    with open_capture(written) as cap:
        assert [r.data for r in cap] == passed[:count]
