"""The ladder (sequence) diagram of one attempt: station, old AP and new AP as lifelines, one
arrow per frame, top to bottom in capture order, with the time since the previous frame.

Rows are evenly spaced (the order is what a ladder shows; the time column gives the gaps), so
labels never overlap however close the frames were. Retransmissions are drawn red and dashed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from analyzer.report.charts import empty_note, new_figure, plain

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

BROADCAST = "ff:ff:ff:ff:ff:ff"
ROW_IN = 0.32  # inches per frame
KIND_NAMES = {
    "probe_req": "Probe Request", "probe_resp": "Probe Response", "auth": "Authentication",
    "assoc_req": "Association Request", "assoc_resp": "Association Response",
    "reassoc_req": "Reassociation Request", "reassoc_resp": "Reassociation Response",
    "deauth": "Deauthentication", "disassoc": "Disassociation", "action": "Action",
}


def ladder(roam: Mapping[str, Any], frames: pd.DataFrame) -> Figure:
    """The sequence diagram of `roam` (a roams-table row) drawn from its `frames` rows."""
    rows = frames.sort_values(["ts", "frame"]) if not frames.empty else frames
    lanes = lifelines(roam, rows)
    fig = new_figure(11.0, 2.4 + ROW_IN * max(len(rows), 3))
    ax = fig.add_subplot()
    ax.set_title(_title(roam), fontsize=10, loc="left")
    if rows.empty:
        empty_note(ax, "no frames of this attempt were kept")
        return fig
    x = {addr: i for i, (addr, _label) in enumerate(lanes)}
    _draw_lifelines(ax, lanes, len(rows))
    previous: float | None = None
    for y, row in enumerate(rows.itertuples(index=False)):
        _draw_frame(ax, row, y, x, str(roam["sta"]))
        delta = "" if previous is None else f"+{(row.ts - previous) * 1e3:.1f} ms"
        ax.text(-0.9, y, f"#{row.frame}  {delta}", ha="left", va="center", fontsize=8,
                family="monospace", color="#444444", parse_math=False)
        previous = row.ts
    ax.set_xlim(-0.95, len(lanes) - 0.5)
    ax.set_ylim(len(rows) - 0.4, -2.2)
    ax.set_axis_off()
    return fig


def lifelines(roam: Mapping[str, Any], rows: pd.DataFrame) -> list[tuple[str, str]]:
    """(address, heading) of each lifeline: STA, old AP (when another BSSID), new AP, and one
    for other transmitters (say APs answering probes) only when a frame needs it."""
    sta, new = str(roam["sta"]), str(roam["to_bssid"])
    old = roam.get("from_bssid")
    lanes = [(sta, f"station\n{sta}")]
    if isinstance(old, str) and old not in (new, ""):
        lanes.append((old, f"old AP\n{old}"))
    lanes.append((new, f"new AP\n{new}"))
    known = {a for a, _ in lanes} | {BROADCAST}
    addresses = set(rows["ta"].dropna()) | set(rows["ra"].dropna()) if not rows.empty else set()
    if addresses - known:
        lanes.append(("*", "other\nstations / APs"))
    return lanes


def _title(roam: Mapping[str, Any]) -> str:
    """Three short lines: what, who, PMKSA (wrapped, so nothing runs off the figure)."""
    import textwrap

    latency = roam.get("latency_control_plane_ms")
    took = "" if _missing(latency) else f" \u00b7 control plane {latency:.1f} ms"
    lines = [
        f"Attempt #{roam['id']} ({roam.get('kind')}) \u00b7 {roam.get('method')} \u00b7 "
        f"{roam.get('outcome')}{took}",
        f"{roam['sta']}: {roam.get('from_bssid') or '-'} \u2192 {roam['to_bssid']}  "
        f"SSID {roam.get('ssid') or '-'}",
    ]
    verdict = roam.get("pmksa_verdict")
    if not _missing(verdict):
        lines += textwrap.wrap(f"PMKSA {verdict}: {roam.get('pmksa_reason')}", 110)
    return "\n".join(plain(line) for line in lines)


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _true(value: Any) -> bool:
    return not _missing(value) and bool(value)


def _draw_lifelines(ax: Axes, lanes: list[tuple[str, str]], n: int) -> None:
    for i, (_addr, heading) in enumerate(lanes):
        ax.plot([i, i], [-0.6, n - 0.4], color="#999999", linewidth=1, zorder=0)
        ax.text(i, -0.7, heading, ha="center", va="bottom", fontsize=9, fontweight="bold",
                family="monospace", parse_math=False)


def _ends(row: Any, x: Mapping[str, int], sta: str) -> tuple[int, int, bool]:
    """Source and destination lanes of a frame, and whether it was broadcast."""
    other = x.get("*")
    ap = x[max(x, key=lambda a: x[a] if a != "*" else -1)]

    def lane(addr: Any) -> int:
        if isinstance(addr, str) and addr in x:
            return x[addr]
        return other if other is not None and isinstance(addr, str) else ap

    ta, ra = row.ta, row.ra
    broadcast = ra == BROADCAST
    if not isinstance(ta, str):  # no 802.11 header (Ethernet EAPOL): roles only
        from_sta = row.sta == sta and row.bssid is not None
        return (x[sta], lane(row.bssid), False) if from_sta else (lane(row.bssid), x[sta], False)
    src = lane(ta)
    dst = ap if broadcast else lane(ra)
    if dst == src:
        dst = x[sta] if src != x[sta] else ap
    return src, dst, broadcast


def _draw_frame(ax: Axes, row: Any, y: int, x: Mapping[str, int], sta: str) -> None:
    from matplotlib.patches import FancyArrowPatch

    src, dst, broadcast = _ends(row, x, sta)
    retry = _true(row.retry)
    colour = "#c62828" if retry else "#1a1a1a"
    style = "--" if retry or broadcast else "-"
    arrow = FancyArrowPatch((src, y), (dst, y), arrowstyle="-|>", mutation_scale=12,
                            color=colour, linestyle=style, linewidth=1.2, shrinkA=2, shrinkB=2)
    arrow.set_gid(f"frame:{row.frame}")
    ax.add_patch(arrow)
    ax.text((src + dst) / 2, y - 0.12, plain(describe(row)), ha="center", va="bottom",
            fontsize=8, color=colour, zorder=3,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6})


def describe(row: Any) -> str:
    """A frame's label: what it is plus the fields that matter to a roam."""
    kind = str(row.kind)
    if kind == "eapol":
        text = _eapol(row)
    else:
        text = KIND_NAMES.get(kind, kind)
    text += _details(row, kind)
    if _true(row.retry):
        text += " (retry)"
    return text if len(text) <= 70 else text[:67] + "..."


def _eapol(row: Any) -> str:
    if isinstance(row.message, str):
        return f"EAPOL-Key {row.message}" + (" + PMKID" if isinstance(row.pmkid, str) else "")
    if isinstance(row.eap_code, str):
        eap = f"EAP-{row.eap_code}"
        if isinstance(row.eap_type, str):
            eap += f" {row.eap_type}"
        if isinstance(row.identity, str):
            eap += f" '{row.identity[:24]}'"
        return eap
    return f"EAPOL-{row.eapol_type}" if isinstance(row.eapol_type, str) else "EAPOL"


def _details(row: Any, kind: str) -> str:
    parts = []
    if kind == "auth" and not _missing(row.auth_seq):
        parts.append(f"seq {row.auth_seq}")
    if isinstance(row.status, str) and row.status != "success":
        parts.append(row.status)
    if isinstance(row.reason, str):
        parts.append(row.reason)
    if isinstance(row.pmkids, str) and kind.endswith("_req"):
        parts.append(f"{len(row.pmkids.split())} PMKID")
    if kind == "probe_req" and isinstance(row.ssid, str):
        parts.append(f"'{row.ssid[:24]}'")
    return f" ({', '.join(parts)})" if parts else ""
