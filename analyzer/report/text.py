"""Terminal rendering with rich. Every value is passed as Text, so nothing off the air is markup."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from analyzer.report.safe import clean

PIPE_WIDTH = 180  # a file or pipe has no width; wide enough that MACs are never cut


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


def clock(ts: float | None) -> str:
    if ts is None:
        return "-"
    stamp = datetime.fromtimestamp(ts, tz=UTC)
    return stamp.strftime("%H:%M:%S.") + f"{stamp.microsecond:06d}"


def print_roams(document: dict[str, Any], out: TextIO) -> None:
    console = console_for(out)
    for station in document["stations"]:
        roams = [r for r in document["roams"] if r["sta"] == station["sta"]]
        if roams:
            console.print(_station_table(station["sta"], roams))
    console.print(_summary_table(document["summary"]))
    _print_recovery(document, console)
    if document["findings"]:
        console.print(_findings_table(document["findings"]))


def _print_recovery(document: dict[str, Any], console: Console) -> None:
    from analyzer.report.recovery import recovery_table

    table = recovery_table(document)
    if table is not None:
        console.print(table)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _station_table(sta: str, roams: list[dict[str, Any]]) -> Table:
    table = _table(
        f"Station {sta}",
        "#",
        "time (UTC)",
        "from → to",
        "ssid",
        "kind",
        "method",
        "outcome",
        "control ms",
        "eap ms",
        "4way ms",
        "data gap ms",
        "pmksa",
        "why",
    )
    for r in roams:
        lat = r["latency_ms"]
        route = f"{r['from_bssid'] or '?'} → {r['to_bssid']}"
        _row(
            table,
            r["id"],
            clock(r["t_start"]),
            route,
            clean(r["ssid"]),
            r["kind"],
            _method(r),
            r["outcome"],
            _ms(lat["control_plane"]),
            _ms(lat["eap"]),
            _ms(lat["4way"]),
            _ms(lat["data_gap"]),
            pmksa_label(r.get("pmksa")),
            r["failure_reason"],
        )
    return table


def _method(roam: dict[str, Any]) -> str:
    """The method, and under an FT AKM which FT step it was (never a bare psk/full_8021x)."""
    ft = roam.get("ft")
    if not ft:
        return str(roam["method"])
    if ft["initial"]:
        return f"{roam['method']} (FT initial)"
    if ft["transition"] == "not_captured":
        return f"{roam['method']} (FT auth not captured)"
    return str(roam["method"])


def _summary_table(summary: dict[str, Any]) -> Table:
    rate = summary["success_rate"]
    title = (
        f"Summary: {summary['attempts']} attempts, {summary['roams']} roams, "
        f"success {'-' if rate is None else f'{rate:.0%}'}"
    )
    table = _table(title, "method", "attempts", "measured", "median ms", "p95 ms")
    for method, s in summary["control_plane_ms"].items():
        _row(table, method, s["attempts"], s["measured"], _ms(s["median"]), _ms(s["p95"]))
    return table


def _findings_table(findings: list[dict[str, Any]]) -> Table:
    table = _table("Findings", "frame", "code", "severity", "sta", "bssid", "message")
    for f in findings:
        _row(table, f["frame"], f["code"], f["severity"], f["sta"], f["bssid"], clean(f["message"]))
    return table


def pmksa_label(pmksa: dict[str, Any] | None) -> str:
    """The verdict, marked with '!' when it is not what the expectations say."""
    if not pmksa:
        return "-"
    verdict = pmksa["verdict"]
    if verdict == "not_applicable":
        return "n/a"
    return verdict if pmksa.get("as_expected", True) is not False else f"{verdict} !"
