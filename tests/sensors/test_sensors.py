"""Several sensors: one per channel, B's clock off by 2.5 s and drifting 50 ppm."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.cli import main
from analyzer.roam.records import Roam
from analyzer.roam.sensors import UNALIGNED
from analyzer.run.dispatch import run
from analyzer.run.engine import Analysis

from .builder import (
    C_DRIFT_PPM,
    C_SKEW_NS,
    DRIFT_PPM,
    FAR_DBM,
    SKEW_NS,
    write_chain,
    write_sensors,
)

AP1, AP2 = "00:1f:f3:c0:89:0f", "00:1f:f3:c0:89:1f"
TOLERANCE_MS = 0.1  # 100 µs
PHASES = {"auth": "auth", "assoc": "assoc", "4way": "m1"}  # ours -> the builder's labels


def _run(*paths: Path, **kw: object) -> Analysis:
    return run([str(p) for p in paths], **kw)  # type: ignore[arg-type]


def _assert_same_latencies(truth: list[Roam], merged: list[Roam], tol_ms: float) -> None:
    assert [(r.kind, r.method, r.from_bssid, r.to_bssid) for r in merged] == [
        (r.kind, r.method, r.from_bssid, r.to_bssid) for r in truth
    ]
    for want, got in zip(truth, merged, strict=True):
        for key, value in want.latency_ms.items():
            if value is None:
                assert got.latency_ms[key] is None, (want.id, key)
            else:
                assert got.latency_ms[key] == pytest.approx(value, abs=tol_ms), (want.id, key)


def test_roam_across_channels_has_the_single_sensor_latencies(tmp_path: Path) -> None:
    """A roam from the 5300 MHz AP (sensor A) to the 5260 MHz AP (sensor B, clock +2.5 s and
    50 ppm fast) comes out as one roam with the single-sensor latencies within 100 µs,
    the data gap (old AP's last data on A, new AP's first on B) included."""
    full, a, b, sc = write_sensors(tmp_path)
    truth, merged = _run(full), _run(a, b)
    _assert_drift_matters(full)
    _assert_same_latencies(truth.roams, merged.roams, TOLERANCE_MS)
    cross = [r for r in merged.roams if r.from_bssid == AP1 and r.to_bssid == AP2]
    assert len(cross) == 1 and cross[0].latency_ms["data_gap"] is not None
    assert merged.sensors is not None and merged.sensors.unaligned_roams == []
    _assert_builder_times(merged.roams, sc.truth())


def _assert_drift_matters(full: Path) -> None:
    """Over this capture 50 ppm adds up to far more than the tolerance: an offset without
    the drift could not pass."""
    with open_capture(full) as cap:
        stamps = [rec.ts_ns for rec in cap]
    assert (stamps[-1] - stamps[0]) * DRIFT_PPM / 1e6 / 1e6 > 10 * TOLERANCE_MS


def _assert_builder_times(roams: list[Roam], truth: dict[str, object]) -> None:
    """Independent of the analyzer's single-sensor run: every phase of every merged roam
    starts within 100 µs of the time the scenario builder sent its first frame (on the
    reference clock), and the control-plane latency is the builder's M4 - Authentication."""
    connections = truth["connections"]
    assert isinstance(connections, list) and len(connections) == len(roams)
    for roam, conn in zip(roams, connections, strict=True):
        phases = conn["phases_ns"]
        for ours, label in PHASES.items():
            phase = roam.phase(ours)
            assert phase is not None, (roam.id, ours)
            assert abs(phase.start_ns - phases[label]) <= TOLERANCE_MS * 1e6, (roam.id, ours)
        builder_ms = (phases["m4"] - phases["auth"]) / 1e6
        assert roam.latency_ms["control_plane"] == pytest.approx(builder_ms, abs=TOLERANCE_MS)


def test_clock_alignment_reports_offset_drift_matches_and_residual(tmp_path: Path) -> None:
    """Beacons (BSSID + TSF) and non-retried frames (TA, sequence, content) both sensors heard
    give B's offset and drift against A by least squares."""
    _full, a, b, _sc = write_sensors(tmp_path)
    report = _run(a, b).sensors
    assert report is not None
    ref, other = report.clocks
    assert ref.status == "reference" and ref.offset_s == 0.0
    assert other.status == "aligned"
    assert other.offset_s == pytest.approx(SKEW_NS / 1e9, abs=1e-6)
    assert other.drift_ppm == pytest.approx(DRIFT_PPM, abs=0.01)
    assert other.matched >= 900  # 900 shared beacons plus shared management frames
    assert other.residual_ns is not None and other.residual_ns < 1000


def test_frame_heard_by_both_sensors_counts_once_keeping_each_rssi(tmp_path: Path) -> None:
    """Frame counts equal the single capture's; each sensor keeps its own RSSI and channel
    for a transmitter both heard."""
    full, a, b, _sc = write_sensors(tmp_path)
    truth, merged = _run(full), _run(a, b)
    assert merged.inventory.counts == truth.inventory.counts
    assert merged.inventory.counts["beacon"] == 900
    assert merged.sensors is not None
    stats_a, stats_b = merged.sensors.stats
    assert stats_a.copies + stats_b.copies > 900
    heard_a, heard_b = stats_a.heard[AP1], stats_b.heard[AP1]
    assert heard_a.freq_mhz == heard_b.freq_mhz == 5300
    assert heard_b.signal_dbm == FAR_DBM and heard_a.signal_dbm != FAR_DBM


