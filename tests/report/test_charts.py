"""Charts for 0, 1 and 200 attempts: each renders without a warning and draws what it says."""

from __future__ import annotations

import io

import pytest
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Rectangle

from analyzer.report import charts
from analyzer.report.ladder import ladder
from tests.report.factory import story

SIZES = (0, 1, 200)


def render(fig: Figure) -> Figure:
    """Draw to PNG, so layout and text warnings surface; the figure comes back for checks."""
    assert isinstance(fig, Figure)
    fig.savefig(io.BytesIO(), format="png", dpi=60)
    return fig


def gids(ax, prefix: str, kind: type = object) -> list[str]:
    found = [a.get_gid() for a in ax.get_children() if isinstance(a, kind)]
    return [g for g in found if isinstance(g, str) and g.startswith(prefix)]


@pytest.mark.parametrize("n", SIZES)
def test_latency_breakdown_has_one_segment_per_phase_seen(n: int, strict: None) -> None:
    """Top panel: every phase of every attempt; bottom: control-plane phases only."""
    roams = story(n).roams
    fig = render(charts.latency_breakdown(roams))
    top, bottom = fig.axes
    for ax, phases in ((top, charts.PHASE_LABELS), (bottom, charts.CONTROL_PHASES)):
        for phase in phases:
            expected = int(roams[f"phase_{phase}_ms"].notna().sum())
            assert len(gids(ax, f"phase:{phase}", Rectangle)) == expected, (phase, ax.get_title())
    missing = [c for c in bottom.collections if c.get_gid() == "missing"]
    marked = len(missing[0].get_offsets()) if missing else 0
    assert marked == int(roams["missing_phases"].notna().sum())


def test_latency_breakdown_marks_a_missing_phase_by_name(strict: None) -> None:
    fig = render(charts.latency_breakdown(story(1).roams))  # attempt 1: full_8021x, no EAP
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert texts == ["no EAP"]


@pytest.mark.parametrize("n", SIZES)
def test_timeline_has_one_lane_per_bssid(n: int, strict: None) -> None:
    analysis = story(n)
    roams = analysis.roams
    fig = render(charts.station_timeline(roams, analysis.signal))
    ax = fig.axes[0]
    sta = charts.busiest_station(roams)
    mine = roams[roams["sta"] == sta]
    bssids = set(mine["to_bssid"].dropna()) | set(mine["from_bssid"].dropna())
    lanes = gids(ax, "lane:", PolyCollection)
    assert sorted(lanes) == sorted(f"lane:{b}" for b in bssids)
    assert [t.get_text() for t in ax.get_yticklabels()] == [g[5:] for g in lanes]
    markers = gids(ax, "roam:", PathCollection)
    assert len(markers) == len(mine)
    if n:
        assert fig.axes[1].get_ylabel().endswith("(dBm)")  # the signal overlay


@pytest.mark.parametrize("n", (1, 200))
def test_ladder_draws_one_arrow_per_frame(n: int, strict: None) -> None:
    analysis = story(n)
    roam = analysis.roam(n)
    fig = render(roam.ladder())
    ax = fig.axes[0]
    arrows = gids(ax, "frame:", FancyArrowPatch)
    assert arrows == [f"frame:{f}" for f in roam.frames.sort_values("ts")["frame"]]
    retries = [a for a in ax.patches if a.get_linestyle() == "--"]
    assert len(retries) == int(roam.frames["retry"].sum())
    labels = [t.get_text() for t in ax.texts]
    assert "EAPOL-Key M3 (retry)" in labels and "EAPOL-Key M1 + PMKID" in labels
    assert any("+2.0 ms" in t for t in labels)  # the time since the previous frame


def test_ladder_without_frames_says_so(strict: None) -> None:
    analysis = story(1)
    row = analysis.roams.iloc[0].to_dict()
    fig = render(ladder(row, analysis.frames.iloc[:0]))
    assert not gids(fig.axes[0], "frame:")
    assert "no frames" in fig.axes[0].texts[0].get_text()


@pytest.mark.parametrize("n", SIZES)
def test_pmksa_summary_stacks_verdicts_by_expectation(n: int, strict: None) -> None:
    roams = story(n).roams
    ax = render(charts.pmksa_summary(roams)).axes[0]
    judged = roams[roams["pmksa_verdict"].notna()]
    assert len(gids(ax, "expected:no", Rectangle)) == (len(set(judged["pmksa_verdict"])))
    heights = sum(p.get_width() for p in ax.patches if (p.get_gid() or "").startswith("exp"))
    assert heights == len(judged)


def test_pmksa_summary_without_verdicts_says_none_judged(strict: None) -> None:
    """Before the PMKSA judge (no `pmksa` in the roams) the chart still renders."""
    roams = story(10, judged=False).roams
    assert roams["pmksa_verdict"].isna().all()
    ax = render(charts.pmksa_summary(roams)).axes[0]
    assert not ax.patches
    assert ax.texts[0].get_text() == "no PMKSA verdicts for the 10 attempts"


