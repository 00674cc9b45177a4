"""The "offered vs chosen" chart: per station, for each attempt that followed a neighbor report
or a BTM Request, the candidates offered (by rank), the ones it probed, and the BSS it chose.

Reads the roams of the JSON document (`roams[].steering`, analyzer.roam.steering); matplotlib
imported inside, object-oriented API only, as in `analyzer.report.charts`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from analyzer.report.charts import empty_note, new_figure, plain

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SOURCE_LABELS = {"neighbor_report": "neighbor report", "btm_request": "BTM Request"}
NOT_LISTED = 0  # the row of a choice off the list


def steered(roams: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Roams with a `steering` entry, by station, in time order."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for roam in sorted(roams, key=lambda r: r["t_start"]):
        if roam.get("steering"):
            out.setdefault(roam["sta"], []).append(roam)
    return out


def offered_vs_chosen(roams: Sequence[Mapping[str, Any]], max_stations: int = 8) -> Figure:
    """One panel per station (at most `max_stations`): x the attempts, y the candidate rank."""
    by_sta = steered(roams)
    stations = sorted(by_sta, key=lambda s: -len(by_sta[s]))[:max_stations]
    fig = new_figure(9, 1.2 + 2.4 * max(1, len(stations)))
    axes = fig.subplots(max(1, len(stations)), 1, squeeze=False)[:, 0]
    if not stations:
        empty_note(axes[0], "no attempt followed a neighbor report or a BTM Request")
        return fig
    for ax, sta in zip(axes, stations, strict=False):
        _panel(ax, sta, by_sta[sta])
    fig.suptitle("802.11k/v: candidates offered vs the BSS chosen")
    return fig


def _panel(ax: Axes, sta: str, roams: list[Mapping[str, Any]]) -> None:
    deepest = 1
    for x, roam in enumerate(roams):
        s = roam["steering"]
        probed = set(s["probed_candidates"])
        for rank, cand in enumerate(s["candidates"], start=1):
            filled = cand["bssid"] in probed
            ax.scatter([x], [rank], s=70, marker="o", edgecolors="#4e79a7",
                       facecolors="#a0cbe8" if filled else "none", zorder=2)
            ax.annotate(cand["bssid"][-8:], (x, rank), textcoords="offset points",
                        xytext=(-8, 6), fontsize=6, color="#4e79a7", ha="right")
            deepest = max(deepest, rank)
        chosen = s["chosen_rank"] or NOT_LISTED
        colour = "#2e7d32" if s["chosen_listed"] else "#c62828"
        ax.scatter([x], [chosen], s=160, marker="*", color=colour, zorder=3)
        ax.annotate(f"{s['age_ms']:.0f} ms", (x, chosen), textcoords="offset points",
                    xytext=(8, -3), fontsize=7, color="#555555")
    ax.set_xticks(range(len(roams)))
    ax.set_xticklabels([f"#{r['id']}\n{SOURCE_LABELS.get(r['steering']['source'], '?')}"
                        for r in roams], fontsize=7)
    ax.set_yticks(range(NOT_LISTED, deepest + 1))
    ax.set_yticklabels(["not listed"] + [str(n) for n in range(1, deepest + 1)])
    ax.set_ylim(deepest + 0.6, NOT_LISTED - 0.6)
    ax.set_ylabel("candidate rank")
    ax.set_title(plain(f"{sta}: offered (○, filled = probed) · chosen (★)"), fontsize=9,
                 loc="left")
    ax.grid(axis="y", color="#eeeeee")
