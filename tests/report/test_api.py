"""The notebook API: exported names, load() on real captures, roam(id) and its ladder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

import analyzer
from analyzer import api
from analyzer.cli import main
from analyzer.errors import AnalyzerError
from tests.report.factory import story


def test_all_is_sorted_and_complete() -> None:
    """Every public name of the package is in __all__, sorted, and resolves."""
    public = {
        n for n, v in vars(analyzer).items()
        if not n.startswith("_") and not isinstance(v, type(analyzer))
    }
    assert analyzer.__all__ == sorted(analyzer.__all__)
    assert public <= set(analyzer.__all__)  # names the lazy module defines itself are private
    assert all(getattr(analyzer, n) is getattr(api, n) for n in analyzer.__all__)
    assert analyzer.load is api.load and analyzer.Analysis is api.Analysis


def test_load_gives_the_roams_analyze_reports(public_dir: Path, capsys) -> None:
    capture = public_dir / "wpa2-psk-linksys.cap"
    a = analyzer.load(capture)
    assert main(["analyze", str(capture), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert list(a.roams["id"]) == [r["id"] for r in document["roams"]]
    assert list(a.roams["outcome"]) == [r["outcome"] for r in document["roams"]]
    assert len(a.findings) == len(document["findings"])
    assert list(a.stations["sta"]) == [s["sta"] for s in document["stations"]]


def test_roam_has_its_frames_and_a_ladder(public_dir: Path) -> None:
    a = analyzer.load(public_dir / "wpa2-ft-eap.pcapng.gz")
    roam = a.roam(1)
    assert set(roam.frames["frame"]) <= set(roam.record.frames)
    assert len(roam.frames) == 27  # auth 2, assoc 2, EAP 19, 4-way 4
    fig = roam.ladder()
    assert isinstance(fig, Figure)
    arrows = [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == len(roam.frames)
    assert "<table>" in roam._repr_html_() and "data:image/png;base64," in roam._repr_html_()


def test_unknown_roam_id_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="no roam with id 9"):
        story(2).roam(9)


def test_load_reports_user_errors(tmp_path: Path) -> None:
    with pytest.raises(AnalyzerError):
        analyzer.load(tmp_path / "absent.pcap")


def test_repr_html_of_an_analysis_is_a_table() -> None:
    text = story(3)._repr_html_()
    assert text.count("<tr>") == 5 + 1 + 3  # summary rows, header, attempts


def test_plot_namespace_returns_figures() -> None:
    a = story(4)
    for fig in (a.plot.latency(), a.plot.latency_by_method(), a.plot.timeline(),
                a.plot.pmksa(), a.plot.ladder(2)):
        assert isinstance(fig, Figure)


def test_limits_come_from_the_expectations(tmp_path: Path, public_dir: Path) -> None:
    toml = tmp_path / "lab.toml"
    toml.write_text('[defaults.ap]\nmax_roam_ms = { psk = 15 }\n', encoding="utf-8")
    a = analyzer.load(public_dir / "wpa2-psk-linksys.cap", expect=[str(toml)])
    psk = a.roams[a.roams["method"] == "psk"]
    assert (psk["max_roam_ms"] == 15.0).all()