def test_no_common_frames_warns_and_marks_cross_sensor_latencies_unaligned(
    tmp_path: Path,
) -> None:
    """With nothing both sensors heard: a warning on B, offset 0, and the roam whose frames
    span both sensors gets an UNALIGNED_LATENCY finding and is listed as unaligned."""
    _full, a, b, _sc = write_sensors(tmp_path, shared=lambda i, d: False)
    merged = _run(a, b)
    assert merged.sensors is not None
    clock = merged.sensors.clocks[1]
    assert clock.status == "unaligned" and clock.offset_s == 0.0 and clock.matched == 0
    assert any("no frames in common" in w for w in merged.captures[1].info.warnings)
    marked = [f for f in merged.findings if f.code == UNALIGNED]
    assert marked and merged.sensors.unaligned_roams == [f.roam_id for f in marked]
    roam = next(r for r in merged.roams if r.id == marked[0].roam_id)
    assert roam.to_bssid == AP2


def test_offset_override_aligns_sensors_without_common_frames(tmp_path: Path) -> None:
    """`--offset b=2.5`: no warning, no unaligned attempt; without the drift the error stays
    within 50 ppm of the time since the start (about 2 ms after 40 s)."""
    full, a, b, _sc = write_sensors(tmp_path, shared=lambda i, d: False)
    merged = _run(a, b, offsets={"b": SKEW_NS / 1e9})
    assert merged.sensors is not None
    assert merged.sensors.clocks[1].status == "override"
    assert merged.sensors.unaligned_roams == []
    assert not merged.captures[1].info.warnings
    _assert_same_latencies(_run(full).roams, merged.roams, 45 * DRIFT_PPM / 1000)


def test_analyze_json_has_a_sensors_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _full, a, b, _sc = write_sensors(tmp_path)
    assert main(["analyze", str(a), str(b), "--format", "json", "--quiet"]) == 0
    doc = json.loads(capsys.readouterr().out)
    sensors = doc["sensors"]
    assert sensors["reference"] == str(a)
    entry = sensors["sensors"][1]
    assert entry["status"] == "aligned" and entry["matched_frames"] >= 900
    assert entry["offset_s"] == pytest.approx(2.5, abs=1e-6)
    assert entry["drift_ppm"] == pytest.approx(50, abs=0.01)
    assert {"residual_us", "frames", "copies", "heard"} <= set(entry)
    assert doc["roams"] and "summary" in doc


def test_single_capture_json_has_null_sensors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full, _a, _b, _sc = write_sensors(tmp_path)
    assert main(["analyze", str(full), "--format", "json", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["sensors"] is None


def test_offset_naming_no_capture_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _full, a, b, _sc = write_sensors(tmp_path)
    assert main(["analyze", str(a), str(b), "--offset", "nope=1", "--quiet"]) == 2
    assert "nope" in capsys.readouterr().err


def _merge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, list[int]]:
    full, a, b, _sc = write_sensors(tmp_path)
    out = tmp_path / "merged.pcapng"
    assert main(["merge", str(a), str(b), "-o", str(out)]) == 0
    assert "frames written" in capsys.readouterr().out
    with open_capture(full) as cap:
        truth = [rec.ts_ns for rec in cap]
    return out, truth


def test_merge_writes_one_interface_per_sensor_read_back_by_our_reader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The merged pcapng holds every transmission once, on the reference clock, in order."""
    out, truth = _merge(tmp_path, capsys)
    with open_capture(out) as cap:
        records = list(cap)
        assert cap.info.format == "pcapng" and cap.info.linktypes == [127, 127]
    assert len(records) == len(truth)
    assert {r.interface for r in records} == {0, 1}
    stamps = [r.ts_ns for r in records]
    assert stamps == sorted(stamps)
    assert all(abs(x - y) < 1000 for x, y in zip(stamps, truth, strict=True))


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
def test_merge_output_read_by_tshark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, truth = _merge(tmp_path, capsys)
    done = subprocess.run(
        ["tshark", "-r", str(out), "-T", "fields", "-e", "frame.interface_id"],
        capture_output=True, text=True, check=True, timeout=60,
    )
    ids = done.stdout.split()
    assert len(ids) == len(truth)
    assert set(ids) == {"0", "1"}


def test_sensor_sharing_frames_only_with_a_neighbour_is_aligned_through_it(
    tmp_path: Path,
) -> None:
    """A hears 5300 MHz, C 5260 MHz, B a share of both: C has no frame in common with the
    reference A, so its clock is B's fit composed with C's fit against B (offset and drift),
    and the roams between A's and C's channels keep the single-sensor latencies."""
    full, paths, sc = write_chain(tmp_path)
    truth, merged = _run(full), _run(*paths)
    assert merged.sensors is not None
    _ref, b, c = merged.sensors.clocks
    assert (b.status, b.via) == ("aligned", None)
    assert (c.status, c.via) == ("aligned", str(paths[1]))
    assert c.matched > 400 and c.residual_ns is not None and c.residual_ns < 1000
    assert c.drift_ppm == pytest.approx(C_DRIFT_PPM, abs=0.01)
    assert c.offset_s == pytest.approx(C_SKEW_NS / 1e9, abs=5e-5)  # at C's first pair
    assert not any(cap.info.warnings for cap in merged.captures)
    assert merged.inventory.counts == truth.inventory.counts
    _assert_same_latencies(truth.roams, merged.roams, TOLERANCE_MS)
    _assert_builder_times(merged.roams, sc.truth())
    assert [f.code for f in merged.findings if f.code == UNALIGNED] == []


def test_chained_sensor_json_names_the_sensor_it_was_aligned_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _full, paths, _sc = write_chain(tmp_path)
    assert main(["analyze", *map(str, paths), "--format", "json", "--quiet"]) == 0
    entries = json.loads(capsys.readouterr().out)["sensors"]["sensors"]
    assert [(e["status"], e["via"]) for e in entries] == [
        ("reference", None), ("aligned", None), ("aligned", str(paths[1])),
    ]
