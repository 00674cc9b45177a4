"""The roams' summary without the roams: what a streaming run (`live`) keeps instead of them.

Counts are exact. The control-plane latencies of the succeeded attempts, per method, are kept
whole up to `RESERVOIR` values; beyond that a uniform sample of that size stands for them
(reservoir sampling, Algorithm R, seeded: the same input gives the same sample), so the
median and p95 are exact for any run of up to RESERVOIR measured attempts per method and
estimates past it. Memory follows the number of methods, never the number of roams.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from analyzer.roam.records import Roam

RESERVOIR = 1 << 16  # latencies kept per method


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def latency_stats(values: Sequence[float], attempts: int, measured: int | None = None
                  ) -> dict[str, Any]:
    """One method's line of `control_plane_ms`; `measured` when `values` is a sample."""
    if not values:
        return {"attempts": attempts, "measured": 0, "median": None, "p95": None}
    return {
        "attempts": attempts,
        "measured": len(values) if measured is None else measured,
        "median": round(percentile(values, 50), 3),
        "p95": round(percentile(values, 95), 3),
    }


class _Reservoir:
    __slots__ = ("seen", "values", "_rng")

    def __init__(self, seed: int) -> None:
        self.seen = 0
        self.values: list[float] = []
        from random import Random  # here: only live keeps a tally (start-up imports less)

        self._rng = Random(seed)

    def add(self, value: float) -> None:
        self.seen += 1
        if len(self.values) < RESERVOIR:
            self.values.append(value)
            return
        slot = self._rng.randrange(self.seen)
        if slot < RESERVOIR:
            self.values[slot] = value


class RoamTally:
    """`summarize(roams)` of analyzer.report.summary, fed one roam at a time."""

    def __init__(self, roams: Iterable[Roam] = ()) -> None:
        self.attempts = 0
        self.roams = 0
        self.success = 0
        self.methods: dict[str, int] = {}
        self._latency: dict[str, _Reservoir] = {}
        for roam in roams:
            self.add(roam)

    def add(self, roam: Roam) -> None:
        self.attempts += 1
        self.roams += roam.kind == "roam"
        self.methods[roam.method] = self.methods.get(roam.method, 0) + 1
        if roam.outcome != "success":
            return
        self.success += 1
        latency = roam.latency_ms.get("control_plane")
        if latency is not None:
            kept = self._latency.get(roam.method)
            if kept is None:
                kept = self._latency[roam.method] = _Reservoir(len(self._latency))
            kept.add(latency)

    def summary(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "roams": self.roams,
            "success": self.success,
            "success_rate": round(self.success / self.attempts, 4) if self.attempts else None,
            "control_plane_ms": {
                method: self._stats(method, n) for method, n in sorted(self.methods.items())
            },
        }

    def _stats(self, method: str, attempts: int) -> dict[str, Any]:
        kept = self._latency.get(method)
        if kept is None:
            return latency_stats([], attempts)
        return latency_stats(kept.values, attempts, kept.seen)
