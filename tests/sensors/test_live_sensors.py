"""`live` with several sensors: `-r` streams merged on the reference clock, aligned online
from the frames they share, de-duplicated, with the sensors report at the end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from analyzer.cli import main
from analyzer.roam.sensors import UNALIGNED
from analyzer.run.dispatch import run

from .builder import DRIFT_PPM, SKEW_NS, write_chain, write_sensors

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE_MS = 0.1


def _live(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, Any]], str]:
    rc = main(["live", *args, "--format", "jsonl"])
    out, err = capsys.readouterr()
    return rc, [json.loads(line) for line in out.splitlines()], err


def _of(lines: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in lines if d["type"] == kind]


def _assert_truth_latencies(full: Path, roams: list[dict[str, Any]]) -> None:
    truth = run([str(full)]).roams
    assert [(r["from_bssid"], r["to_bssid"], r["method"]) for r in roams] == [
        (r.from_bssid, r.to_bssid, r.method) for r in truth
    ]
    for want, got in zip(truth, roams, strict=True):
        for key, value in want.latency_ms.items():
            if value is None:
                assert got["latency_ms"][key] is None, (want.id, key)
            else:
                assert got["latency_ms"][key] == pytest.approx(value, abs=TOLERANCE_MS)


class _FileStream:
    """A regular file's stream whose reading thread has got only `available` records so far."""

    paced = True

    def __init__(self, path: Path, available: int) -> None:
        from analyzer.capture import open_capture
        from analyzer.capture.live import InterfaceStats

        with open_capture(str(path)) as capture:
            self.records = list(capture)
            self.info = capture.info
        self.available = available
        self.taken = 0
        self.ended = False
        self.stats = [InterfaceStats(str(path), 127)]

    def take(self) -> Any:
        if self.taken >= len(self.records):
            self.ended = True
            return None
        if self.taken >= self.available:
            return None
        self.taken += 1
        return self.records[self.taken - 1]


def test_a_file_whose_thread_lags_is_waited_for_before_the_clocks_settle(
    tmp_path: Path,
) -> None:
    """Two files, A's thread far ahead of B's (B has given 3 records): the merge waits for B
    rather than settling the clocks on what A holds, so B's clock is estimated from seconds
    of both and the records go on in the single capture's order whatever the threads' timing
    (it settled with B unaligned: PN_REUSE, REPLAYED_FRAME and CLOCK_JUMP findings followed)."""
    from analyzer.run.live_sensors import StreamMerge

    _full, a, b, _sc = write_sensors(tmp_path)
    streams = [_FileStream(a, 10**9), _FileStream(b, 3)]
    merge = StreamMerge(streams, ["a", "b"], {}, threading.Event())
    assert list(merge.poll(0.0)) == []  # nothing goes on while B's records are not read yet
    streams[1].available = 10**9
    out = list(merge.poll(0.0))
    while not merge.ended:
        out.extend(merge.poll(0.0))
    assert [c.status for c in merge.clocks] == ["reference", "aligned"]
    assert merge.warnings == []
    assert len(out) == len(streams[0].records) + len(streams[1].records)
    assert [r.ts_ns for r in out] == sorted(r.ts_ns for r in out)


def test_two_streams_are_aligned_online_and_counted_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`live -r A -r B`, B's clock +2.5 s and 50 ppm fast: the clock is estimated from the
    frames both streams carry while the first records wait, so the roams and their latencies
    are those of the single capture within 100 µs, and every frame counts once."""
    full, a, b, _sc = write_sensors(tmp_path)
    rc, lines, err = _live(capsys, "-r", str(a), "-r", str(b))
    assert rc == 0, err
    _assert_truth_latencies(full, _of(lines, "roam"))
    assert not _of(lines, "finding")
    summary = _of(lines, "summary")[0]
    assert summary["counts"] == dict(run([str(full)]).inventory.counts)
    ref, other = summary["sensors"]["sensors"]
    assert ref["status"] == "reference" and other["status"] == "aligned"
    assert other["offset_s"] == pytest.approx(SKEW_NS / 1e9, abs=1e-6)
    assert other["drift_ppm"] == pytest.approx(DRIFT_PPM, abs=0.01)
    assert other["copies"] + ref["copies"] > 900
    assert summary["live"]["stopped_by"] == "end of stream"
    assert f"sensor {b}: aligned" in err


def test_streams_without_common_frames_warn_and_mark_roams_unaligned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing in common: a warning, offset 0, and each roam spanning both streams gets its
    UNALIGNED_LATENCY finding the moment it completes."""
    _full, a, b, _sc = write_sensors(tmp_path, shared=lambda i, d: False)
    rc, lines, err = _live(capsys, "-r", str(a), "-r", str(b))
    assert rc == 0, err
    assert "no frames in common" in err
    marked = [f for f in _of(lines, "finding") if f["code"] == UNALIGNED]
    summary = _of(lines, "summary")[0]
    sensors = summary["sensors"]
    assert sensors["sensors"][1]["status"] == "unaligned"
    assert sensors["sensors"][1]["offset_s"] == 0.0
    assert marked and len(sensors["unaligned_roams"]) == len(marked)
    for roam_id, finding in zip(sensors["unaligned_roams"], marked, strict=True):
        assert f"attempt {roam_id} spans" in finding["message"]
    assert any("no frames in common" in w for w in summary["captures"][1]["warnings"])


