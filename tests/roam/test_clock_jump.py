"""Jumps of the capture's clock (issue 16, item 3): reported as CLOCK_JUMP with the two
frames, and never absorbed into a latency; the same on one tracker and on per-station
partitions."""

from __future__ import annotations

from analyzer.dot11.records import Frame, Malformed
from analyzer.roam.partition import merge
from analyzer.roam.records import Finding, Roam
from analyzer.roam.tracker import Tracker

from .factory import AP1, AP2, STA, Air, ms
from .test_partition import busy_air, in_order, one_tracker, partitions

Items = list[tuple[int, Frame | Malformed]]
MEASURED_INSIDE = ("auth", "assoc", "4way", "control_plane")


def as_captured(air: Air, jump_at: int, delta_ms: float) -> list[Frame]:
    """The frames in the order they were scripted, those from frame `jump_at` on stamped
    `delta_ms` later (earlier when negative): a clock that jumped."""
    return [f._replace(ts_ns=f.ts_ns + ms(delta_ms)) if f.index >= jump_at else f
            for f in air.frames]


def fed(frames: list[Frame], tracker: Tracker | None = None) -> tuple[list[Roam], list[Finding]]:
    tracker = tracker or Tracker()
    out = [r for f in frames for r in tracker.feed(f)] + tracker.finish()
    return ([r for r in out if isinstance(r, Roam)], [r for r in out if isinstance(r, Finding)])


def jumps(found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.code == "CLOCK_JUMP"]


def roam_with_m2(back_ms: float) -> tuple[list[Frame], int]:
    """STA connects to AP1, sends acknowledged data, roams to AP2; the clock steps back
    `back_ms` at M2 of the roam. Returns the frames and M2's index."""
    air = Air()
    air.beacon(0, AP1)
    air.beacon(0.5, AP2)
    air.psk_connect(10, STA, AP1)
    air.acked_data(100, STA, AP1)
    air.probe_req(480)
    air.auth(500, STA, AP2)
    air.auth(501, STA, AP2, seq=2)
    air.assoc_req(502, STA, AP2, reassoc=True, current_ap=AP1)
    air.assoc_resp(503, STA, AP2, reassoc=True)
    air.key(505, "M1", STA, AP2, 1)
    m2 = len(air.frames) + 1
    air.key(507, "M2", STA, AP2, 1)
    air.key(509, "M3", STA, AP2, 2)
    air.key(511, "M4", STA, AP2, 2)
    air.acked_data(530, STA, AP2)
    return as_captured(air, m2, -back_ms), m2


def test_clock_stepping_back_mid_roam_is_reported_and_the_roam_gets_no_latency() -> None:
    frames, m2 = roam_with_m2(30)
    roams, found = fed(frames)
    (jump,) = jumps(found)
    assert jump.severity == "warning" and jump.frames == (m2 - 1, m2) and jump.frame == m2
    assert "went back 28.000 ms" in jump.message  # 30 ms less the 2 ms from M1 to M2
    roam = next(r for r in roams if r.to_bssid == AP2)
    assert roam.outcome == "success"
    assert all(v is None for v in roam.latency_ms.values())
    whys = {m.what: m.why for m in roam.missing}
    assert "went back 28.000 ms" in whys["latency.control_plane"]
    first = next(r for r in roams if r.to_bssid == AP1)
    assert first.latency_ms["control_plane"] is not None


def test_frames_a_fraction_of_a_millisecond_out_of_order_are_no_clock_jump() -> None:
    frames, _ = roam_with_m2(0.5)
    roams, found = fed(frames)
    assert jumps(found) == []
    roam = next(r for r in roams if r.to_bssid == AP2)
    assert roam.latency_ms["auth"] is not None and roam.latency_ms["assoc"] is not None


