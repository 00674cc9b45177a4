"""What the user feels after a roam, beside the control plane: the recovery latencies the
decryption pass measured (`latency_ms.l3_up`, `l3_down`, `dhcp`, `to_ip_traffic`;
analyzer.decrypt). A terminal table, a chart and an HTML section, each shown only when some
attempt has one of them (that is, when keys were given)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from analyzer.roam.records import RECOVERY_KEYS

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

COLUMNS = ("id", "sta", "to_bssid", "method", "outcome", "latency_control_plane_ms",
           *(f"latency_{k}_ms" for k in RECOVERY_KEYS))
COLOURS = {"control_plane": "#4e79a7", "to_ip_traffic": "#59a14f", "l3_up": "#e15759",
           "l3_down": "#f28e2b", "dhcp": "#b07aa1"}


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def recovered(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The attempts the decryption pass measured (it gave them a `recovery`)."""
    return [r for r in document["roams"] if r.get("recovery")]


def recovery_table(document: dict[str, Any]) -> Table | None:
    """One row per decrypted attempt: control plane, then the time to IP traffic."""
    roams = recovered(document)
    if not roams:
        return None
    table = Table(title="After the control plane (decrypted)", title_justify="left")
    for col in ("#", "sta", "control ms", "l3 up ms", "l3 down ms", "dhcp ms",
                "to IP traffic ms", "DHCP", "gateway ARP"):
        table.add_column(col)
    for r in roams:
        lat, rec = r["latency_ms"], r["recovery"]
        dhcp = ", ".join(f"{d['message']} {d['frame']}" for d in rec["dhcp"]) or "-"
        arp = "-" if rec["arp_request_frame"] is None else (
            f"{rec['gateway']}: {rec['arp_request_frame']} → {rec['arp_reply_frame'] or '?'}")
        cells = (r["id"], r["sta"], _ms(lat["control_plane"]), _ms(lat["l3_up"]),
                 _ms(lat["l3_down"]), _ms(lat["dhcp"]), _ms(lat["to_ip_traffic"]), dhcp, arp)
        table.add_row(*(Text(str(c)) for c in cells))
    return table


def has_recovery(roams: pd.DataFrame) -> bool:
    cols = [f"latency_{k}_ms" for k in RECOVERY_KEYS if f"latency_{k}_ms" in roams.columns]
    return bool(cols) and bool(roams[cols].notna().to_numpy().any())


def recovery_chart(roams: pd.DataFrame) -> Figure:
    """Per attempt: the control plane, then the rest of the time to IP traffic both ways,
    with the first IP packet each way and the DHCP exchange marked after the control plane."""
    from analyzer.report.charts import empty_note, new_figure

    n = len(roams)
    fig = new_figure(min(16.0, max(8.0, 0.35 * n + 3)), 4.5)
    ax = fig.subplots()
    fig.suptitle("Control plane, then time to IP traffic (decrypted), per attempt")
    if n == 0 or not has_recovery(roams):
        empty_note(ax, "nothing decrypted: give the network's key")
        return fig
    x = list(range(n))
    col = {k: _values(roams, f"latency_{k}_ms") for k in ("control_plane", *RECOVERY_KEYS)}
    cp = [0.0 if math.isnan(v) else v for v in col["control_plane"]]
    rest = [t - c if not math.isnan(t) else math.nan for t, c in zip(col["to_ip_traffic"], cp,
                                                                      strict=True)]
    ax.bar(x, cp, color=COLOURS["control_plane"], label="control plane")
    ax.bar(x, rest, bottom=cp, color=COLOURS["to_ip_traffic"], alpha=0.6,
           label="rest of the time to IP traffic both ways")
    for key, marker in (("l3_up", "^"), ("l3_down", "v")):
        ys = [c + v for c, v in zip(cp, col[key], strict=True)]
        ax.scatter(x, ys, marker=marker, color=COLOURS[key], zorder=3,
                   label=f"first IP packet {'from' if key == 'l3_up' else 'to'} the station")
    ax.scatter(x, col["dhcp"], marker="D", color=COLOURS["dhcp"], zorder=3,
               label="DHCP exchange (duration)")
    ax.set_xticks(x, [f"#{i}" for i in roams["id"]], rotation=90, fontsize=8)
    ax.set_ylabel("time (ms)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return fig


def _values(roams: pd.DataFrame, column: str) -> list[float]:
    if column not in roams.columns:
        return [math.nan] * len(roams)
    return list(roams[column].to_numpy(dtype="float64", na_value=math.nan))


def recovery_html(roams: pd.DataFrame) -> str:
    """The HTML section: the chart and the table, or nothing without decrypted attempts."""
    if roams.empty or not has_recovery(roams):
        return ""
    from analyzer.report.html import html_table, png_img

    return "\n".join(("<h2>After the control plane (decrypted)</h2>",
                      png_img(recovery_chart(roams), "time to IP traffic"),
                      html_table(roams, COLUMNS)))
