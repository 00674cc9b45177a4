"""The notebook tables: column names and dtypes, stable whatever the capture holds.

Each table is built from the JSON shapes of the records (`Roam.to_dict()`, `frame_row()`,
`Finding.to_dict()`), so a field the record does not have yet (a roam without `pmksa`) is a
null cell, never a missing column. Empty tables keep every column and its dtype.

dtypes: "string" (pd.NA for none), "Int64" and "boolean" (nullable), "float64" (NaN for
none; latencies in milliseconds, times in seconds since the epoch), "datetime64[ns, UTC]".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from analyzer.report.safe import clean
from analyzer.roam.records import LATENCY_KEYS, PHASE_NAMES

if TYPE_CHECKING:
    import pandas as pd

Schema = Mapping[str, str]
JUDGED_PHASES = ("auth", "assoc", "eap", "4way")  # a latency key of the same name says why

ROAM_SCHEMA: Schema = {
    "id": "Int64",
    "sta": "string",
    "from_bssid": "string",
    "to_bssid": "string",
    "ssid": "string",
    "channel_from": "Int64",
    "channel_to": "Int64",
    "kind": "string",
    "method": "string",
    "akm": "string",
    "eap_method": "string",
    "trigger": "string",
    "trigger_reason": "string",
    "outcome": "string",
    "failure_reason": "string",
    "start": "datetime64[ns, UTC]",
    "t_start": "float64",
    "t_end": "float64",
    **{f"latency_{k}_ms": "float64" for k in LATENCY_KEYS},
    **{f"phase_{p}_ms": "float64" for p in PHASE_NAMES},
    "missing_phases": "string",
    "rssi_old_dbm": "Int64",
    "rssi_new_dbm": "Int64",
    "pmkids_offered": "string",
    "pmkid_m1": "string",
    "n_frames": "Int64",
    "pmksa_verdict": "string",
    "pmksa_as_expected": "boolean",
    "pmksa_reason": "string",
    "pmksa_age_s": "float64",
    "mic_valid": "boolean",
    "max_roam_ms": "float64",
}
"""One row per connection attempt (initial, roam, reconnect)."""

FRAME_SCHEMA: Schema = {
    "capture": "Int64",
    "frame": "Int64",
    "ts": "float64",
    "time": "datetime64[ns, UTC]",
    "kind": "string",
    "sta": "string",
    "bssid": "string",
    "ta": "string",
    "ra": "string",
    "seq": "Int64",
    "retry": "boolean",
    "signal_dbm": "Int64",
    "freq_mhz": "Int64",
    "ssid": "string",
    "status": "string",
    "reason": "string",
    "algorithm": "Int64",
    "auth_seq": "Int64",
    "eapol_type": "string",
    "message": "string",
    "eap_code": "string",
    "eap_type": "string",
    "identity": "string",
    "pmkids": "string",
    "pmkid": "string",
    "roam_id": "Int64",
}
"""One row per relevant frame (management but beacons, EAPOL, EAP), `roam_id` when in one."""

FINDING_SCHEMA: Schema = {
    "code": "string",
    "severity": "string",
    "frame": "Int64",
    "sta": "string",
    "bssid": "string",
    "message": "string",
}
STATION_SCHEMA: Schema = {
    "sta": "string",
    "bssids": "string",
    "attempts": "Int64",
    "roams": "Int64",
    "success": "Int64",
}
PMKSA_SCHEMA: Schema = {
    "roam_id": "Int64",
    "sta": "string",
    "from_bssid": "string",
    "to_bssid": "string",
    "ssid": "string",
    "method": "string",
    "verdict": "string",
    "as_expected": "boolean",
    "reason": "string",
    "pmksa_age_s": "float64",
    "evidence": "string",
    "confirmed": "boolean",
}
"""One row per attempt the PMKSA judge gave a verdict."""


def table(rows: Iterable[Mapping[str, Any]], schema: Schema) -> pd.DataFrame:
    """A DataFrame with exactly the schema's columns and dtypes (absent keys are null)."""
    import pandas as pd

    records = [{c: _cell(row.get(c)) for c in schema} for row in rows]
    frame = pd.DataFrame.from_records(records, columns=list(schema))
    for column, dtype in schema.items():
        frame[column] = _typed(frame[column], dtype)
    return frame


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return " ".join(map(str, value))
    return value