def test_clock_leaping_forward_ends_the_open_attempt_incomplete_not_failed() -> None:
    frames, m2 = roam_with_m2(-2 * 3600 * 1000.0)  # two hours forward
    roams, found = fed(frames)
    (jump,) = jumps(found)
    assert "jumped 2.0 h forward" in jump.message and jump.frames == (m2 - 1, m2)
    roam = next(r for r in roams if r.to_bssid == AP2 and r.t_start_ns < ms(1000))
    assert roam.outcome == "incomplete"
    assert roam.failure_reason is not None and "jumped 2.0 h forward" in roam.failure_reason
    assert not any(r.outcome == "failed" for r in roams)
    assert roam.latency_ms["auth"] == 1.0  # measured before the jump: kept


def test_latencies_from_before_a_jump_to_after_it_are_null_the_others_kept() -> None:
    """The clock steps back after STA's last data on AP1; the roam to AP2 is all after the
    step: its own phases are measured, its data gap (from that data frame) is not."""
    air = Air()
    air.beacon(0, AP1)
    air.beacon(0.5, AP2)
    air.psk_connect(10, STA, AP1)
    air.acked_data(100, STA, AP1)
    step = len(air.frames) + 1
    air.beacon(140, AP1)
    m4 = air.psk_connect(500, STA, AP2, reassoc=True, current_ap=AP1)
    air.acked_data(m4 + 10, STA, AP2)
    roams, found = fed(as_captured(air, step, -150))
    assert len(jumps(found)) == 1
    roam = next(r for r in roams if r.to_bssid == AP2)
    assert all(roam.latency_ms[k] is not None for k in MEASURED_INSIDE)
    assert roam.latency_ms["data_gap"] is None and roam.latency_ms["ack_to_ack"] is None
    assert "went back" in {m.what: m.why for m in roam.missing}["latency.data_gap"]


def test_data_sent_after_the_jump_is_measured_from_again() -> None:
    air = Air()
    air.beacon(0, AP1)
    air.beacon(0.5, AP2)
    air.psk_connect(10, STA, AP1)
    air.acked_data(100, STA, AP1)
    step = len(air.frames) + 1
    air.acked_data(200, STA, AP1)
    m4 = air.psk_connect(500, STA, AP2, reassoc=True, current_ap=AP1)
    air.acked_data(m4 + 10, STA, AP2)
    roams, found = fed(as_captured(air, step, -150))
    assert len(jumps(found)) == 1
    roam = next(r for r in roams if r.to_bssid == AP2)
    assert roam.latency_ms["data_gap"] is not None and roam.latency_ms["ack_to_ack"] is not None


def test_a_day_back_restarts_the_clock_so_a_stalled_attempt_still_times_out() -> None:
    """After a step back of a day (a clock reset), timeouts run on the new clock: an
    attempt that stalls after the jump fails for lack of progress, as it would without it."""
    air = Air()
    air.beacon(0, AP1)
    air.auth(10, STA, AP1)
    step = len(air.frames) + 1
    air.beacon(20, AP1)
    air.auth(30, STA, AP2)
    for t in range(100, 8000, 100):
        air.beacon(t, AP1)
    roams, found = fed(as_captured(air, step, -86400 * 1000.0))
    assert "went back 24.0 h" in jumps(found)[0].message
    before, after = sorted(roams, key=lambda r: r.id)
    assert before.outcome == "incomplete" and "went back" in (before.failure_reason or "")
    assert after.outcome == "failed" and after.failure_reason == "no_progress"


def _jumping(items: Items) -> Items:
    """`items` with the clock stepping back 30 ms a third of the way in, leaping two hours
    forward at half way, and back a day at two thirds."""
    n = len(items)
    shifts = ((n // 3, -30.0), (n // 2, 2 * 3600 * 1000.0), (2 * n // 3, -86400 * 1000.0))
    out = []
    for pos, item in items:
        delta = sum(d for at, d in shifts if pos >= at)
        out.append((pos, item._replace(ts_ns=item.ts_ns + ms(delta))))
    return out


def test_partitions_give_one_trackers_results_across_clock_jumps() -> None:
    items = _jumping(in_order(busy_air()[0]))
    single = one_tracker(items)
    assert len(jumps([r for r in single[0] if isinstance(r, Finding)])) == 3
    for parts in (2, 3):
        assert merge(partitions(items, parts)) == single, parts
