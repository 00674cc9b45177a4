"""The notebook face: `load()` captures, then DataFrames, charts and a ladder per roam.

    >>> import analyzer
    >>> a = analyzer.load("pcaps/eap-pmksa-roam.pcapng", expect=["lab.toml"])
    >>> a.roams[a.roams.pmksa_as_expected == False]      # noqa: E712 (nullable boolean)
    >>> a.roam(3).ladder()
    >>> a.plot.latency_by_method()

Column names and dtypes are those of `analyzer.report.dataframes` (each schema documented
there) and do not depend on what the capture holds; empty results keep them.
pandas and matplotlib are imported here and in `analyzer.report` only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyzer.capture.atomic import Staged, atomic_file
from analyzer.config import Expectations, KeyRing, load_expectations, load_keys
from analyzer.dot11.records import Frame
from analyzer.report import dataframes as df
from analyzer.report.frames import NOT_TABLED, frame_row
from analyzer.roam import records
from analyzer.run import dispatch
from analyzer.run import engine as run_engine

if TYPE_CHECKING:
    import pandas as pd

    from analyzer.report.charts import Figure

SIGNAL_EVERY_S = 0.25  # one signal sample per station per quarter second is plenty to plot


def load(
    *captures: str | os.PathLike[str],
    keys: Iterable[str] | KeyRing | None = None,
    key_files: Iterable[str] = (),
    expect: Iterable[str] | Expectations | None = None,
    offsets: Mapping[str, float] | None = None,
    engine: str = "python",
) -> Analysis:
    """Read captures (several: one per sensor, aligned and merged in time order) and judge
    PMKSA caching.

    `keys`: "wpa-pwd:PASSPHRASE[:SSID]", "wpa-psk:HEX", "pmk:HEX" or "msk:HEX" strings (or a
    KeyRing); `expect`: expectation files (.toml, hostapd.conf, wpa_supplicant.conf), later
    ones winning, or an Expectations object; `offsets`: seconds to add to a sensor's clock,
    by its path (as `--offset SENSOR=SECONDS`), instead of estimating it; `engine`: "tshark"
    to decode one capture with Wireshark's dissectors (as `--engine tshark`). Raises
    AnalyzerError subclasses on user errors."""
    ring = keys if isinstance(keys, KeyRing) else load_keys(list(keys or ()), list(key_files))
    exp = expect if isinstance(expect, Expectations) else load_expectations(list(expect or ()))
    collector = Collector()
    result = dispatch.run([os.fspath(c) for c in captures], sinks=[collector],
                          expectations=exp, keys=ring, offsets=offsets, engine=engine)
    from analyzer.report.expect import slow_roams_as_checked

    slow_roams_as_checked(result, exp)
    return Analysis(result, collector, exp)


class Collector:
    """A pipeline frame sink: a row per relevant frame, and a thinned signal series per station."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.signal: list[dict[str, Any]] = []
        self._last: dict[str, float] = {}

    def __call__(self, capture: int, frame: Frame) -> None:
        if frame.kind not in NOT_TABLED:
            self.rows.append(frame_row(capture, frame))
        radio = frame.radio
        if radio is None or radio.signal_dbm is None or frame.header is None:
            return
        ta = getattr(frame.header, "ta", None)
        ts = frame.ts_ns / 1e9
        if ta is not None and ts - self._last.get(ta, -1e18) >= SIGNAL_EVERY_S:
            self._last[ta] = ts
            self.signal.append({"ts": ts, "ta": ta, "signal_dbm": radio.signal_dbm})


SIGNAL_SCHEMA: df.Schema = {"ts": "float64", "ta": "string", "signal_dbm": "Int64"}
CAPTURE_SCHEMA: df.Schema = {
    "path": "string", "format": "string", "frames": "Int64", "malformed": "Int64",
    "truncated": "boolean", "first_ts": "float64", "last_ts": "float64",
}

SENSOR_SCHEMA: df.Schema = {
    "sensor": "Int64", "name": "string", "status": "string", "via": "string",
    "offset_s": "float64", "drift_ppm": "float64", "matched_frames": "Int64",
    "residual_us": "float64", "frames": "Int64", "copies": "Int64",
}


