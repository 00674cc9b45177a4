"""A split file's range tasks go to the cluster a bounded number at a time (no Dask needed:
a stand-in client records what is submitted)."""

from __future__ import annotations

from typing import Any

from analyzer.daskrun import RangeResults


class _Future:
    def __init__(self, task: Any) -> None:
        self.task, self.cancelled = task, False

    def result(self) -> Any:
        return self.task

    def cancel(self) -> None:
        self.cancelled = True


class _Client:
    def __init__(self) -> None:
        self.submitted: list[_Future] = []

    def submit(self, _fn: Any, task: Any, pure: bool) -> _Future:
        assert not pure
        self.submitted.append(_Future(task))
        return self.submitted[-1]


def test_ranges_come_in_order_with_at_most_ahead_in_flight() -> None:
    client = _Client()
    tasks = [("f", b"", k, k + 1, True) for k in range(10)]
    ranges = RangeResults(client, tasks, ahead=3)
    assert len(client.submitted) == 3 and len(ranges) == 10
    taken = []
    for chunk in ranges:
        taken.append(chunk)
        assert len(client.submitted) - len(taken) <= 3
    assert taken == tasks and len(client.submitted) == 10


def test_stop_cancels_what_was_submitted_and_submits_no_more() -> None:
    client = _Client()
    ranges = RangeResults(client, [("f", b"", k, k + 1, True) for k in range(10)], ahead=4)
    first = next(iter(ranges))
    assert first[2] == 0
    ranges.stop()
    assert len(ranges) == 0 and list(ranges) == []
    assert len(client.submitted) == 5
    assert [f.cancelled for f in client.submitted] == [False] + [True] * 4
