"""Terminal rendering with rich. Every value is passed as Text, so nothing off the air is markup."""

from __future__ import annotations

from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text


def console_for(out: TextIO) -> Console:
    return Console(file=out, highlight=False, markup=False, emoji=False, soft_wrap=False)


def print_analysis(document: dict[str, Any], out: TextIO) -> None:
    console = console_for(out)
    console.print(_captures_table(document["captures"]))
    console.print(_counts_table(document["counts"]))
    if document["pmkids"]:
        console.print(_pmkid_table(document["pmkids"]))


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


def _counts_table(counts: dict[str, int]) -> Table:
    table = _table("Frames by type (retransmissions included)", "type", "count")
    for key, value in counts.items():
        if value:
            _row(table, key, value)
    return table


def _pmkid_table(pmkids: list[dict[str, Any]]) -> Table:
    table = _table("PMKIDs on the air", "frame", "time", "where", "sta", "bssid", "pmkid")
    for p in pmkids:
        _row(table, p["frame"], f"{p['ts']:.6f}", p["where"], p["sta"], p["bssid"], p["pmkid"])
    return table
