"""Which files the Dask backend splits, and how a split file's range tasks go to the cluster: a
bounded number at a time (no Dask needed: a stand-in client records what is submitted)."""

from __future__ import annotations

from typing import Any

from analyzer.run.dask import RangeResults, worth_splitting


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


def test_many_files_of_a_size_are_not_split() -> None:
    """Twenty 70 MB files on two workers: whole-file tasks keep both busy, and their roam
    engines run on the workers rather than one after another in the client."""
    assert worth_splitting([70 << 20] * 20, threads=2) == [False] * 20


def test_one_large_capture_is_split() -> None:
    assert worth_splitting([20 << 30], threads=2) == [True]
    assert worth_splitting([20 << 30], threads=1) == [False]  # one thread: nothing to share


def test_only_the_file_beyond_a_threads_share_is_split() -> None:
    sizes = [20 << 30, *([100 << 20] * 10)]
    assert worth_splitting(sizes, threads=4) == [True] + [False] * 10