@pytest.mark.parametrize("n", SIZES)
def test_latency_by_method_has_a_cdf_per_method_and_the_limits(n: int, strict: None) -> None:
    """A CDF per method where each has enough points to be one, else a dot per attempt."""
    roams = story(n).roams
    limits = {"psk": 25.0, "default": 30.0}
    ax = render(charts.latency_by_method(roams, thresholds=limits)).axes[0]
    ok = roams[(roams["outcome"] == "success") & roams["latency_control_plane_ms"].notna()]
    methods = sorted(set(ok["method"]))
    enough = all(len(g) >= charts.CDF_MIN_POINTS for _m, g in ok.groupby("method"))
    if enough:
        assert gids(ax, "cdf:", Line2D) == [f"cdf:{m}" for m in methods]
    else:
        assert not gids(ax, "cdf:") and gids(ax, "dots:") == [f"dots:{m}" for m in methods]
    assert gids(ax, "limit:", Line2D) == [f"limit:{m}" for m in methods]
    if methods:
        assert ax.get_xlabel() == "latency (ms)"


def test_latency_limits_come_from_the_roams_table(strict: None) -> None:
    roams = story(12).roams
    roams["max_roam_ms"] = 25.0
    ax = render(charts.latency_by_method(roams)).axes[0]
    assert len(gids(ax, "limit:", Line2D)) == roams["method"].nunique()


def test_text_off_the_air_is_never_mathtext(strict: None) -> None:
    """An SSID like `$\\frac{1}{0}$` is drawn as typed, not parsed (which could raise)."""
    analysis = story(3, ssid="$\\frac{1}{0}$ \x07")
    fig = render(analysis.roam(3).ladder())
    title = fig.axes[0].get_title(loc="left")
    assert "\\$\\frac{1}{0}\\$ \\x07" in title


def test_svg_keeps_off_the_air_text_inert(strict: None) -> None:
    """The SVG written by `analyze --charts` holds an SSID only as escaped text or comment."""
    import xml.etree.ElementTree as ET

    hostile = "--><script>alert(1)</script><!--"
    svg = charts.figure_svg(story(3, ssid=hostile).roam(3).ladder())
    root = ET.fromstring(svg)
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    assert "<script>" not in svg


def test_a_method_with_few_points_gets_dots_labelled_by_id_not_a_cdf(strict: None) -> None:
    roams = story(4).roams
    ax = render(charts.latency_by_method(roams)).axes[0]
    assert not gids(ax, "cdf:")
    ok = roams[(roams["outcome"] == "success") & roams["latency_control_plane_ms"].notna()]
    labels = {t.get_text() for t in ax.texts}
    assert {f"#{i}" for i in ok["id"]} <= labels


def test_median_in_charts_is_the_summary_tables_nearest_rank_median(strict: None) -> None:
    from analyzer.report.summary import percentile

    roams = story(200).roams
    ax = render(charts.latency_by_method(roams)).axes[0]
    ok = roams[(roams["outcome"] == "success") & roams["latency_control_plane_ms"].notna()]
    for method, group in ok.groupby("method"):
        median = percentile(list(group["latency_control_plane_ms"]), 50)
        assert any(f"{method} (n={len(group)}, median {median:.1f} ms)" == t
                   for t in (x.get_text() for x in ax.get_legend().get_texts()))


def test_one_huge_outlier_is_clipped_with_its_value_written(strict: None) -> None:
    roams = story(20).roams
    roams.loc[5, "phase_4way_ms"] = 60_000.0
    fig = render(charts.latency_breakdown(roams))
    bottom = fig.axes[1]
    assert bottom.get_ylim()[1] < 1000
    written = [t.get_text() for t in bottom.texts if (t.get_gid() or "").startswith("clipped")]
    assert len(written) == 1 and written[0].startswith("60,0")


def test_a_scan_longer_than_a_few_seconds_is_not_a_phase_of_the_roam(strict: None) -> None:
    roams = story(6).roams
    roams.loc[2, "phase_probe_ms"] = 45_000.0
    top = render(charts.latency_breakdown(roams)).axes[0]
    probe_heights = [p.get_height() for p in top.patches if p.get_gid() == "phase:probe"]
    assert max(probe_heights) < charts.SCAN_MAX_MS
    assert "not counted" in top.get_title()


def test_timeline_labels_each_attempt_and_draws_signal_in_its_own_panel(strict: None) -> None:
    analysis = story(8)
    fig = render(charts.station_timeline(analysis.roams, analysis.signal))
    ax = fig.axes[0]
    sta = charts.busiest_station(analysis.roams)
    ids = analysis.roams[analysis.roams["sta"] == sta]["id"]
    assert {f"#{i}" for i in ids} <= {t.get_text() for t in ax.texts}
    assert len(fig.axes) == 2
    panel = fig.axes[1]
    assert panel.get_ylabel() == "signal (dBm)" and not gids(ax, "signal")
    low, high = panel.get_ylim()
    assert high - low >= 30 and low >= -100 and high <= 0