class Analysis:
    """One analysis as DataFrames (`roams`, `frames`, `findings`, `stations`, `pmksa`,
    `captures`, `sensors`, `signal`), a `plot` namespace, `roam(id)` and `to_html()`."""

    def __init__(
        self,
        result: run_engine.Analysis,
        collector: Collector | None = None,
        expectations: Expectations | None = None,
    ) -> None:
        self.result = result
        self.expectations = expectations or Expectations()
        self._collector = collector or Collector()
        self._roam_dicts = [r.to_dict() for r in result.roams]
        self._cache: dict[str, pd.DataFrame] = {}
        self.plot = Plots(self)

    def _table(self, name: str, rows: Callable[[], Iterable[Mapping[str, Any]]],
               schema: df.Schema) -> pd.DataFrame:
        """Built once, handed out as a copy (so a caller's edits do not leak back)."""
        if name not in self._cache:
            self._cache[name] = df.table(rows(), schema)
        return self._cache[name].copy()

    @property
    def roams(self) -> pd.DataFrame:
        """One row per attempt; `analyzer.report.dataframes.ROAM_SCHEMA`."""
        return self._table("roams", self._roam_rows, df.ROAM_SCHEMA)

    def _roam_rows(self) -> list[dict[str, Any]]:
        rows = df.roam_rows(self._roam_dicts)
        for row, roam in zip(rows, self.result.roams, strict=True):
            row["max_roam_ms"] = max_roam_ms(roam, self.expectations)
        return rows

    @property
    def frames(self) -> pd.DataFrame:
        """Relevant frames (no beacons or data); `FRAME_SCHEMA`, `roam_id` for a roam's frames."""
        return self._table("frames", lambda: df.frame_rows(self._collector.rows,
                                                           self._roam_dicts), df.FRAME_SCHEMA)

    @property
    def findings(self) -> pd.DataFrame:
        return self._table("findings", lambda: (f.to_dict() for f in self.result.findings),
                           df.FINDING_SCHEMA)

    @property
    def stations(self) -> pd.DataFrame:
        return self._table("stations", lambda: (s.to_dict() for s in self.result.stations),
                           df.STATION_SCHEMA)

    @property
    def pmksa(self) -> pd.DataFrame:
        """One row per judged attempt: verdict, as_expected, reason, PMKSA age, evidence."""
        return self._table("pmksa", lambda: df.pmksa_rows(self._roam_dicts), df.PMKSA_SCHEMA)

    @property
    def captures(self) -> pd.DataFrame:
        from analyzer.report.jsonout import capture_entry

        return self._table("captures", lambda: (capture_entry(c) for c in self.result.captures),
                           CAPTURE_SCHEMA)

    @property
    def sensors(self) -> pd.DataFrame:
        """One row per sensor when several captures were merged (empty for one): its clock
        against the reference (status, offset, drift, matched frames, residual) and copies
        dropped as duplicates of another sensor's frames; `SENSOR_SCHEMA`."""
        report = self.result.sensors
        rows = report.to_dict()["sensors"] if report is not None else []
        return self._table("sensors", lambda: rows, SENSOR_SCHEMA)

    @property
    def signal(self) -> pd.DataFrame:
        """Signal at the sensor per transmitter, at most one sample per SIGNAL_EVERY_S."""
        return self._table("signal", lambda: self._collector.signal, SIGNAL_SCHEMA)

    def roam(self, roam_id: int) -> Roam:
        """The attempt with this id, with its frames; KeyError when there is none."""
        found = [r for r in self.result.roams if r.id == roam_id]
        if not found:
            raise KeyError(f"no roam with id {roam_id} (ids: {self._id_range()})")
        roams = self.roams
        row = roams[roams["id"] == roam_id].iloc[0].to_dict()
        frames = self.frames
        return Roam(found[0], row, frames[frames["roam_id"] == roam_id].reset_index(drop=True))

    def _id_range(self) -> str:
        ids = [r.id for r in self.result.roams]
        return f"{min(ids)}..{max(ids)}" if ids else "none"

    def to_html(self, path: str | os.PathLike[str] | None = None, title: str | None = None
                ) -> str:
        """The self-contained HTML report; written to `path` when given."""
        from analyzer.report.html import render_report

        text = render_report(self.report_tables(), title=title or self._title())
        if path is not None:
            with atomic_file(path, "w", encoding="utf-8") as f:
                f.write(text)
        return text

    def report_tables(self) -> dict[str, pd.DataFrame]:
        return {"roams": self.roams, "frames": self.frames, "findings": self.findings,
                "stations": self.stations, "captures": self.captures, "sensors": self.sensors,
                "signal": self.signal}

    def _title(self) -> str:
        names = [Path(c.info.path).name for c in self.result.captures]
        return "Roam analysis: " + (", ".join(names) if names else "no capture")

    def save_charts(self, directory: str | os.PathLike[str]) -> list[Path]:
        """Every chart as PNG and SVG in `directory`; returns the files written."""
        from analyzer.report.html import chart_set

        with Staged(directory) as staged:  # renamed into place together, then _SUCCESS
            for name, fig in chart_set(self.report_tables(), ladders=True):
                for ext in ("png", "svg"):
                    fig.savefig(staged.path(f"{name}.{ext}"), dpi=110, format=ext)
        return staged.written

    def _repr_html_(self) -> str:
        from analyzer.report.html import analysis_summary_html

        return analysis_summary_html(self._title(), self.roams, self.findings)

    def __repr__(self) -> str:
        return (f"<Analysis {len(self.result.roams)} attempts, {len(self.result.findings)} "
                f"findings, {len(self.result.stations)} stations>")


