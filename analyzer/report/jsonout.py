"""The `analyze --format json` document (contract documented in the README)."""

from __future__ import annotations

from typing import Any

from analyzer.pipeline import Analysis, CaptureResult
from analyzer.report.safe import seconds
from analyzer.roam.inventory import PmkidSighting


def analysis_document(analysis: Analysis) -> dict[str, Any]:
    return {
        "captures": [capture_entry(c) for c in analysis.captures],
        "counts": dict(analysis.inventory.counts),
        "pmkids": [pmkid_entry(p) for p in analysis.inventory.pmkids],
    }


def capture_entry(result: CaptureResult) -> dict[str, Any]:
    info = result.info
    return {
        "path": info.path,
        "format": info.format,
        "linktypes": sorted(set(info.linktypes)),
        "frames": info.frames,
        "malformed": result.malformed,
        "truncated": info.truncated,
        "first_ts": seconds(info.first_ts_ns),
        "last_ts": seconds(info.last_ts_ns),
        "warnings": list(info.warnings),
        "malformed_reasons": dict(result.malformed_reasons),
    }


def pmkid_entry(p: PmkidSighting) -> dict[str, Any]:
    return {
        "capture": p.capture,
        "frame": p.frame,
        "ts": seconds(p.ts_ns),
        "where": p.where,
        "sta": p.sta,
        "bssid": p.bssid,
        "pmkid": p.pmkid.hex(),
    }
