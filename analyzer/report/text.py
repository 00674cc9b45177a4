"""Terminal rendering with rich. Every value is passed as Text, so nothing off the air is markup."""

from __future__ import annotations

from typing import Any, TextIO

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from analyzer.report.attempts import Context, clock, key_marks, ms, pmksa_label, station_view
from analyzer.report.check import plural
from analyzer.report.safe import clean

__all__ = ["clock", "console_for", "pmksa_label", "print_analysis", "print_pmkids", "print_roams"]

PIPE_WIDTH = 240  # a file or pipe has no width: wide enough for every column of the table


def console_for(out: TextIO) -> Console:
    width = None if out.isatty() else PIPE_WIDTH
    return Console(
        file=out, width=width, highlight=False, markup=False, emoji=False, soft_wrap=False
    )


def print_analysis(document: dict[str, Any], out: TextIO) -> None:
    console = console_for(out)
    console.print(_captures_table(document["captures"]))
    counts = ", ".join(f"{k} {v}" for k, v in document["counts"].items() if v)
    console.print(Text(f"Frames by type: {counts or 'none'}"))


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    return table


def _row(table: Table, *values: object) -> None:
    table.add_row(*(Text("-" if v is None else str(v)) for v in values))


def _captures_table(captures: list[dict[str, Any]]) -> Table:
    table = _table("Captures", "path", "format", "linktypes", "frames", "malformed", "truncated")
    table.columns[0].overflow = "fold"
    for c in captures:
        _row(
            table,
            c["path"],
            c["format"],
            ",".join(map(str, c["linktypes"])),
            c["frames"],
            c["malformed"],
            "yes" if c["truncated"] else "no",
        )
    return table


def print_pmkids(pmkids: list[dict[str, Any]], out: TextIO) -> None:
    table = _table("PMKIDs on the air", "frame", "time (UTC)", "where", "sta", "bssid", "pmkid")
    for p in pmkids:
        _row(table, p["frame"], clock(p["ts"]), p["where"], p["sta"], p["bssid"], p["pmkid"])
    console_for(out).print(table)


def print_roams(document: dict[str, Any], out: TextIO, sta: str | None = None) -> None:
    """One view per (capture or site, station), attempts in time order, then the summary and
    the findings; each fits the console's width (analyzer.report.attempts)."""
    console = console_for(out)
    keys = key_marks(document)
    for title, origin, roams in roam_groups(document):
        ctx = Context(origin, keys)
        console.print(station_view(title, roams, console.width, ctx))
    if sta and not document["roams"]:
        n = len(document["captures"])
        console.print(Text(f"Station {sta}: no connection attempts in {plural(n, 'capture')}"))
    console.print(_summary_table(document["summary"]))
    _print_recovery(document, console)
    if document["findings"]:
        console.print(findings_view(document["findings"], console.width))


def roam_groups(document: dict[str, Any]) -> list[tuple[str, float | None, list[dict[str, Any]]]]:
    """(title, time origin, attempts in time order) per station, and per capture or site when
    the document holds several independent ones."""
    captures = document["captures"]
    groups: dict[tuple[Any, str], list[dict[str, Any]]] = {}
    for roam in document["roams"]:
        where = roam.get("site", roam.get("capture"))
        groups.setdefault((where, roam["sta"]), []).append(roam)
    out = []
    for (where, sta), roams in groups.items():
        roams.sort(key=lambda r: (r["t_start"] is None, r["t_start"] or 0.0, r["id"]))
        origin = _origin(captures, roams[0])
        if where is None:
            title = f"Station {sta}"
        elif "site" in roams[0]:
            title = f"Station {sta} at site {clean(str(where))}"
        else:
            title = f"Station {sta} in {clean(captures[where]['path'])}"
        out.append((title, origin, roams))
    return out
def _print_recovery(document: dict[str, Any], console: Console) -> None:
    from analyzer.report.recovery import recovery_table

    table = recovery_table(document)
    if table is not None:
        console.print(table)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _origin(captures: list[dict[str, Any]], roam: dict[str, Any]) -> float | None:
    """The first timestamp of the roam's capture (of the first capture for merged sensors)."""
    index = roam.get("capture")
    chosen = captures[index] if isinstance(index, int) and index < len(captures) else (
        captures[0] if captures else None)
    return None if chosen is None else chosen.get("first_ts")


def _summary_table(summary: dict[str, Any]) -> RenderableType:
    rate = summary["success_rate"]
    title = (
        f"Summary: {plural(summary['attempts'], 'attempt')}, {plural(summary['roams'], 'roam')}, "
        f"success {'-' if rate is None else f'{rate:.0%}'}"
    )
    if not summary["control_plane_ms"]:
        return Text(title)
    table = _table(title, "method", "attempts", "measured", "median ms", "p95 ms")
    for method, s in summary["control_plane_ms"].items():
        _row(table, method, s["attempts"], s["measured"], ms(s["median"]), ms(s["p95"]))
    return table


FINDINGS_TABLE_MIN = 140  # narrower: one block per finding


def findings_view(findings: list[dict[str, Any]], width: int) -> RenderableType:
    """The findings as a table on wide terminals, else two lines each (nothing cut)."""
    if width >= FINDINGS_TABLE_MIN:
        table = _table("Findings", "frame", "code", "severity", "sta", "bssid", "message")
        table.columns[-1].overflow = "fold"
        for f in findings:
            _row(table, f["frame"], f["code"], f["severity"], f["sta"], f["bssid"],
                 clean(f["message"]))
        return table
    lines = [Text("Findings", style="italic")]
    for f in findings:
        lines.append(Text(f"{f['severity']} {f['code']}  frame {f['frame'] or '-'}  "
                          f"{f['sta'] or '-'} → {f['bssid'] or '-'}\n  {clean(f['message'])}"))
    return Group(*lines)


