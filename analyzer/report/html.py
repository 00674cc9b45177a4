"""One self-contained HTML report from the DataFrames: charts as embedded PNG, tables of roams
and findings with verdicts coloured, a ladder per roam.

The page loads nothing: no script, no external stylesheet, font or image, and a
Content-Security-Policy that forbids them anyway. Every value is escaped with `html.escape`,
above all what came off the air (SSIDs, EAP identities, vendor strings).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from analyzer.report import charts
from analyzer.report.ladder import ladder
from analyzer.report.recovery import has_recovery, recovery_chart, recovery_html
from analyzer.report.safe import clean

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
MAX_TIMELINES = 12  # stations with a timeline chart, busiest first
MAX_LADDERS = 400  # attempts with a ladder in the HTML report (an inline SVG ladder: a few KB)
ROAM_COLUMNS = (
    "id", "sta", "from_bssid", "to_bssid", "ssid", "kind", "method", "trigger", "outcome",
    "latency_control_plane_ms", "latency_data_gap_ms", "missing_phases", "pmksa_verdict",
    "pmksa_as_expected", "pmksa_reason",
)
FINDING_COLUMNS = ("severity", "code", "frame", "sta", "bssid", "message")
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5em;color:#1a1a1a}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.2em .45em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.mono{font-family:ui-monospace,Menlo,Consolas,monospace}
.ok{background:#e3f4e4}.bad{background:#fbe1e1}.warn{background:#fff1d6}.unk{background:#eeeeee}
img{max-width:100%;height:auto;border:1px solid #eee;margin:.4em 0}
details{margin:.3em 0}summary{cursor:pointer}
.note{color:#555;font-size:.9em}.wide{overflow-x:auto;max-width:100%}
"""


def esc(value: Any) -> str:
    """Any cell as escaped text; null shows as an en dash."""
    import pandas as pd

    if value is None or (not isinstance(value, str | bytes) and bool(pd.isna(value))):
        return "\u2013"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return html.escape(clean(str(value)) or "", quote=True)  # controls shown as \xNN


def png_img(fig: Figure, alt: str) -> str:
    data = base64.b64encode(charts.figure_png(fig, dpi=90)).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def chart_set(tables: Mapping[str, pd.DataFrame], ladders: bool = True
              ) -> Iterator[tuple[str, Figure]]:
    """(file-safe name, figure) of every chart of the report."""
    roams = tables["roams"]
    yield "latency_breakdown", charts.latency_breakdown(roams)
    yield "latency_by_method", charts.latency_by_method(roams)
    yield "pmksa_verdicts", charts.pmksa_summary(roams)
    if has_recovery(roams):
        yield "recovery", recovery_chart(roams)
    for sta in busiest(roams)[:MAX_TIMELINES]:
        yield f"timeline_{sta.replace(':', '')}", charts.station_timeline(
            roams, tables.get("signal"), sta=sta, until=capture_end(tables))
    if ladders:
        for roam_id, fig in roam_ladders(roams, tables["frames"]):
            yield f"ladder_{roam_id}", fig


def capture_end(tables: Mapping[str, pd.DataFrame]) -> float | None:
    """The last timestamp of all captures, when known."""
    captures = tables.get("captures")
    if captures is None or captures.empty or captures["last_ts"].isna().all():
        return None
    return float(captures["last_ts"].max())


def busiest(roams: pd.DataFrame) -> list[str]:
    return [str(s) for s in roams["sta"].value_counts(sort=True).index]


def laddered(roams: pd.DataFrame) -> pd.DataFrame:
    """The attempts the HTML report draws a ladder for: all, or (thousands of attempts, as a
    flood of forged stations makes) MAX_LADDERS of them, those that failed or broke the
    expectations first, in id order."""
    if len(roams) <= MAX_LADDERS:
        return roams
    bad = (roams["outcome"] != "success") | (roams["pmksa_as_expected"] == False)  # noqa: E712
    order = roams.assign(_bad=bad.fillna(False).astype(bool)).sort_values(
        ["_bad", "id"], ascending=[False, True], kind="stable")
    return order.head(MAX_LADDERS).drop(columns="_bad").sort_values("id", kind="stable")


def roam_ladders(roams: pd.DataFrame, frames: pd.DataFrame) -> Iterator[tuple[int, Figure]]:
    for row in roams.to_dict("records"):
        yield int(row["id"]), ladder(row, frames[frames["roam_id"] == row["id"]])


SENSOR_COLUMNS = ("sensor", "name", "status", "via", "offset_s", "drift_ppm", "matched_frames",
                  "residual_us", "copies")


