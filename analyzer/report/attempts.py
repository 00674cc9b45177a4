"""The attempts of one station as a terminal table that fits the console's width.

Nothing an engineer reads a roam by is ever cut: MAC addresses, method, outcome and verdict
keep their full text. As the width shrinks, columns are dropped by priority (ssid, then the
per-phase latencies, kind, keys), times become relative to the capture start and the route and
method fold onto two lines; where even the essential columns do not fit, each attempt is
printed as one block of lines instead of a table row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from analyzer.report.safe import clean

Row = dict[str, Any]
NOT_JUDGED = {"unknown"}


@dataclass(frozen=True, slots=True)
class Context:
    """What the cells need besides the roam: the time origin and the key checks."""

    origin: float | None  # the capture's first timestamp (relative times)
    keys: dict[tuple[Any, int], str]  # (capture, roam id) -> "MIC ✓ PMKID –"
    absolute: bool = True  # times of day (UTC) or relative to the capture start
    folded: bool = False  # route and method on two lines


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    cell: Callable[[Row, Context], str]
    essential: bool = False  # never dropped (and never cut)
    wraps: bool = False  # free text: may wrap at spaces (never cut mid-word)
    min_width: int = 24  # a wrapping column's narrowest


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def clock(ts: float | None) -> str:
    from datetime import UTC, datetime

    if ts is None:
        return "-"
    stamp = datetime.fromtimestamp(ts, tz=UTC)
    return stamp.strftime("%H:%M:%S.") + f"{stamp.microsecond:06d}"


def relative(ts: float | None, origin: float | None) -> str:
    if ts is None or origin is None:
        return clock(ts)
    return f"+{ts - origin:.3f}s"


def method_label(roam: Row, folded: bool = False) -> str:
    """The method, and under an FT AKM which FT step it was (never a bare psk/full_8021x)."""
    ft = roam.get("ft")
    step = ""
    if ft and ft["initial"]:
        step = "(FT initial)"
    elif ft and ft["transition"] == "not_captured":
        step = "(FT auth not captured)"
    if not step:
        return str(roam["method"])
    return f"{roam['method']}{chr(10) if folded else ' '}{step}"


def pmksa_label(pmksa: dict[str, Any] | None) -> str:
    """The verdict, marked with '!' when it is not what the expectations say."""
    if not pmksa:
        return "-"
    verdict = pmksa["verdict"]
    if verdict == "not_applicable":
        return "n/a"
    return verdict if pmksa.get("as_expected", True) is not False else f"{verdict} !"


def failure_text(roam: Row) -> str:
    """Why the attempt failed, and the verdict's reason when it is unexpected or unknown."""
    parts = []
    if roam.get("failure_reason"):
        parts.append(str(roam["failure_reason"]))
    pmksa = roam.get("pmksa") or {}
    if pmksa and (pmksa.get("as_expected") is False or pmksa.get("verdict") in NOT_JUDGED):
        parts.append(f"{pmksa['verdict']}: {pmksa['reason']}")
    return clean("; ".join(parts)) or "-"


def _route(roam: Row, ctx: Context) -> str:
    joint = " →\n" if ctx.folded else " → "
    return f"{roam['from_bssid'] or '?'}{joint}{roam['to_bssid']}"


def _time(roam: Row, ctx: Context) -> str:
    return clock(roam["t_start"]) if ctx.absolute else relative(roam["t_start"], ctx.origin)


def _keys(roam: Row, ctx: Context) -> str:
    text = ctx.keys.get((roam.get("capture"), roam["id"]), "MIC – PMKID –")
    return text.replace(" P", "\nP") if ctx.folded else text


def _lat(name: str) -> Callable[[Row, Context], str]:
    return lambda roam, _ctx: ms(roam["latency_ms"].get(name))


COLUMNS: dict[str, Column] = {
    "#": Column("#", lambda r, _c: str(r["id"]), essential=True),
    "time": Column("time (UTC)", _time, essential=True),
    "route": Column("from → to", _route, essential=True),
    "ssid": Column("ssid", lambda r, _c: clean(r["ssid"]) or "-", wraps=True, min_width=16),
    "kind": Column("kind", lambda r, _c: str(r["kind"])),
    "method": Column("method", lambda r, c: method_label(r, c.folded), essential=True),
    "outcome": Column("outcome", lambda r, _c: str(r["outcome"]), essential=True),
    "control": Column("control ms", _lat("control_plane")),
    "eap": Column("eap ms", _lat("eap")),
    "4way": Column("4way ms", _lat("4way")),
    "gap": Column("data gap ms", _lat("data_gap")),
    "verdict": Column("verdict", lambda r, _c: pmksa_label(r.get("pmksa")), essential=True),
    "keys": Column("keys", _keys),
    "failure": Column("failure", lambda r, _c: failure_text(r), wraps=True),
}
ORDER = tuple(COLUMNS)
DROP_FIRST = ("ssid", "gap", "eap", "4way", "kind", "keys", "failure", "control")


