"""Output of `live`: JSON lines (the `analyze --format jsonl` form) or a live rich table."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from analyzer.report.attempts import failure_text
from analyzer.report.jsonout import analysis_document, analysis_summary, jsonl_lines
from analyzer.report.safe import clean
from analyzer.report.text import clock, console_for, pmksa_label
from analyzer.roam.records import Finding, Roam
from analyzer.run.engine import Analysis

SHOWN = 25  # roams kept on screen


def final_document(analysis: Analysis, live: dict[str, Any]) -> dict[str, Any]:
    """The analyze document plus a `live` section (frames received, kernel drops...)."""
    document = analysis_document(analysis)
    document["live"] = live
    return document


def sensor_lines(sensors: dict[str, Any] | None) -> list[str]:
    """Several sources: one line per sensor, its clock and the copies it heard."""
    if sensors is None:
        return []
    out = []
    for s in sensors["sensors"]:
        via = f" via {s['via']}" if s.get("via") else ""
        out.append(f"roam-analyzer: live: sensor {clean(s['name'])}: {s['status']}{via}, "
                   f"offset {s['offset_s']:+.6f} s, drift {s['drift_ppm']:+.2f} ppm, "
                   f"{s['matched_frames']} matched, {s['copies']} copies dropped")
    return out


def end_line(live: dict[str, Any], summary: dict[str, Any]) -> str:
    """The last line, in `analyze`'s summary words (attempts, of which roams); `summary` is
    the roams' (analysis_summary)."""
    from analyzer.report.check import plural

    channels = sorted({c for s in live["sources"] for c in s["channels"]})
    heard = ", ".join(map(str, channels)) or "none"
    attempts, roams = summary["attempts"], summary["roams"]
    dropped = live.get("dropped_behind", 0)
    behind = (f"{plural(dropped, 'frame')} dropped (the analysis fell behind), "
              if dropped else "")
    return (f"roam-analyzer: live: stopped by {live['stopped_by'] or 'request'}: "
            f"{plural(live['frames_received'], 'frame')} received, "
            f"{plural(live['kernel_drops'], 'kernel drop')}, {behind}"
            f"{plural(attempts, 'attempt')}, {plural(roams, 'roam')}; "
            f"channels heard: {heard}")


class JsonLines:
    """One line per roam and finding as it completes, flushed; stations and a summary last."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def result(self, item: Roam | Finding) -> None:
        kind = "roam" if isinstance(item, Roam) else "finding"
        self.out.write(json.dumps({"type": kind, **item.to_dict()}) + "\n")
        self.out.flush()

    def warning(self, text: str) -> None:
        print(f"roam-analyzer: warning: {text}", file=sys.stderr, flush=True)

    def status(self, live: Any) -> None:
        return None

    def abort(self) -> None:
        self.out.flush()

    def close(self, analysis: Analysis, live: dict[str, Any]) -> None:
        document = final_document(analysis, live)
        document["roams"], document["findings"] = [], []  # already written
        for line in jsonl_lines(document):
            if line.startswith('{"type": "summary"'):
                line = json.dumps({**json.loads(line), "live": live,
                                   "sensors": document["sensors"]})
            self.out.write(line + "\n")
        self.out.flush()
        print(end_line(live, document["summary"]), file=sys.stderr)
        for text in sensor_lines(document["sensors"]):
            print(text, file=sys.stderr)


class LiveTable:
    """A rich table of the latest roams, redrawn as they complete, with a status line."""

    def __init__(self, out: TextIO) -> None:
        self.console = console_for(out)
        self.rows: list[Roam] = []
        self.findings = 0
        self.status_text = Text("waiting for frames…")
        self.live = Live(self._render(), console=self.console, auto_refresh=False,
                         transient=True)
        self.live.start()

    def result(self, item: Roam | Finding) -> None:
        if isinstance(item, Roam):
            self.rows = [*self.rows[-(SHOWN - 1):], item]
        else:
            self.findings += 1
        self.live.update(self._render(), refresh=True)

    def warning(self, text: str) -> None:
        self.console.print(Text(f"warning: {text}", style="yellow"))

    def status(self, live: Any) -> None:
        channels = ", ".join(map(str, sorted(live.channels))) or "-"
        self.status_text = Text(
            f"{live.frames} frames, {live.drops} kernel drops, {self.findings} findings, "
            f"channels {channels}"
        )
        self.live.update(self._render(), refresh=True)

    def _render(self) -> Group:
        table = Table(title="Roams (live)", title_justify="left")
        for column in ("#", "time (UTC)", "sta", "from → to", "ch", "method", "outcome",
                       "control ms", "verdict", "failure"):
            table.add_column(column)
        for r in self.rows:
            d = r.to_dict()
            table.add_row(*(Text(str(v)) for v in (
                d["id"], clock(d["t_start"]), d["sta"],
                f"{d['from_bssid'] or '?'} → {d['to_bssid']}", d["channel_to"] or "-",
                d["method"], d["outcome"], _ms(d["latency_ms"].get("control_plane")),
                pmksa_label(d.get("pmksa")), failure_text(d),
            )))
        return Group(table, self.status_text)

    def abort(self) -> None:
        self.live.stop()

    def close(self, analysis: Analysis, live: dict[str, Any]) -> None:
        self.live.stop()
        self.console.print(self._render())
        self.console.print(Text(end_line(live, analysis_summary(analysis))))
        sensors = analysis.sensors
        for text in sensor_lines(None if sensors is None else sensors.to_dict()):
            self.console.print(Text(text))


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