def test_offset_fixes_a_stream_clock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--offset b=2.5` for a stream sharing nothing: no warning, no unaligned attempt."""
    _full, a, b, _sc = write_sensors(tmp_path, shared=lambda i, d: False)
    rc, lines, err = _live(capsys, "-r", str(a), "-r", str(b), "--offset", "b=2.5")
    assert rc == 0, err
    assert not _of(lines, "finding") and "no frames in common" not in err
    assert _of(lines, "summary")[0]["sensors"]["sensors"][1]["status"] == "override"


def test_third_stream_is_aligned_through_the_one_it_shares_frames_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full, paths, _sc = write_chain(tmp_path)
    rc, lines, err = _live(capsys, *(arg for p in paths for arg in ("-r", str(p))))
    assert rc == 0, err
    entries = _of(lines, "summary")[0]["sensors"]["sensors"]
    assert [(e["status"], e["via"]) for e in entries] == [
        ("reference", None), ("aligned", None), ("aligned", str(paths[1])),
    ]
    _assert_truth_latencies(full, _of(lines, "roam"))


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["-r", "A", "-r", "B", "--offset", "B"], "--offset wants SENSOR=SECONDS"),
        (["-r", "A", "-r", "B", "--offset", "B=soon"], "--offset wants SENSOR=SECONDS"),
        (["-r", "A", "--offset", "A=1"], "--offset is for several -r streams"),
        (["-i", "mon0", "-i", "mon1", "--offset", "mon1=1"], "interfaces share the host"),
        (["-r", "A", "-r", "B", "--offset", "C=1"], "'C' matches no capture"),
    ],
)
def test_bad_offset_is_one_line_and_exit_2(
    args: list[str], text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _full, a, b, _sc = write_sensors(tmp_path)
    paths = {"A": str(a), "B": str(b)}
    argv = [paths.get(x, x) for x in args]
    argv = [x.replace("B=", "b=") if x.startswith("B=") else x for x in argv]
    assert main(["live", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and text in err, err


def test_two_fifos_are_merged_as_they_are_written(tmp_path: Path) -> None:
    """Real pipes, written concurrently: the merge waits for both, the roams come out right."""
    full, a, b, _sc = write_sensors(tmp_path)
    fifos = [tmp_path / "a.fifo", tmp_path / "b.fifo"]
    for fifo in fifos:
        os.mkfifo(fifo)
    proc = subprocess.Popen(
        [sys.executable, "-m", "analyzer", "live", "-r", str(fifos[0]), "-r", str(fifos[1]),
         "--format", "jsonl"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)

    def feed(source: Path, fifo: Path) -> None:
        with open(fifo, "wb") as f:
            f.write(source.read_bytes())

    writers = [threading.Thread(target=feed, args=pair, daemon=True)
               for pair in ((a, fifos[0]), (b, fifos[1]))]
    for w in writers:
        w.start()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    _assert_truth_latencies(full, _of(lines, "roam"))


def test_two_interfaces_share_the_host_clock_and_count_each_frame_once(tmp_path: Path) -> None:
    """`live -i mon0 -i mon1` (radiotap TAPs in a private namespace), one per channel, a third
    of the frames heard on both: the roams `analyze` finds in the whole capture, each frame
    counted once, both interfaces on the host's clock."""
    from analyzer.simulate.library import psk_roam
    from tests.live.tap import why_not

    reason = why_not()
    if reason is not None:
        pytest.skip(f"live TAP test: {reason}")
    capture = tmp_path / "psk.pcapng"
    psk_roam().write(capture)
    config = json.dumps({"capture": str(capture), "shared": 3})
    done = subprocess.run(["unshare", "-n", sys.executable, "-m", "tests.sensors.ns_two", config],
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["rc"] == 0, result["stderr"]
    lines = [json.loads(line) for line in result["stdout"].splitlines()]
    truth = run([str(capture)])
    assert [(r["from_bssid"], r["to_bssid"], r["method"], r["outcome"])
            for r in _of(lines, "roam")] == [
        (r.from_bssid, r.to_bssid, r.method, r.outcome) for r in truth.roams
    ]
    summary = _of(lines, "summary")[0]
    assert summary["counts"] == dict(truth.inventory.counts)
    entries = summary["sensors"]["sensors"]
    assert [e["status"] for e in entries] == ["reference", "same_clock"]
    assert sum(e["copies"] for e in entries) > 0
