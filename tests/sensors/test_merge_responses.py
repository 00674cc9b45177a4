"""ACKs and CTSs heard by several sensors: no transmitter, no sequence number, told by their
octets and their time; each is written (and counted) once."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from analyzer.capture.writer import write_capture
from analyzer.cli import main
from analyzer.dot11.records import Frame, Kind, MacHeader
from analyzer.roam.sensors import CrossDedup
from analyzer.run.dispatch import run
from analyzer.simulate import Scenario
from analyzer.simulate.frames import RADIOTAP_LEN, Radio, cts, mac, on_air

from .builder import NEW_MHZ, OLD_MHZ, SKEW_NS, freq_mhz, is_beacon, on_clock, split

AP1, AP2, STA = "00:1f:f3:c0:89:0f", "00:1f:f3:c0:89:1f", "02:00:00:00:00:01"
FC0_ACK, FC0_CTS = 0xD4, 0xC4
Frames = list[tuple[int, bytes]]


def _scenario() -> Scenario:
    sc = Scenario(seed=5, nanosecond=True, acks=True)
    sc.ap("ap1", AP1, "lab", OLD_MHZ, akm="psk", passphrase="correct horse")
    sc.ap("ap2", AP2, "lab", NEW_MHZ, akm="psk", passphrase="correct horse")
    sc.sta("c", STA)
    sc.beacons("ap1", 60).beacons("ap2", 60)
    sc.connect("c", "ap1").data("c", 120).roam("c", "ap2").data("c", 120)
    return sc


def _fc0(data: bytes) -> int:
    return data[RADIOTAP_LEN]


def _with_cts(frames: Frames) -> Frames:
    """A CTS to the station 50 us before every fifth ACK, on that ACK's channel."""
    out: Frames = []
    acks = 0
    for ts, data in frames:
        if _fc0(data) == FC0_ACK:
            acks += 1
            if acks % 5 == 0:
                radio = Radio(ts // 1000, freq_mhz(data), -50)
                out.append((ts - 50_000, on_air(cts(mac(STA)), radio)))
        out.append((ts, data))
    return out


def _heard_by_both(i: int, data: bytes) -> bool:
    """Beacons, every fourth frame, and every ACK and CTS reach both sensors."""
    return is_beacon(data) or i % 4 == 0 or _fc0(data) in (FC0_ACK, FC0_CTS)


def _write(tmp: Path) -> tuple[Path, Path, Path]:
    frames = _with_cts(list(_scenario().frames()))
    full, a_path, b_path = tmp / "full.pcap", tmp / "a.pcap", tmp / "b.pcap"
    write_capture(full, frames)
    a, b = split(frames, _heard_by_both)
    write_capture(a_path, a)
    write_capture(b_path, on_clock(b, frames[0][0], SKEW_NS, 50))
    return full, a_path, b_path


def _subtypes(path: Path) -> Counter[str]:
    done = subprocess.run(
        ["tshark", "-r", str(path), "-T", "fields", "-e", "wlan.fc.type_subtype"],
        capture_output=True, text=True, check=True, timeout=60,
    )
    return Counter(done.stdout.split())


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
def test_merge_writes_each_ack_and_cts_heard_by_both_sensors_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full, a, b = _write(tmp_path)
    out = tmp_path / "merged.pcapng"
    assert main(["merge", str(a), str(b), "-o", str(out)]) == 0
    capsys.readouterr()
    truth, merged, sensor_a = _subtypes(full), _subtypes(out), _subtypes(a)
    ack, cts_ = "0x001d", "0x001c"
    assert truth[ack] > 100 and truth[cts_] > 20
    assert sensor_a[ack] == truth[ack] and sensor_a[cts_] == truth[cts_]  # both heard them all
    assert merged == truth


def test_multi_sensor_analysis_counts_each_ack_once_with_the_single_sensor_latencies(
    tmp_path: Path,
) -> None:
    full, a, b = _write(tmp_path)
    truth, merged = run([str(full)]), run([str(a), str(b)])
    assert merged.sensors is not None
    stats_a, stats_b = merged.sensors.stats
    acks = sum(1 for _ in _acks(full))
    assert stats_b.copies >= acks  # every ACK B heard was A's copy, or A's was B's
    assert [(r.method, r.to_bssid) for r in merged.roams] == [
        (r.method, r.to_bssid) for r in truth.roams]
    wanted = [r.latency_ms["ack_to_ack"] for r in truth.roams]
    got = [r.latency_ms["ack_to_ack"] for r in merged.roams]
    assert any(v is not None for v in wanted)
    assert got == pytest.approx(wanted, abs=0.1)


def _acks(path: Path) -> list[int]:
    from analyzer.capture import open_capture

    with open_capture(path) as cap:
        return [rec.ts_ns for rec in cap if rec.data[RADIOTAP_LEN] == FC0_ACK]


def _ack(ts_ns: int, ra: str = STA) -> Frame:
    header = MacHeader(1, 13, 0, 0, ra, None, None, None, None, None, None, None, 10)
    return Frame(0, ts_ns, 0, Kind.CONTROL, None, header, None)


def test_two_acks_of_one_sensor_are_never_folded_and_each_absorbs_one_copy() -> None:
    dedup = CrossDedup(2)
    assert dedup.keep(0, _ack(1_000_000))
    assert dedup.keep(0, _ack(1_020_000))  # the same octets 20 us later: another ACK
    assert not dedup.keep(1, _ack(1_001_000))
    assert not dedup.keep(1, _ack(1_021_000))
    assert dedup.keep(1, _ack(1_022_000))  # a third on B: A heard only two
    assert [s.copies for s in dedup.stats] == [0, 2]


def test_acks_to_other_receivers_or_further_apart_than_the_window_are_kept() -> None:
    dedup = CrossDedup(2)
    assert dedup.keep(0, _ack(1_000_000))
    assert dedup.keep(1, _ack(1_000_500, ra=AP1))
    assert dedup.keep(1, _ack(1_500_000))  # 500 us later: not the same transmission
    assert [s.copies for s in dedup.stats] == [0, 0]
