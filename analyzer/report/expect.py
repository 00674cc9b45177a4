"""`max_roam_ms` from the expectations decides SLOW_ROAM in `analyze` and `report` exactly as
it decides `check`'s latency violations; without one the default threshold stays."""

from __future__ import annotations

from typing import Any

from analyzer.roam.findings import make


def roam_limit(roam: Any, expectations: Any) -> float | None:
    """The tightest max_roam_ms of the AP and the station for the roam's method (as `check`)."""
    tables = (expectations.ap(roam.to_bssid, roam.ssid).max_roam_ms,
              expectations.sta(roam.sta, roam.ssid).max_roam_ms)
    found = [x for x in (t.get(roam.method, t.get("default")) for t in tables) if x is not None]
    return min(found) if found else None


def slow_roams_as_checked(analysis: Any, expectations: Any) -> None:
    """Replace the default-threshold SLOW_ROAM of every attempt an expectation limits by one
    per latency violation `check` reports for it (same attempts, same limit)."""
    if expectations is None:
        return
    limited = {r.id for r in analysis.roams if roam_limit(r, expectations) is not None}
    if not limited:
        return
    findings = [f for f in analysis.findings
                if not (f.code == "SLOW_ROAM" and f.roam_id in limited)]
    by_id = {r.id: r for r in analysis.roams}
    for v in analysis.violations:
        if v.what == "latency" and v.roam_id in by_id:
            roam = by_id[v.roam_id]
            frame = roam.frames[0] if roam.frames else None
            findings.append(make("SLOW_ROAM", frame, roam.sta, roam.to_bssid,
                                 f"{v.message} (--expect)", roam.id))
    analysis.findings[:] = findings
