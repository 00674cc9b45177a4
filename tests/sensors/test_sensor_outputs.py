"""The sensors' clocks reach every output: the notebook's `sensors` table, the HTML report's
sensors section and the summary line of `--format jsonl`; `load(offsets=...)` overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import analyzer
from analyzer.cli import main

from .builder import DRIFT_PPM, SKEW_NS, write_sensors


def test_notebook_sensors_table_gives_each_clock(tmp_path: Path) -> None:
    _full, a, b, _sc = write_sensors(tmp_path)
    sensors = analyzer.load(a, b).sensors
    assert list(sensors["status"]) == ["reference", "aligned"]
    assert sensors.loc[1, "offset_s"] == pytest.approx(SKEW_NS / 1e9, abs=1e-6)
    assert sensors.loc[1, "drift_ppm"] == pytest.approx(DRIFT_PPM, abs=0.1)
    assert sensors.loc[1, "matched_frames"] > 100
    assert str(sensors["offset_s"].dtype) == "float64"


def test_notebook_sensors_table_is_empty_with_its_columns_for_one_capture(tmp_path: Path) -> None:
    full, _a, _b, _sc = write_sensors(tmp_path)
    sensors = analyzer.load(full).sensors
    assert sensors.empty and "drift_ppm" in sensors.columns


def test_load_takes_offsets_like_the_command_line(tmp_path: Path) -> None:
    _full, a, b, _sc = write_sensors(tmp_path)
    sensors = analyzer.load(a, b, offsets={"b.pcap": 2.5}).sensors
    assert sensors.loc[1, "status"] == "override" and sensors.loc[1, "offset_s"] == 2.5


def test_html_report_has_a_sensors_section_with_the_unaligned_one_marked(tmp_path: Path) -> None:
    _full, a, b, _sc = write_sensors(tmp_path, shared=lambda i, d: False)
    html = tmp_path / "r.html"
    assert main(["report", str(a), str(b), "-o", str(html)]) == 0
    text = html.read_text()
    section = text.split("<h2>Sensors: clocks against the reference</h2>")[1].split("</table>")[0]
    assert "b.pcap" in section and '<td class="bad">unaligned</td>' in section


def test_jsonl_summary_carries_the_sensors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _full, a, b, _sc = write_sensors(tmp_path)
    assert main(["analyze", str(a), str(b), "--format", "jsonl"]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert summary["type"] == "summary"
    assert [s["status"] for s in summary["sensors"]["sensors"]] == ["reference", "aligned"]
