"""`roam-analyzer report` and `analyze --charts` on real captures."""

from __future__ import annotations

from pathlib import Path

from analyzer.cli import main


def test_report_writes_one_self_contained_file(public_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    captures = [str(public_dir / "wpa2-psk-linksys.cap"), str(public_dir / "wpa2-ft-eap.pcapng.gz")]
    assert main(["report", *captures, "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "Attempts (5)" in text and text.count('<svg class="ladder"') == 5
    assert "http://" not in text and "https://" not in text


def test_report_needs_an_output(public_dir: Path, capsys) -> None:
    try:
        main(["report", str(public_dir / "n-02.cap")])
    except SystemExit as exc:
        assert exc.code == 2
    assert "-o/--output" in capsys.readouterr().err


def test_analyze_charts_writes_png_and_svg(public_dir: Path, tmp_path: Path, capsys) -> None:
    charts = tmp_path / "charts"
    assert main(["analyze", str(public_dir / "wpa2-psk-linksys.cap"), "--charts", str(charts),
                 "--quiet"]) == 0
    assert "reconnect" in capsys.readouterr().out  # the table is still printed
    names = sorted(p.name for p in charts.iterdir() if p.name != "_SUCCESS")
    stems = {n.rsplit(".", 1)[0] for n in names}
    assert sorted((charts / "_SUCCESS").read_text().split()) == names  # written last
    assert {"latency_breakdown", "latency_by_method", "pmksa_verdicts",
            "timeline_0013ce5598ef", "ladder_1", "ladder_4"} <= stems
    assert all(f"{s}.png" in names and f"{s}.svg" in names for s in stems)
    assert (charts / "ladder_1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
