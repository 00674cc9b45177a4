"""The ladder of one attempt as inline SVG text, written directly (no matplotlib): cheap enough
for a report of hundreds of attempts. Same lifelines, arrows and labels as `ladder.ladder`;
every text is escaped, and the SVG references nothing outside itself."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from analyzer.report.ladder import _ends, _true, describe, lifelines
from analyzer.report.safe import clean

if TYPE_CHECKING:
    import pandas as pd

LANE_W, LEFT, TOP, ROW_H = 250, 130, 46, 24


def _t(text: object) -> str:
    return html.escape(clean(str(text)) or "", quote=True)


def ladder_svg(roam: Mapping[str, Any], frames: pd.DataFrame) -> str:
    """The sequence diagram of `roam` (a roams-table row) from its `frames` rows."""
    if frames.empty:
        return '<p class="note">no frames of this attempt were kept</p>'
    rows = frames.sort_values(["ts", "frame"])
    lanes = lifelines(roam, rows)
    width, height = LEFT + LANE_W * len(lanes), TOP + ROW_H * (len(rows) + 0.5)
    out = [f'<svg class="ladder" width="{width}" height="{height:.0f}" '
           f'viewBox="0 0 {width} {height:.0f}" role="img" '
           f'aria-label="ladder of attempt {_t(roam["id"])}">']
    centre = {addr: LEFT + LANE_W * i + LANE_W // 2 for i, (addr, _h) in enumerate(lanes)}
    for addr, heading in lanes:
        x = centre[addr]
        first, _, second = heading.partition("\n")
        out.append(f'<text x="{x}" y="14" class="lh">{_t(first)}</text>'
                   f'<text x="{x}" y="28" class="lh mono">{_t(second)}</text>'
                   f'<line x1="{x}" y1="34" x2="{x}" y2="{height:.0f}" class="life"/>')
    index = {addr: i for i, (addr, _h) in enumerate(lanes)}
    xs = [centre[a] for a, _h in lanes]
    previous: float | None = None
    for k, row in enumerate(rows.itertuples(index=False)):
        y = TOP + ROW_H * k + ROW_H // 2
        src, dst, broadcast = _ends(row, index, str(roam["sta"]))
        out.append(_arrow(xs[src], xs[dst], y, _true(row.retry), broadcast, describe(row)))
        delta = "" if previous is None else f"+{(row.ts - previous) * 1e3:.1f} ms"
        out.append(f'<text x="4" y="{y + 4}" class="gap">#{_t(row.frame)} {delta}</text>')
        previous = row.ts
    out.append("</svg>")
    return "".join(out)


def _arrow(x1: int, x2: int, y: int, retry: bool, broadcast: bool, label: str) -> str:
    cls = "fr retry" if retry else "fr"
    dash = ' stroke-dasharray="5 3"' if retry or broadcast else ""
    tip = 7 if x2 > x1 else -7
    head = f"{x2},{y} {x2 - tip},{y - 4} {x2 - tip},{y + 4}"
    return (f'<line x1="{x1}" y1="{y}" x2="{x2 - tip}" y2="{y}" class="{cls}"{dash}/>'
            f'<polygon points="{head}" class="{cls} head"/>'
            f'<text x="{(x1 + x2) / 2:.0f}" y="{y - 4}" class="{cls} lbl">{_t(label)}</text>')


SVG_STYLE = """
svg.ladder{font:11px system-ui,sans-serif;background:#fff;max-width:100%;height:auto}
svg.ladder .lh{text-anchor:middle;font-weight:600}
svg.ladder .mono{font-family:ui-monospace,monospace}
svg.ladder .life{stroke:#999}svg.ladder line.fr{stroke:#1a1a1a;stroke-width:1.2}
svg.ladder polygon.fr{fill:#1a1a1a}svg.ladder text.lbl{text-anchor:middle;fill:#1a1a1a}
svg.ladder line.retry{stroke:#c62828}svg.ladder polygon.retry,svg.ladder text.retry{fill:#c62828}
svg.ladder .gap{font-family:ui-monospace,monospace;fill:#444;font-size:10px}
"""
