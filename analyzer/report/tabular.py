"""Flat rows for CSV/Parquet: roams, findings and frames, formula-safe."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from analyzer.capture.atomic import Staged
from analyzer.report.safe import clean, csv_cell
from analyzer.roam.records import LATENCY_KEYS

ROAM_COLUMNS = (
    "id", "sta", "from_bssid", "to_bssid", "ssid", "channel_from", "channel_to", "kind", "method",
    "akm", "eap_method", "trigger", "trigger_reason", "outcome", "failure_reason", "t_start",
    "t_end", *(f"latency_{k}_ms" for k in LATENCY_KEYS), "missing", "rssi_old_dbm",
    "rssi_new_dbm", "pmkids_offered", "pmkid_m1", "pmksa_verdict", "pmksa_as_expected",
    "pmksa_reason", "mic_valid", "frames",
)  # fmt: skip
FINDING_COLUMNS = ("code", "severity", "frame", "sta", "bssid", "message")
FRAME_COLUMNS = (
    "capture", "frame", "ts", "kind", "sta", "bssid", "ta", "ra", "seq", "retry", "signal_dbm",
    "freq_mhz", "ssid", "status", "reason", "algorithm", "auth_seq", "message", "eap_code",
    "eap_type", "pmkids", "pmkid",
)  # fmt: skip


def roam_row(roam: dict[str, Any]) -> dict[str, Any]:
    row = {k: roam.get(k) for k in ROAM_COLUMNS if k in roam}
    row["ssid"] = clean(roam.get("ssid"))  # off the air: escaped like the frames' (Parquet too)
    row["trigger"] = roam["trigger"]["type"]
    row["trigger_reason"] = roam["trigger"].get("reason")
    for key, value in roam["latency_ms"].items():
        row[f"latency_{key}_ms"] = value
    row["missing"] = "; ".join(f"{m['what']}: {m['why']}" for m in roam["missing"])
    row["pmkids_offered"] = " ".join(roam["pmkids_offered"])
    row["frames"] = " ".join(map(str, roam["frames"]))
    pmksa = roam.get("pmksa") or {}
    row["pmksa_verdict"] = pmksa.get("verdict")
    row["pmksa_as_expected"] = pmksa.get("as_expected")
    row["pmksa_reason"] = pmksa.get("reason")
    return row


def write_csv(out: TextIO, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_cell(_flat(row.get(k))) for k in columns})


def _flat(value: Any) -> Any:
    if isinstance(value, list):
        return " ".join(map(str, value))
    return value


def write_tables(
    directory: Path, document: dict[str, Any], frame_rows: list[dict[str, Any]]
) -> list[Path]:
    """roams.csv, findings.csv, frames.csv (and .parquet beside each when pyarrow is there),
    all renamed into place together once written, then a `_SUCCESS` marker
    (analyzer.capture.atomic.Staged)."""
    tables = {
        "roams": (ROAM_COLUMNS, [roam_row(r) for r in document["roams"]]),
        "findings": (FINDING_COLUMNS, document["findings"]),
        "frames": (FRAME_COLUMNS, frame_rows),
    }
    with Staged(directory) as staged:
        for name, (columns, rows) in tables.items():
            with open(staged.path(f"{name}.csv"), "w", newline="", encoding="utf-8") as out:
                write_csv(out, columns, rows)
            _parquet(staged, f"{name}.parquet", columns, rows)
    return staged.written


def _parquet(staged: Staged, name: str, columns: Sequence[str], rows: list[dict[str, Any]]
             ) -> None:
    try:
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.parquet as pq  # noqa: PLC0415
    except ImportError:
        return
    data = {c: [_flat(r.get(c)) for r in rows] for c in columns}
    pq.write_table(pa.table(data), staged.path(name))
