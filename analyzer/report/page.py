"""The parts of the HTML report a reader starts with: a card per station, the attempts table
(verdict and outcome beside the station, sortable by a small inline script allowed by its hash
in the Content-Security-Policy), findings grouped by code, and the ladders as inline SVG."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from analyzer.report.html import esc, flag_of
from analyzer.report.summary import percentile
from analyzer.report.svgladder import SVG_STYLE, ladder_svg

if TYPE_CHECKING:
    import pandas as pd

SCROLL_ROWS = 25  # a longer attempts table scrolls in its own box, its header kept in view
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SCRIPT = (
    "document.querySelectorAll('table.sortable').forEach(function(t){"
    "t.querySelectorAll('th').forEach(function(th,i){th.tabIndex=0;"
    "function go(){var b=t.tBodies[0],r=Array.prototype.slice.call(b.rows),"
    "d=th.getAttribute('aria-sort')==='ascending'?-1:1;"
    "t.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort')});"
    "th.setAttribute('aria-sort',d>0?'ascending':'descending');"
    "function v(row){var c=row.cells[i];return c.hasAttribute('data-v')?"
    "parseFloat(c.getAttribute('data-v')):c.textContent}"
    "r.sort(function(x,y){var a=v(x),c=v(y);if(typeof a==='number'&&typeof c==='number')"
    "{if(isNaN(a))return 1;if(isNaN(c))return -1;return (a-c)*d}"
    "return String(a).localeCompare(String(c))*d});"
    "r.forEach(function(x){b.appendChild(x)})}"
    "th.addEventListener('click',go);"
    "th.addEventListener('keydown',function(e){if(e.key==='Enter')go()})})});"
)
STYLE = """
.cards{display:flex;flex-wrap:wrap;gap:.8em;margin:.6em 0}
.card{border:1px solid #ccc;border-radius:6px;padding:.6em .9em;min-width:15em;max-width:22em}
.card h3{margin:0 0 .3em;font:600 1em ui-monospace,Menlo,Consolas,monospace}
.card dl{display:grid;grid-template-columns:auto auto;gap:.1em .8em;margin:0;font-size:.9em}
.card dd{margin:0;text-align:right;font-variant-numeric:tabular-nums}
.card.alert{border-color:#c62828;box-shadow:0 0 0 1px #c62828}
table.attempts{width:100%}table.attempts td.why{min-width:12em}
table.attempts td{white-space:nowrap}
table.attempts td.why,table.attempts td.ssid{white-space:normal;overflow-wrap:anywhere}
table.attempts td.ssid{max-width:12em}
th[tabindex]{cursor:pointer}
.scroll{max-height:75vh;overflow-y:auto}.scroll thead th{position:sticky;top:0;z-index:1}
th[aria-sort=ascending]::after{content:" \\25B2"}
th[aria-sort=descending]::after{content:" \\25BC"}
""" + SVG_STYLE


def script_hash() -> str:
    digest = hashlib.sha256(SCRIPT.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def _ms(value: Any) -> str:
    return "\u2013" if value is None or value != value else f"{value:.1f}"


def station_cards(roams: pd.DataFrame, findings: pd.DataFrame) -> str:
    """One card per station, busiest first: attempts, success, median control plane, and what
    needs a look (verdicts not as expected, not judged, failed attempts, findings)."""
    if roams.empty:
        return '<p class="note">no connection attempts in this capture</p>'
    cards = []
    for sta in roams["sta"].value_counts(sort=True).index:
        mine = roams[roams["sta"] == sta]
        cards.append(_card(str(sta), mine, findings))
    return f'<div class="cards">{"".join(cards)}</div>'


def _card(sta: str, mine: pd.DataFrame, findings: pd.DataFrame) -> str:
    ok = mine[(mine["outcome"] == "success").fillna(False)]
    measured = [float(v) for v in ok["latency_control_plane_ms"].dropna()]
    bad = int((mine["pmksa_as_expected"] == False).fillna(False).sum())  # noqa: E712
    unjudged = int(((mine["pmksa_verdict"] == "unknown").fillna(False)
                    | mine["pmksa_verdict"].isna()).sum())
    failed = int((mine["outcome"] == "failed").fillna(False).sum())
    found = int((findings["sta"] == sta).fillna(False).sum()) if not findings.empty else 0
    rows = [
        ("attempts", len(mine)),
        ("roams", int((mine["kind"] == "roam").fillna(False).sum())),
        ("successful", f"{len(ok)} of {len(mine)}"),
        ("median control plane", f"{_ms(percentile(measured, 50))} ms" if measured else "\u2013"),
        ("PMKSA not as expected", bad),
        ("PMKSA not judged", unjudged),
        ("failed", failed),
        ("findings", found),
        ("BSSIDs", mine["to_bssid"].nunique()),
    ]
    body = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    alert = " alert" if bad or failed else ""
    return f'<div class="card{alert}"><h3>{esc(sta)}</h3><dl>{body}</dl></div>'


YES_NO = {True: "yes", False: "no", None: "\u2013"}
ATTEMPT_HEADERS = ("#", "station", "PMKSA verdict", "as expected", "outcome", "method", "kind",
                   "from \u2192 to", "control plane (ms)", "data gap (ms)", "SSID",
                   "failure / verdict reason")


def attempts_table(roams: pd.DataFrame) -> str:
    if roams.empty:
        return '<p class="note">none</p>'
    head = "".join(f"<th>{esc(h)}</th>" for h in ATTEMPT_HEADERS)
    body = "".join(_attempt_row(r) for r in roams.sort_values("t_start").to_dict("records"))
    table = (f'<table class="sortable attempts"><thead><tr>{head}</tr></thead>'
             f"<tbody>{body}</tbody></table>")
    return f'<div class="scroll">{table}</div>' if len(roams) > SCROLL_ROWS else table


def _attempt_row(r: dict[str, Any]) -> str:
    expected = flag_of(r.get("pmksa_as_expected"))
    tone = {True: "ok", False: "bad", None: "unk"}[expected]
    verdict = r.get("pmksa_verdict")
    outcome_tone = {"success": "ok", "failed": "bad", "incomplete": "warn"}.get(
        str(r.get("outcome")), "")
    route = f"{esc(r.get('from_bssid'))} \u2192<br>{esc(r.get('to_bssid'))}"
    cells = [
        f'<td class="num" data-v="{esc(r["id"])}">{esc(r["id"])}</td>',
        f'<td class="mono">{esc(r["sta"])}</td>',
        f'<td class="{tone if isinstance(verdict, str) else ""}">{esc(verdict)}</td>',
        f'<td class="{tone}">{YES_NO[expected]}</td>',
        f'<td class="{outcome_tone}">{esc(r.get("outcome"))}</td>',
        f"<td>{esc(r.get('method'))}</td>",
        f"<td>{esc(r.get('kind'))}</td>",
        f'<td class="mono">{route}</td>',
        _num(r.get("latency_control_plane_ms")),
        _num(r.get("latency_data_gap_ms")),
        f'<td class="ssid">{esc(r.get("ssid"))}</td>',
        f'<td class="why">{esc(_why(r, expected))}</td>',
    ]
    return f'<tr id="attempt-{esc(r["id"])}">{"".join(cells)}</tr>'


def _num(value: Any) -> str:
    missing = value is None or value != value
    key = "NaN" if missing else f"{value}"
    return f'<td class="num" data-v="{key}">{_ms(None if missing else value)}</td>'


def _why(r: dict[str, Any], expected: bool | None) -> str | None:
    parts = [r.get("failure_reason")]
    if expected is not True and isinstance(r.get("pmksa_verdict"), str) and r.get(
            "pmksa_verdict") != "not_applicable":
        parts.append(f"{r['pmksa_verdict']}: {r.get('pmksa_reason')}")
    text = "; ".join(p for p in parts if isinstance(p, str) and p)
    return text or None


def findings_by_code(findings: pd.DataFrame) -> str:
    """One collapsible group per code, the most severe first, errors and warnings open."""
    if findings.empty:
        return '<p class="note">none</p>'
    groups = []
    order = sorted(findings.groupby("code", sort=True),
                   key=lambda kv: (min(SEVERITY_ORDER.get(s, 3) for s in kv[1]["severity"]),
                                   -len(kv[1])))
    for code, group in order:
        severity = min(group["severity"], key=lambda s: SEVERITY_ORDER.get(s, 3))
        tone = {"error": "bad", "warning": "warn"}.get(severity, "unk")
        rows = "".join(
            f'<tr><td class="num">{esc(f["frame"])}</td><td class="mono">{esc(f["sta"])}</td>'
            f'<td class="mono">{esc(f["bssid"])}</td><td>{esc(f["message"])}</td></tr>'
            for f in group.to_dict("records"))
        table = ("<table class=\"sortable\"><thead><tr><th>frame</th><th>station</th>"
                 f"<th>BSSID</th><th>message</th></tr></thead><tbody>{rows}</tbody></table>")
        opened = " open" if severity in ("error", "warning") else ""
        groups.append(f'<details{opened}><summary><span class="{tone}">{esc(severity)}</span> '
                      f"<b>{esc(code)}</b> \u00d7 {len(group)}</summary>{table}</details>")
    return "".join(groups)


def ladder_sections(roams: pd.DataFrame, frames: pd.DataFrame) -> Iterator[str]:
    """A ladder per attempt as inline SVG, at most html.MAX_LADDERS of them (those that failed
    or broke the expectations first), with a note saying how many are not drawn."""
    from analyzer.report import html

    if roams.empty:
        yield '<p class="note">no attempts</p>'
        return
    records = roams.to_dict("records")
    open_all = len(records) <= 5
    drawn = html.laddered(roams)
    if len(drawn) < len(roams):
        yield (f'<p class="note">{len(roams) - len(drawn)} of {len(roams)} attempts have no '
               f"ladder here: the report draws at most {html.MAX_LADDERS}, those that failed "
               "or broke the expectations first (`analyze --charts DIR` or the notebook's "
               "`roam(id).ladder()` draw any)</p>")
    by_roam = dict(tuple(frames.groupby("roam_id"))) if not frames.empty else {}
    for row in drawn.to_dict("records"):
        flag = " open" if open_all or flag_of(row.get("pmksa_as_expected")) is False else ""
        svg = ladder_svg(row, by_roam.get(row["id"], frames.iloc[:0]))
        yield f"<details{flag}><summary>{html._roam_line(row)}</summary>{svg}</details>"
