"""Charts of the roams table (`analyzer.report.dataframes.ROAM_SCHEMA`); each returns a Figure.

matplotlib is imported inside the functions and only the object-oriented API is used
(`matplotlib.figure.Figure`, no pyplot state), so nothing leaks between calls. Text that came
off the air goes through `plain()` so a `$` in an SSID is never read as mathtext.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from analyzer.report.summary import percentile
from analyzer.roam.records import PHASE_NAMES, PMKSA_VERDICTS

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as Figure

PHASE_LABELS = {
    "probe": "probe (scan)", "auth": "authentication", "assoc": "(re)association",
    "eap": "EAP", "4way": "4-way handshake", "first_data": "to first data",
}
PHASE_COLOURS = {
    "probe": "#b0b0b0", "auth": "#4e79a7", "assoc": "#f28e2b", "eap": "#e15759",
    "4way": "#76b7b2", "first_data": "#59a14f",
}
OUTCOME_COLOURS = {"success": "#2e7d32", "failed": "#c62828", "incomplete": "#ef6c00"}
EXPECTED_MARKERS = {True: ("o", "PMKSA as expected"), False: ("X", "PMKSA not as expected"),
                    None: ("s", "PMKSA not judged / unknown")}
TICKS_MAX = 30  # roam labels on the x axis before they are thinned
LABELS_MAX = 80  # attempts on a timeline that still get their #id written beside the marker


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def plain(text: object) -> str:
    """Text safe for matplotlib: `$` escaped (no mathtext), control characters but line
    breaks shown as escapes."""
    from analyzer.report.safe import clean

    lines = str(text).split("\n")
    return "\n".join((clean(line) or "").replace("$", r"\$") for line in lines)


def new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def empty_note(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes,
            color="#555555", fontsize=11, parse_math=False)
    ax.set_xticks([])
    ax.set_yticks([])


def _values(series: pd.Series) -> Any:
    return series.to_numpy(dtype="float64", na_value=math.nan)


CONTROL_PHASES = ("auth", "assoc", "eap", "4way")


def latency_breakdown(roams: pd.DataFrame, log: bool = False) -> Figure:
    """One stacked bar per attempt, a segment per phase: above the whole handoff (scan to
    first data), below the control plane alone (authentication to 4-way) so its phases stay
    visible beside a long scan; an x where a phase the method needs was not captured."""
    n = len(roams)
    fig = new_figure(min(16.0, max(8.0, 0.3 * n + 3)), 7.5)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(1, 1))
    fig.suptitle(f"Latency by phase, per attempt ({_plural(n, 'attempt')})")
    if n == 0:
        empty_note(top, "no connection attempts in this capture")
        bottom.set_axis_off()
        return fig
    long_scans = _long_scans(roams)
    whole = _stack(top, roams, PHASE_NAMES, skip=long_scans)
    title = "whole handoff: scan, control plane, first data"
    if long_scans:
        title += (f"; {_plural(len(long_scans), 'scan')} over {SCAN_MAX_MS / 1000:g} s not "
                  "counted (not part of the roam)")
    top.set_title(title, fontsize=10)
    heights = _stack(bottom, roams, CONTROL_PHASES)
    bottom.set_title("control plane only: authentication to 4-way handshake", fontsize=10)
    _missing_marks(bottom, roams, heights)
    _roam_ticks(bottom, roams)
    for ax, totals in ((top, whole), (bottom, heights)):
        ax.set_ylabel("time (ms)")
        ax.grid(True, axis="y", alpha=0.3)
        if log:
            ax.set_yscale("log")
        else:
            clip_outliers(ax, totals)
    bottom.set_xlabel("attempt (#id, method)" if n <= TICKS_MAX else "attempt (#id)")
    handles, labels = top.get_legend_handles_labels()
    extra = bottom.get_legend_handles_labels()
    handles += [h for h, lb in zip(*extra, strict=True) if lb not in labels]
    labels += [lb for lb in extra[1] if lb not in labels]
    top.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9,
               title="phase")
    return fig


SCAN_MAX_MS = 3000.0  # a longer scan is the station idling, not a phase of its roam
CLIP_FACTOR = 5.0  # a bar taller than this many times the typical one is clipped


def _long_scans(roams: pd.DataFrame) -> set[int]:
    values = _values(roams["phase_probe_ms"])
    return {i for i, v in enumerate(values) if v == v and v > SCAN_MAX_MS}


def clip_outliers(ax: Axes, totals: Any) -> list[int]:
    """Keep the axis on the bulk of the bars, so one 60-second outlier does not flatten the
    rest: bars over CLIP_FACTOR times the typical one are cut at the top with their value
    written there. Returns the clipped bars' positions."""
    seen = sorted(float(t) for t in totals if t > 0)
    if len(seen) < 3:
        return []
    typical = percentile(seen, 50 if len(seen) < 10 else 90)
    cut = CLIP_FACTOR * max(typical, 0.001)
    if seen[-1] <= cut:
        return []
    ceiling = max(v for v in seen if v <= cut) * 1.25
    ax.set_ylim(0, ceiling)
    clipped = [i for i, total in enumerate(totals) if total > ceiling]
    for i in clipped:
        ax.annotate(f"{totals[i]:,.0f} ms ↑", (i, ceiling), xytext=(0, -4),
                    textcoords="offset points", ha="center", va="top", fontsize=8,
                    rotation=90, color="#b71c1c", gid=f"clipped:{i}",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    return clipped


def _stack(ax: Axes, roams: pd.DataFrame, phases: Sequence[str],
           skip: set[int] = frozenset()) -> Any:  # type: ignore[assignment]
    """Stacked bars of the phases' durations (a scan in `skip` left out); returns each bar's
    total height."""
    import numpy as np

    n = len(roams)
    x = np.arange(n)
    top = np.zeros(n)
    for phase in phases:
        values = _values(roams[f"phase_{phase}_ms"])
        if phase == "probe" and skip:
            values = values.copy()
            values[list(skip)] = math.nan
        seen = ~np.isnan(values)
        if seen.any():
            bars = ax.bar(x[seen], values[seen], bottom=top[seen], width=0.8, linewidth=0,
                          label=PHASE_LABELS[phase], color=PHASE_COLOURS[phase])
            for bar in bars:
                bar.set_gid(f"phase:{phase}")
            top[seen] += values[seen]
    ax.set_xlim(-0.6, max(n, 4) - 0.4)  # a lone attempt keeps a bar's width
    return top


def _missing_marks(ax: Axes, roams: pd.DataFrame, top: Any) -> None:
    import numpy as np

    x = np.arange(len(roams))
    gaps = roams["missing_phases"].fillna("").to_numpy(dtype=object)
    where = [i for i, g in enumerate(gaps) if g]
    if not where:
        return
    lift = max(top.max(), 1.0) * 0.02
    ax.set_ylim(0, max(top.max(), 1.0) * 1.15)
    marks = ax.scatter(x[where], top[where] + lift, marker="x", color="black", zorder=3,
                       label="phase not captured")
    marks.set_gid("missing")
    if len(roams) <= 12:
        for i in where:
            names = ", ".join(PHASE_LABELS[g] for g in gaps[i].split(","))
            ax.annotate(plain(f"no {names}"), (x[i], top[i] + lift),
                        xytext=(0, 6), textcoords="offset points", ha="center", fontsize=8)


def _roam_ticks(ax: Axes, roams: pd.DataFrame) -> None:
    import numpy as np

    x = np.arange(len(roams))
    ids = roams["id"].astype("string").fillna("?").tolist()
    n = len(ids)
    if n <= TICKS_MAX:
        methods = roams["method"].fillna("?").tolist()
        labels = [f"#{i}\n{plain(m)}" for i, m in zip(ids, methods, strict=True)]
        ax.set_xticks(x, labels=labels, fontsize=8, rotation=90 if n > 10 else 0)
        return
    step = math.ceil(n / TICKS_MAX)
    ax.set_xticks(x[::step], labels=[f"#{i}" for i in ids[::step]], fontsize=8, rotation=90)


def latency_by_method(
    roams: pd.DataFrame,
    metric: str = "control_plane",
    thresholds: Mapping[str, float] | None = None,
) -> Figure:
    """Empirical CDF of a latency per method (successful attempts), expectation limits dashed.

    Limits come from `thresholds` or else from the roams table's `max_roam_ms` column."""
    import numpy as np
    from matplotlib import colormaps

    fig = new_figure(9.0, 5.0)
    ax = fig.add_subplot()
    column = f"latency_{metric}_ms"
    ok = roams[(roams["outcome"] == "success").fillna(False) & roams[column].notna()]
    ax.set_title(f"{metric.replace('_', '-')} latency by method ({len(ok)} measured attempts)")
    if ok.empty:
        empty_note(ax, "no measured latencies (no successful attempt with both ends captured)")
        return fig
    limits = dict(thresholds) if thresholds is not None else _limits(roams)
    groups = list(ok.groupby("method", sort=True))
    if min(len(g) for _m, g in groups) < CDF_MIN_POINTS:
        _dots(ax, groups, column, limits)
        ax.set_title(f"{metric.replace('_', '-')} latency by method ({len(ok)} measured "
                     f"attempts; a CDF needs {CDF_MIN_POINTS} per method)")
        return fig
    colours = colormaps["tab10"]
    for k, (method, group) in enumerate(groups):
        values = np.sort(_values(group[column]))
        frac = np.arange(1, len(values) + 1) / len(values)
        colour = colours(k % 10)
        label = plain(f"{method} (n={len(values)}, median {percentile(values, 50):.1f} ms)")
        line = ax.step(np.r_[values[0], values], np.r_[0.0, frac], where="post", color=colour,
                       label=label, linewidth=2, marker="o" if len(values) <= 20 else None,
                       markersize=4)[0]
        line.set_gid(f"cdf:{method}")
        limit = limits.get(str(method), limits.get("default"))
        if limit is not None:
            ax.axvline(limit, color=colour, linestyle="--", linewidth=1.2,
                       label=plain(f"{method} limit {limit:g} ms"), gid=f"limit:{method}")
    if not limits:
        ax.plot([], [], " ", label="no max_roam_ms expectation given")
    _cdf_axes(ax, _values(ok[column]), limits.values())
    return fig


CDF_MIN_POINTS = 5  # fewer measured attempts of a method: each one shown as a dot


def _dots(ax: Axes, groups: list[tuple[Any, pd.DataFrame]], column: str,
          limits: Mapping[str, float]) -> None:
    """Too few points for a CDF: one row per method, a dot per attempt (labelled #id), its
    median as a bar and its limit dashed."""
    from matplotlib import colormaps

    colours = colormaps["tab10"]
    values_all = []
    for k, (method, group) in enumerate(groups):
        values = _values(group[column])
        values_all.extend(values)
        colour = colours(k % 10)
        dots = ax.scatter(values, [k] * len(values), color=colour, s=40, zorder=3,
                          label=plain(f"{method} (n={len(values)}, median "
                                      f"{percentile(list(values), 50):.1f} ms)"))
        dots.set_gid(f"dots:{method}")
        for value, rid in zip(values, group["id"], strict=True):
            ax.annotate(f"#{rid}", (value, k), xytext=(0, 7), textcoords="offset points",
                        ha="center", fontsize=7)
        ax.plot([percentile(list(values), 50)] * 2, [k - 0.3, k + 0.3], color=colour,
                linewidth=2, gid=f"median:{method}")
        limit = limits.get(str(method), limits.get("default"))
        if limit is not None:
            ax.plot([limit, limit], [k - 0.4, k + 0.4], color=colour, linestyle="--",
                    label=plain(f"{method} limit {limit:g} ms"), gid=f"limit:{method}")
    ax.set_yticks(range(len(groups)), labels=[plain(m) for m, _g in groups])
    ax.set_ylim(-0.7, len(groups) - 0.3)
    span = [v for v in values_all + list(limits.values()) if v and v > 0]
    if span and max(span) / min(span) > 50:
        ax.set_xscale("log")
    ax.set_xlabel("latency (ms)")
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)