def render_report(tables: Mapping[str, pd.DataFrame], title: str) -> str:
    """The page: per-station cards first, then the attempts (verdict and outcome beside the
    station, sortable), findings grouped by code, charts, and a ladder per attempt as inline
    SVG."""
    from analyzer.report import page

    roams, findings = tables["roams"], tables["findings"]
    parts = [
        _head(title),
        f"<h1>{esc(title)}</h1>",
        page.station_cards(roams, findings),
        f"<h2>Attempts ({len(roams)})</h2>",
        page.attempts_table(roams),
        recovery_html(roams),
        f"<h2>Findings ({len(findings)})</h2>",
        page.findings_by_code(findings),
        "<h2>Charts</h2>",
        *(png_img(fig, name.replace("_", " ")) for name, fig in chart_set(tables, ladders=False)),
        "<h2>Captures</h2>",
        _summary(tables),
        "<h2>Ladder per attempt</h2>",
        *page.ladder_sections(roams, tables["frames"]),
        f"<script>{page.SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _head(title: str) -> str:
    from analyzer.report import page

    csp = f"{CSP}; script-src '{page.script_hash()}'"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}{page.STYLE}</style></head><body>"
    )


def _summary(tables: Mapping[str, pd.DataFrame]) -> str:
    roams, captures = tables["roams"], tables.get("captures")
    ok = int((roams["outcome"] == "success").fillna(False).sum())
    bad = int((roams["pmksa_as_expected"] == False).fillna(False).sum())  # noqa: E712
    rows = [
        ("attempts", len(roams)),
        ("successful", ok),
        ("stations", roams["sta"].nunique()),
        ("PMKSA verdicts not as expected", bad),
        ("findings", len(tables["findings"])),
    ]
    body = "".join(f"<tr><th>{esc(k)}</th><td class=\"num\">{esc(v)}</td></tr>" for k, v in rows)
    out = f"<table>{body}</table>"
    if captures is not None and not captures.empty:
        out += html_table(captures, ("path", "format", "frames", "malformed", "truncated"))
    sensors = tables.get("sensors")
    if sensors is not None and not sensors.empty:
        out += "<h2>Sensors: clocks against the reference</h2>"
        out += html_table(sensors, SENSOR_COLUMNS)
    return out


def html_table(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    if frame.empty:
        return '<p class="note">none</p>'
    cols = [c for c in columns if c in frame.columns]
    head = "".join(f"<th>{esc(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(_cell(c, row[c]) for c in cols) + "</tr>"
        for row in frame.to_dict("records")
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="wide">{table}</div>'


def _cell(column: str, value: Any) -> str:
    classes = [cls for cls in (_tone(column, value), _kind(column, value)) if cls]
    attr = f' class="{" ".join(classes)}"' if classes else ""
    return f"<td{attr}>{esc(value)}</td>"


def _kind(column: str, value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "num"
    return "mono" if column in ("sta", "bssid", "from_bssid", "to_bssid") else ""


_TONES = {
    "outcome": {"success": "ok", "failed": "bad", "incomplete": "warn"},
    "severity": {"info": "unk", "warning": "warn", "error": "bad"},
    "pmksa_as_expected": {True: "ok", False: "bad"},
    "status": {"reference": "ok", "aligned": "ok", "same_clock": "ok", "override": "unk",
               "unaligned": "bad"},
}


def _tone(column: str, value: Any) -> str:
    if column == "pmksa_verdict":
        return "" if not isinstance(value, str) else "unk" if value == "unknown" else ""
    try:
        return _TONES.get(column, {}).get(value, "")
    except TypeError:  # unhashable
        return ""


def _roam_line(row: Mapping[str, Any]) -> str:
    verdict = row.get("pmksa_verdict")
    tone = {True: "ok", False: "bad", None: "unk"}[flag_of(row.get("pmksa_as_expected"))]
    pmksa = "" if not isinstance(verdict, str) else (
        f' <span class="{tone}">PMKSA {esc(verdict)}</span>')
    return (
        f"#{esc(row['id'])} {esc(row['sta'])} {esc(row.get('from_bssid'))} \u2192 "
        f"{esc(row['to_bssid'])} \u00b7 SSID {esc(row.get('ssid'))} \u00b7 {esc(row['method'])} "
        f"\u00b7 {esc(row['outcome'])}{pmksa}"
    )


def flag_of(value: Any) -> bool | None:
    """A nullable boolean cell as True, False or None."""
    import pandas as pd

    return None if value is None or bool(pd.isna(value)) else bool(value)


def analysis_summary_html(title: str, roams: pd.DataFrame, findings: pd.DataFrame) -> str:
    """The notebook repr of an Analysis: counts and the roams table (no charts)."""
    return (
        f"<h4>{esc(title)}</h4>"
        + _summary({"roams": roams, "findings": findings})
        + html_table(roams, ROAM_COLUMNS)
    )


def roam_html(row: Mapping[str, Any], fig: Figure) -> str:
    """The notebook repr of a Roam: its line, key fields and the ladder."""
    fields = [c for c in ROAM_COLUMNS if c in row]
    body = "".join(f"<tr><th>{esc(c)}</th>{_cell(c, row[c])}</tr>" for c in fields)
    return f"<p>{_roam_line(row)}</p><table>{body}</table>{png_img(fig, 'ladder')}"