def max_roam_ms(roam: records.Roam, exp: Expectations) -> float | None:
    """The latency limit the expectations set for this attempt (AP's and station's, smaller)."""
    ap, sta = exp.ap(roam.to_bssid, roam.ssid), exp.sta(roam.sta, roam.ssid)
    limits = [t.get(roam.method, t.get("default")) for t in (ap.max_roam_ms, sta.max_roam_ms)]
    found = [x for x in limits if x is not None]
    return min(found) if found else None


class Roam:
    """One attempt: `record` (analyzer.roam.records.Roam), `row` (its roams-table row as a
    dict), `frames` (its frames-table rows) and `ladder()`."""

    def __init__(self, record: records.Roam, row: dict[str, Any], frames: pd.DataFrame) -> None:
        self.record, self.row, self.frames = record, row, frames

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def pmksa(self) -> dict[str, Any] | None:
        return self.record.to_dict().get("pmksa")

    def ladder(self) -> Figure:
        from analyzer.report.ladder import ladder

        return ladder(self.row, self.frames)

    def _repr_html_(self) -> str:
        from analyzer.report.html import roam_html

        return roam_html(self.row, self.ladder())

    def __repr__(self) -> str:
        r = self.record
        return (f"<Roam #{r.id} {r.sta} {r.from_bssid or '-'} -> {r.to_bssid} {r.method} "
                f"{r.outcome}, {len(self.frames)} frames>")


class Plots:
    """`analysis.plot.<chart>()`: each returns a matplotlib Figure."""

    def __init__(self, analysis: Analysis) -> None:
        self._a = analysis

    def latency(self, log: bool = False) -> Figure:
        """Stacked phases per attempt."""
        from analyzer.report.charts import latency_breakdown

        return latency_breakdown(self._a.roams, log=log)

    def latency_by_method(self, metric: str = "control_plane") -> Figure:
        """CDF per method with the expectation limits."""
        from analyzer.report.charts import latency_by_method

        return latency_by_method(self._a.roams, metric=metric)

    def timeline(self, sta: str | None = None) -> Figure:
        """One station (default: the busiest), a lane per BSSID."""
        from analyzer.report.charts import station_timeline
        from analyzer.report.html import capture_end

        until = capture_end({"captures": self._a.captures})
        return station_timeline(self._a.roams, self._a.signal, sta=sta, until=until)

    def pmksa(self) -> Figure:
        """Attempts per PMKSA verdict."""
        from analyzer.report.charts import pmksa_summary

        return pmksa_summary(self._a.roams)

    def steering(self) -> Figure:
        """802.11k/v per station: the candidates offered, probed and chosen."""
        from analyzer.report.steering import offered_vs_chosen

        return offered_vs_chosen([r.to_dict() for r in self._a.result.roams])

    def ladder(self, roam_id: int) -> Figure:
        return self._a.roam(roam_id).ladder()