def _limits(roams: pd.DataFrame) -> dict[str, float]:
    have = roams[roams["max_roam_ms"].notna()]
    return {str(m): float(g["max_roam_ms"].min()) for m, g in have.groupby("method")}


def _cdf_axes(ax: Axes, values: Any, limits: Any) -> None:
    span = [v for v in list(values) + list(limits) if v and v > 0]
    if span and max(span) / min(span) > 50:
        ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("fraction of attempts at or below")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)


def pmksa_summary(roams: pd.DataFrame) -> Figure:
    """Attempts per PMKSA verdict, split by whether the verdict was what the expectations say."""
    from matplotlib.ticker import MaxNLocator

    n = len(roams)
    judged = roams[roams["pmksa_verdict"].notna()]
    fig = new_figure(9.0, 1.6 + 0.45 * max(judged["pmksa_verdict"].nunique(), 3))
    ax = fig.add_subplot()
    ax.set_title(f"PMKSA caching verdicts ({len(judged)} of {n} attempts judged)")
    if n == 0:
        empty_note(ax, "no connection attempts in this capture")
        return fig
    if judged.empty:
        empty_note(ax, f"no PMKSA verdicts for the {n} attempts")
        return fig
    order = [v for v in PMKSA_VERDICTS if v in set(judged["pmksa_verdict"])]
    order += sorted(set(judged["pmksa_verdict"]) - set(order))
    left = [0] * len(order)
    for state, (label, colour) in _EXPECTED_BARS.items():
        counts = [_count(judged, v, state) for v in order]
        bars = ax.barh(order, counts, left=left, color=colour, label=label)
        for bar in bars:
            bar.set_gid(f"expected:{state}")
        left = [a + b for a, b in zip(left, counts, strict=True)]
    for y, total in enumerate(left):
        ax.annotate(str(total), (total, y), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel("attempts")
    ax.set_ylabel("verdict")
    ax.set_xlim(0, max(left) * 1.12 + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    return fig


_EXPECTED_BARS = {
    "yes": ("as expected", "#2e7d32"),
    "no": ("not as expected", "#c62828"),
    "unknown": ("cannot tell", "#9e9e9e"),
}


def _count(judged: pd.DataFrame, verdict: str, state: str) -> int:
    rows = judged[judged["pmksa_verdict"] == verdict]["pmksa_as_expected"]
    if state == "unknown":
        return int(rows.isna().sum())
    return int((rows == (state == "yes")).fillna(False).sum())


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def figure_svg(fig: Figure) -> str:
    import io

    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()


def busiest_station(roams: pd.DataFrame) -> str | None:
    """The station with the most attempts (ties: the first seen)."""
    if roams.empty:
        return None
    return str(roams["sta"].value_counts(sort=True).index[0])


def station_timeline(
    roams: pd.DataFrame,
    frames: pd.DataFrame | None = None,
    sta: str | None = None,
    until: float | None = None,
) -> Figure:
    """One lane per BSSID: where the station was associated, each attempt a marker coloured by
    outcome and shaped by PMKSA verdict; the station's signal at the sensor when radiotap has it
    (`frames`: ts, ta, signal_dbm). `until`: the capture's end, where the last association ends."""
    sta = sta or busiest_station(roams)
    mine = roams[roams["sta"] == sta].sort_values("t_start") if sta else roams.iloc[:0]
    lanes = _lanes(mine)
    t0 = float(mine["t_start"].min()) if not mine.empty else 0.0
    signal = _signal(frames, sta, t0)
    height = max(3.0, 1.2 + 0.45 * len(lanes))
    fig = new_figure(12.0, height + (2.0 if not signal.empty else 0.0))
    if signal.empty:
        ax = fig.add_subplot()
    else:
        ax, panel = fig.subplots(2, 1, sharex=True, height_ratios=(height, 2.0))
    ax.set_title(plain(f"Station {sta or '-'}: {len(mine)} attempts on {len(lanes)} BSSIDs"))
    if mine.empty:
        empty_note(ax, "no connection attempts in this capture")
        return fig
    t_last = float(mine["t_end"].max())
    if until is not None and until == until:  # not NaN
        t_last = max(t_last, until)
    if not signal.empty:
        t_last = max(t_last, float(signal["ts"].max()))
    _draw_lanes(ax, mine, lanes, t0, t_last)
    _draw_markers(ax, mine, lanes, t0)
    ax.set_yticks(range(len(lanes)), labels=[plain(b) for b in lanes], fontfamily="monospace")
    ax.set_ylim(-0.7, len(lanes) - 0.3)
    ax.set_ylabel("BSSID")
    xlabel = f"time since first attempt (s); t0 = {_clock(t0)} UTC"
    if signal.empty:
        ax.set_xlabel(xlabel)
    else:
        _draw_signal(panel, signal, t0)
        panel.set_xlabel(xlabel)
    _timeline_legend(ax, with_signal=not signal.empty)
    return fig


def _lanes(mine: pd.DataFrame) -> list[str]:
    seen: dict[str, None] = {}
    for _, row in mine.iterrows():
        for bssid in (row["from_bssid"], row["to_bssid"]):
            if isinstance(bssid, str):
                seen.setdefault(bssid)
    return list(seen)


def _clock(ts: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _draw_lanes(ax: Axes, mine: pd.DataFrame, lanes: list[str], t0: float, t_last: float) -> None:
    """Associated spans: from each successful attempt's end to the next attempt's start."""
    spans: dict[str, list[tuple[float, float]]] = {b: [] for b in lanes}
    rows = list(mine.itertuples(index=False))
    for k, row in enumerate(rows):
        if row.outcome != "success":
            continue
        end = rows[k + 1].t_start if k + 1 < len(rows) else t_last
        spans[row.to_bssid].append((row.t_end - t0, max(end - row.t_end, 0.0)))
    for y, bssid in enumerate(lanes):
        ax.axhline(y, color="#dddddd", linewidth=0.8, zorder=0)
        bars = ax.broken_barh(spans[bssid], (y - 0.18, 0.36), facecolors="#90caf9",
                              edgecolor="none", zorder=1)
        bars.set_gid(f"lane:{bssid}")


def _draw_markers(ax: Axes, mine: pd.DataFrame, lanes: list[str], t0: float) -> None:
    import pandas as pd

    index = {b: i for i, b in enumerate(lanes)}
    for row in mine.itertuples(index=False):
        x, y = row.t_start - t0, index[row.to_bssid]
        if isinstance(row.from_bssid, str) and row.from_bssid != row.to_bssid:
            ax.plot([x, x], [index[row.from_bssid], y], color="#888888", linewidth=0.8, zorder=2)
        expected = None if pd.isna(row.pmksa_as_expected) else bool(row.pmksa_as_expected)
        marker = EXPECTED_MARKERS[expected][0]
        colour = OUTCOME_COLOURS.get(str(row.outcome), "#555555")
        ax.scatter([x], [y], marker=marker, s=60, color=colour, edgecolors="black",
                   linewidths=0.5, zorder=3, gid=f"roam:{row.id}")
        if len(mine) <= LABELS_MAX:
            ax.annotate(f"#{row.id}", (x, y), xytext=(0, 8), textcoords="offset points",
                        ha="center", fontsize=7, gid=f"label:{row.id}")


def _signal(frames: pd.DataFrame | None, sta: str | None, t0: float) -> pd.DataFrame:
    if frames is None or frames.empty or sta is None:
        import pandas as pd

        return pd.DataFrame({"ts": [], "signal_dbm": []})
    own = frames[(frames["ta"] == sta).fillna(False) & frames["signal_dbm"].notna()]
    return own[own["ts"] >= t0 - 5.0][["ts", "signal_dbm"]]


def _draw_signal(ax: Axes, signal: pd.DataFrame, t0: float) -> None:
    """The station's signal at the sensor in its own panel, on a range that shows a change of
    a few dB (at least 30 dB tall, within -100..0 dBm)."""
    dbm = _values(signal["signal_dbm"])
    ax.plot(_values(signal["ts"]) - t0, dbm, ".", color="#7b1fa2", markersize=3, alpha=0.7,
            gid="signal")
    low, high = float(min(dbm)) - 3, float(max(dbm)) + 3
    if high - low < 30:
        middle = (high + low) / 2
        low, high = middle - 15, middle + 15
    ax.set_ylim(max(low, -100.0), min(high, 0.0))
    ax.set_ylabel("signal (dBm)", color="#7b1fa2")
    ax.grid(True, alpha=0.3)


def _timeline_legend(ax: Axes, with_signal: bool) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", linestyle="", color=c, label=o)
               for o, c in OUTCOME_COLOURS.items()]
    handles += [Line2D([], [], marker=m, linestyle="", color="white", markeredgecolor="black",
                       label=label) for m, label in EXPECTED_MARKERS.values()]
    handles.append(Line2D([], [], color="#90caf9", linewidth=6, label="associated"))
    if with_signal:
        handles.append(Line2D([], [], marker=".", linestyle="", color="#7b1fa2",
                              label="station signal at the sensor (lower panel)"))
    ax.figure.legend(handles=handles, loc="outside lower center", ncol=5,
                     fontsize=8, frameon=False)