def _widths(names: Sequence[str], roams: Sequence[Row], ctx: Context) -> dict[str, int]:
    widths = {}
    for name in names:
        col = COLUMNS[name]
        cells = [header(name, ctx)] + [col.cell(r, ctx) for r in roams]
        widest = max(len(line) for cell in cells for line in cell.split("\n"))
        widths[name] = min(widest, col.min_width) if col.wraps else widest
    return widths


def table_width(widths: dict[str, int]) -> int:
    """Rich's width for a boxed table with one space of padding each side of each cell."""
    return sum(w + 3 for w in widths.values()) + 1


def choose(roams: Sequence[Row], width: int, ctx: Context) -> tuple[list[str], Context] | None:
    """The columns and cell forms that fit `width`, or None when one block per attempt is
    needed. Times of day, then relative times, then route and method folded; in each form
    columns are dropped by priority, but never the essential ones (never cut either), nor the
    failure column while an attempt has a reason to read."""
    need_failure = any(failure_text(r) != "-" for r in roams)
    forms = (ctx, Context(ctx.origin, ctx.keys, absolute=False),
             Context(ctx.origin, ctx.keys, absolute=False, folded=True))
    for form in forms:
        names = [n for n in ORDER if need_failure or n != "failure"]  # no empty column
        for n, drop in enumerate((None, *DROP_FIRST)):
            if drop is not None and drop in names:
                names.remove(drop)
            if need_failure and "failure" not in names:
                break
            if table_width(_widths(names, roams, form)) <= width:
                dropped = [d for d in DROP_FIRST[:n] if need_failure or d != "failure"]
                return _readd(names, dropped, roams, width, form), form
    return None


def _readd(names: list[str], dropped: Sequence[str], roams: Sequence[Row], width: int,
           ctx: Context) -> list[str]:
    """Put back the dropped columns that still fit, the most important first."""
    for name in reversed(dropped):
        trial = _insert(names, name)
        if table_width(_widths(trial, roams, ctx)) <= width:
            names = trial
    return names


def header(name: str, ctx: Context) -> str:
    if name == "time" and not ctx.absolute:
        return "since start"
    return COLUMNS[name].header


def _insert(names: list[str], name: str) -> list[str]:
    return [n for n in ORDER if n in names or n == name]


def station_view(title: str, roams: Sequence[Row], width: int, ctx: Context) -> RenderableType:
    """One station's attempts: a table that fits `width`, or one block per attempt."""
    chosen = choose(roams, width, ctx)
    if chosen is None:
        return Group(Text(title, style="italic"), *(attempt_block(r, ctx) for r in roams))
    names, form = chosen
    table = Table(title=title, title_justify="left")
    widths = _widths(names, roams, form)
    for name in names:
        col = COLUMNS[name]
        if col.wraps:
            table.add_column(header(name, form), overflow="fold", min_width=widths[name])
        else:
            table.add_column(header(name, form), no_wrap=True, min_width=widths[name])
    for roam in roams:
        table.add_row(*(Text(COLUMNS[n].cell(roam, form)) for n in names))
    return table


def attempt_block(roam: Row, ctx: Context) -> Text:
    """One attempt as a few short lines (narrow terminals): nothing cut, long text wraps."""
    lat = roam["latency_ms"]
    phases = " · ".join(f"{label} {ms(lat.get(key))}" for key, label in (
        ("control_plane", "control"), ("eap", "eap"), ("4way", "4way"), ("data_gap", "data gap")))
    lines = [
        f"#{roam['id']}  {relative(roam['t_start'], ctx.origin)}  {roam['kind']}  "
        f"{method_label(roam)}  {roam['outcome']}",
        f"  {roam['from_bssid'] or '?'} → {roam['to_bssid']}",
        f"  verdict {pmksa_label(roam.get('pmksa'))}  keys "
        f"{ctx.keys.get((roam.get('capture'), roam['id']), 'MIC – PMKID –')}  "
        f"ssid {clean(roam['ssid']) or '-'}",
        f"  ms: {phases}",
    ]
    failure = failure_text(roam)
    if failure != "-":
        lines.append(f"  failure: {failure}")
    return Text("\n".join(lines))


def key_marks(document: dict[str, Any]) -> dict[tuple[Any, int], str]:
    """Per attempt: its M2's MIC and the PMKIDs it carried, verified ✓, refuted ✗ or not
    checked – (no key applies)."""
    many = any("capture" in r for r in document["roams"])
    pmkids: dict[tuple[Any, str, str], list[dict[str, Any]]] = {}
    for p in document.get("pmkids", []):
        where = p.get("capture") if many else None
        pmkids.setdefault((where, p["sta"], p["bssid"]), []).append(p)
    marks = {}
    for roam in document["roams"]:
        frames = set(roam.get("frames", ()))
        seen = pmkids.get((roam.get("capture"), roam["sta"], roam["to_bssid"]), [])
        verified = [p["verified"] for p in seen if p["frame"] in frames]
        marks[(roam.get("capture"), roam["id"])] = (
            f"MIC {_mark([roam.get('mic_valid')])} PMKID {_mark(verified)}")
    return marks


def _mark(values: Iterable[bool | None]) -> str:
    values = list(values)
    if False in values:
        return "✗"
    return "✓" if True in values else "–"
