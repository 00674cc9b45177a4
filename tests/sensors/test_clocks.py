"""Clock maps compose and invert exactly enough for chained alignment."""

from __future__ import annotations

import pytest

from analyzer.roam.sensors import ClockMap, SensorClock

T0 = 1_714_557_600_000_000_000


def _delta(m: ClockMap, t: int, plus: float = 0.0) -> float:
    """How far `m` moves the instant t + plus (kept small: absolute ns do not fit a float)."""
    return m.shift_ns + m.rate * ((t - m.at_ns) + plus)


def test_inverse_maps_back_to_the_same_instant() -> None:
    ahead = ClockMap(T0, -2.5e9, -50e-6 / (1 + 50e-6), 3.0)
    back = ahead.inverse()
    for t in (T0, T0 + 10**9, T0 + 3_600 * 10**9):
        there = _delta(ahead, t)
        assert there + _delta(back, t, there) == pytest.approx(0.0, abs=1.0)
    assert back.residual_ns == 3.0


def test_composed_map_is_one_map_after_the_other() -> None:
    """C -> B then B -> A equals the composed C -> A over an hour."""
    c_to_b = ClockMap(T0 + 7 * 10**9, 3.7e9, 80e-6, 3.0)
    b_to_a = ClockMap(T0, -2.5e9, -50e-6, 4.0)
    c_to_a = c_to_b.then(b_to_a)
    for t in (T0, T0 + 60 * 10**9, T0 + 3_600 * 10**9):
        first = _delta(c_to_b, t)
        assert _delta(c_to_a, t) == pytest.approx(first + _delta(b_to_a, t, first), abs=0.01)
    assert c_to_a.residual_ns == pytest.approx(5.0)
    assert ClockMap(residual_ns=None).then(b_to_a).residual_ns is None


def test_clock_reports_offset_and_drift_of_its_map() -> None:
    """reference = ts - 2.5 s - 50 ppm of the elapsed time: 2.5 s ahead, 50 ppm fast."""
    clock = SensorClock(1, "b", "aligned", 10, T0, -2.5e9, 1 / (1 + 50e-6) - 1, 1.0)
    assert clock.offset_s == pytest.approx(2.5)
    assert clock.drift_ppm == pytest.approx(50)
    drift_ns = round(10**9 * 50e-6 / (1 + 50e-6))  # 50 ppm of the sensor's second, ~50 µs
    assert clock.correct(T0 + 10**9) == T0 + 10**9 - 2_500_000_000 - drift_ns