def _typed(series: pd.Series, dtype: str) -> pd.Series:
    import pandas as pd

    if dtype.startswith("datetime"):
        return pd.to_datetime(series.astype("float64"), unit="s", utc=True).astype(dtype)
    if dtype == "float64":
        return pd.to_numeric(series, errors="coerce").astype("float64")
    return series.astype(dtype)


def roam_rows(roams: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [roam_row(r) for r in roams]


def roam_row(roam: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten one `Roam.to_dict()` (with or without `pmksa`) into a roams-table row."""
    row = {k: roam.get(k) for k in ROAM_SCHEMA if k in roam}
    row["ssid"] = clean(roam.get("ssid"))  # off the air: escaped like the frames table's
    trigger = roam.get("trigger") or {}
    row["trigger"], row["trigger_reason"] = trigger.get("type"), trigger.get("reason")
    row["start"] = roam.get("t_start")
    latency = roam.get("latency_ms") or {}
    row.update({f"latency_{k}_ms": latency.get(k) for k in LATENCY_KEYS})
    phases = {p["name"]: p for p in roam.get("phases", [])}
    row.update({f"phase_{n}_ms": _span_ms(phases.get(n)) for n in PHASE_NAMES})
    row["missing_phases"] = ",".join(missing_phases(roam)) or None
    row["n_frames"] = len(roam.get("frames", []))
    pmksa = roam.get("pmksa") or {}
    row["pmksa_verdict"] = pmksa.get("verdict")
    row["pmksa_as_expected"] = pmksa.get("as_expected")
    row["pmksa_reason"] = pmksa.get("reason")
    row["pmksa_age_s"] = pmksa.get("pmksa_age_s")
    return row


def _span_ms(phase: Mapping[str, Any] | None) -> float | None:
    if phase is None or phase.get("start") is None or phase.get("end") is None:
        return None
    return round((phase["end"] - phase["start"]) * 1e3, 3)


def missing_phases(roam: Mapping[str, Any]) -> list[str]:
    """Phases the method needs that were not seen (not those that do not apply to it)."""
    seen = {p["name"] for p in roam.get("phases", [])}
    why = {m["what"]: m["why"] for m in roam.get("missing", [])}
    return [
        name for name in JUDGED_PHASES
        if name not in seen and f"latency.{name}" in why
        and not why[f"latency.{name}"].startswith("not applicable")
    ]


def pmksa_rows(roams: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for roam in roams:
        pmksa = roam.get("pmksa")
        if not pmksa:
            continue
        keep = ("sta", "from_bssid", "to_bssid", "ssid", "method")
        row = {"roam_id": roam.get("id"), **{k: roam.get(k) for k in keep}, **pmksa}
        row["ssid"] = clean(roam.get("ssid"))  # off the air: escaped like the frames table's
        rows.append(row)
    return rows


def frame_rows(
    rows: Iterable[Mapping[str, Any]], roams: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Frame rows with `roam_id` set where the frame is one of a roam's frames.

    Frame numbers are per capture, so a frame belongs to a roam when its number is listed,
    its station is the roam's, and it falls inside the roam's span (probe phase included)."""
    owners: dict[tuple[int, str | None], list[tuple[float, float, int]]] = {}
    for roam in roams:
        lo, hi = roam_span(roam)
        for n in roam.get("frames", []):
            owners.setdefault((n, roam.get("sta")), []).append((lo, hi, roam["id"]))
    out = []
    for row in rows:
        hits = owners.get((row["frame"], row.get("sta")), [])
        roam_id = next((i for lo, hi, i in hits if lo <= row["ts"] <= hi), None)
        out.append({**row, "time": row["ts"], "roam_id": roam_id})
    return out


def roam_span(roam: Mapping[str, Any]) -> tuple[float, float]:
    """Earliest and latest second of a roam, phases (and their probe) included, 1 ms slack."""
    starts = [roam["t_start"]] + [p["start"] for p in roam.get("phases", []) if p.get("start")]
    ends = [roam["t_end"]] + [p["end"] for p in roam.get("phases", []) if p.get("end")]
    return min(starts) - 1e-3, max(ends) + 1e-3
