"""Cross-sensor de-duplication counts each transmission, retransmissions included, once."""

from __future__ import annotations

from analyzer.dot11.records import Frame, Kind, MacHeader
from analyzer.roam.sensors import CrossDedup


def _frame(ts_ns: int, retry: bool = False, seq: int = 7) -> Frame:
    header = MacHeader(0, 11, 0x08 if retry else 0, 0, "02:00:00:00:00:02",
                       "02:00:00:00:00:01", "02:00:00:00:00:02", None, seq, 0, None, None, 24)
    return Frame(1, ts_ns, 0, Kind.AUTH, None, header, None)


def test_copy_on_another_sensor_is_dropped_but_retries_each_count_once() -> None:
    """A: frame, retry, retry; B hears the frame and both retries: only A's three go on."""
    dedup = CrossDedup(2)
    kept = [
        dedup.keep(0, _frame(0)),
        dedup.keep(1, _frame(10_000)),
        dedup.keep(0, _frame(300_000, retry=True)),
        dedup.keep(1, _frame(310_000, retry=True)),
        dedup.keep(0, _frame(600_000, retry=True)),
        dedup.keep(1, _frame(610_000, retry=True)),
    ]
    assert kept == [True, False, True, False, True, False]
    assert dedup.stats[1].copies == 3


def test_a_retry_only_the_second_sensor_heard_counts() -> None:
    dedup = CrossDedup(2)
    assert dedup.keep(0, _frame(0))
    assert not dedup.keep(1, _frame(5_000))
    assert dedup.keep(1, _frame(300_000, retry=True))


def test_same_key_long_after_is_not_a_copy() -> None:
    dedup = CrossDedup(2)
    assert dedup.keep(0, _frame(0))
    assert dedup.keep(1, _frame(5_000_000_000))
