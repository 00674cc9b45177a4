"""The `analyze --format json` document (contract documented in the README)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from analyzer.report.safe import seconds
from analyzer.report.summary import summarize
from analyzer.roam.inventory import PmkidSighting
from analyzer.run.engine import Analysis, CaptureResult


def analysis_document(analysis: Analysis) -> dict[str, Any]:
    return {
        "captures": [capture_entry(c) for c in analysis.captures],
        "counts": dict(analysis.inventory.counts),
        "pmkids": [pmkid_entry(p) for p in analysis.inventory.pmkids],
        "stations": [s.to_dict() for s in analysis.stations],
        "roams": [r.to_dict() for r in analysis.roams],
        "findings": [f.to_dict() for f in analysis.findings],
        "summary": analysis_summary(analysis),
        "sensors": None if analysis.sensors is None else analysis.sensors.to_dict(),
    }


def analysis_summary(analysis: Analysis) -> dict[str, Any]:
    """The roams' summary: of the roams kept, or of the tally of a streaming run."""
    return summarize(analysis.roams) if analysis.tally is None else analysis.tally.summary()


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
        "verified": p.verified,
    }


def only_station(document: dict[str, Any], sta: str) -> dict[str, Any]:
    """The document restricted to one station, its summary too (captures and counts stay
    whole)."""
    from analyzer.report.summary import summarize_rows

    keep = dict(document)
    keep["stations"] = [s for s in document["stations"] if s["sta"] == sta]
    keep["roams"] = [r for r in document["roams"] if r["sta"] == sta]
    keep["findings"] = [f for f in document["findings"] if f["sta"] == sta]
    keep["pmkids"] = [p for p in document["pmkids"] if p["sta"] == sta]
    keep["summary"] = {**document["summary"], **summarize_rows(keep["roams"])}
    return keep


def jsonl_lines(document: dict[str, Any]) -> Iterator[str]:
    """One JSON object per line: roams, findings, stations, then one summary."""
    for kind, key in (("roam", "roams"), ("finding", "findings"), ("station", "stations")):
        for item in document[key]:
            yield json.dumps({"type": kind, **item})
    summary = {
        "captures": document["captures"],
        "counts": document["counts"],
        **document["summary"],
        "sensors": document.get("sensors"),
        **({"sites": document["sites"]} if "sites" in document else {}),
    }
    yield json.dumps({"type": "summary", **summary})
