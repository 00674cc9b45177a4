"""Totals over the roams: attempts, success rate, control-plane latency by method."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from analyzer.roam.records import Roam
from analyzer.roam.tally import latency_stats, percentile

__all__ = ["percentile", "summarize", "summarize_rows"]


def summarize(roams: Sequence[Roam]) -> dict[str, Any]:
    return summarize_rows([
        {"outcome": r.outcome, "method": r.method, "kind": r.kind, "latency_ms": r.latency_ms}
        for r in roams
    ])


def summarize_rows(roams: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The summary of roams as JSON objects (e.g. one station's, for `--sta`)."""
    success = sum(1 for r in roams if r["outcome"] == "success")
    by_method: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for roam in roams:
        counts[roam["method"]] += 1
        latency = roam["latency_ms"].get("control_plane")
        if latency is not None and roam["outcome"] == "success":
            by_method[roam["method"]].append(latency)
    return {
        "attempts": len(roams),
        "roams": sum(1 for r in roams if r["kind"] == "roam"),
        "success": success,
        "success_rate": round(success / len(roams), 4) if roams else None,
        "control_plane_ms": {
            method: latency_stats(by_method.get(method, []), n)
            for method, n in sorted(counts.items())
        },
    }
