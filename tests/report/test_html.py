"""The HTML report: self-contained, escaped, and what a real browser makes of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzer.report import html as report_html
from analyzer.report import page as page_parts
from analyzer.roam.records import Finding
from tests.report import browser
from tests.report.factory import APS, HOSTILE_SSID, STAS, story

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report of six attempts on an SSID that is a script tag, and a finding quoting it."""
    analysis = story(6, ssid=HOSTILE_SSID)
    analysis.result.findings.append(Finding(
        "SSID_ODD", "warning", 3, STAS[0], APS[0], f"SSID {HOSTILE_SSID} <img src=x onerror=1>"))
    path = tmp_path_factory.mktemp("report") / "report.html"
    analysis.to_html(path)
    return path


def test_off_the_air_text_is_escaped(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert HOSTILE_SSID not in text
    assert ESCAPED in text
    assert text.lower().count("<script") == 1  # the sorting script, allowed by its hash
    assert "<img src=x" not in text and "&lt;img src=x onerror=1&gt;" in text


def test_the_page_can_load_nothing_from_the_network(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';' in text
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert "http://" not in text and "https://" not in text
    sources = re.findall(r"""src="([^"]*)\"""", text)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    csp = re.search(r'Content-Security-Policy" content="([^"]*)"', text).group(1)
    assert f"script-src '{page_parts.script_hash()}'" in csp and "unsafe-inline'" not in csp.split(
        "script-src")[1]


def test_every_chart_and_ladder_is_embedded(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert text.count("<img ") == 3 + 2  # charts, a timeline per station
    assert text.count('<svg class="ladder"') == 6  # a ladder per attempt, inline SVG
    assert text.count("<details") == 6 + 1  # ladders, one findings group


def test_verdicts_and_outcomes_are_coloured() -> None:
    text = story(7).to_html()
    assert '<td class="bad">ap_miss</td><td class="bad">no</td>' in text  # not as expected
    assert '<td class="ok">hit</td><td class="ok">yes</td>' in text
    assert '<td class="bad">failed</td>' in text  # attempt 7


def test_an_empty_analysis_still_renders() -> None:
    text = story(0).to_html()
    assert "Attempts (0)" in text and "no attempts" in text


def test_cells_escape_every_type() -> None:
    assert report_html.esc(None) == "\u2013"
    assert report_html.esc("a<b&\"c'") == "a&lt;b&amp;&quot;c&#x27;"
    assert report_html.esc(1.5) == "1.5"


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = browser.chromium()
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return binary


def test_chromium_screenshot_is_not_blank(page: Path, chromium: str, tmp_path: Path) -> None:
    from matplotlib import image

    png = tmp_path / "report.png"
    done = browser.screenshot(chromium, page, png, tmp_path / "profile")
    assert png.is_file(), done.stderr[-2000:]
    pixels = image.imread(png)
    assert pixels.shape[:2] == (2000, 1280)
    assert pixels[..., :3].std() > 0.05  # white page would be ~0
    assert (pixels[..., :3].mean(axis=2) < 0.5).mean() > 0.005  # some dark text and bars


def test_chromium_loads_it_without_errors_or_network(page: Path, chromium: str,
                                                      tmp_path: Path) -> None:
    seen = browser.load_page(chromium, page, tmp_path / "profile")
    assert seen["errors"] == []
    schemes = {url.split(":", 1)[0] for url in seen["requests"]}
    assert schemes <= {"file", "data"}, schemes
    assert seen["scripts"] == 1  # the sorting script, and it ran without an error
    assert HOSTILE_SSID in seen["text"]  # shown as text, never run
    assert "<img src=x onerror=1>" in seen["text"]
    assert seen["images"] and all(seen["images"])  # every embedded PNG decoded


def test_report_opens_with_a_card_per_station_then_the_attempts() -> None:
    text = story(8).to_html()
    cards = text.index('<div class="cards">')
    assert cards < text.index("<h2>Attempts") < text.index("<h2>Findings") < text.index(
        "<h2>Charts")
    assert len(re.findall(r'<div class="card( alert)?"><h3>', text)) == len(STAS)
    assert "median control plane" in text


def test_attempts_table_puts_verdict_and_outcome_next_to_the_station_with_one_decimal() -> None:
    analysis = story(8)
    text = analysis.to_html()
    head = re.search(r'<table class="sortable attempts"><thead><tr>(.*?)</tr>', text).group(1)
    headers = re.findall(r"<th>(.*?)</th>", head)
    assert headers[:5] == ["#", "station", "PMKSA verdict", "as expected", "outcome"]
    latency = analysis.roams["latency_control_plane_ms"].dropna().iloc[0]
    assert f">{latency:.1f}</td>" in text


def test_findings_are_grouped_by_code_most_severe_first() -> None:
    analysis = story(4)
    for k in range(3):
        analysis.result.findings.append(Finding("B_INFO", "info", k, STAS[0], APS[0], "i"))
        analysis.result.findings.append(Finding("A_ERR", "error", k, STAS[0], APS[0], "e"))
    text = analysis.to_html()
    groups = re.findall(r"<summary><span class=\"\w+\">(\w+)</span> <b>(\w+)</b> × (\d+)", text)
    assert groups[0] == ("error", "A_ERR", "3")
    assert ("info", "B_INFO", "3") in groups


def test_hundreds_of_attempts_give_a_bounded_page_with_svg_ladders() -> None:
    analysis = story(300)
    text = analysis.to_html()
    assert text.count('<svg class="ladder"') == 300
    assert text.count("<img ") <= 3 + 12  # charts and timelines only: no PNG per ladder
    assert len(text.encode()) < 4_000_000


def test_ladder_svg_escapes_off_the_air_text_and_marks_retries() -> None:
    from analyzer.report.svgladder import ladder_svg

    analysis = story(2, ssid=HOSTILE_SSID)
    row = analysis.roams.iloc[0].to_dict()
    svg = ladder_svg(row, analysis.frames[analysis.frames["roam_id"] == row["id"]])
    assert "<script" not in svg and svg.startswith('<svg class="ladder"')
    assert 'class="fr retry"' in svg and "(retry)" in svg


WIDTH_PROBE = """JSON.stringify({
  inner: window.innerWidth,
  scroll: document.documentElement.scrollWidth,
  verdict: Math.max.apply(null, Array.from(document.querySelectorAll(
    'table.attempts tr > :nth-child(3), table.attempts tr > :nth-child(5)')).map(
    c => c.getBoundingClientRect().right)),
})"""


@pytest.mark.parametrize("width", [1366, 1920])
def test_verdict_and_outcome_are_visible_without_horizontal_scrolling(
    chromium: str, tmp_path: Path, width: int
) -> None:
    import json

    path = tmp_path / "report.html"
    story(40, ssid="a rather long corporate network name").to_html(path)
    found = json.loads(browser.evaluate_at(chromium, path, tmp_path / "profile", width, 900,
                                           WIDTH_PROBE))
    assert found["inner"] == width
    assert found["scroll"] <= width and 0 < found["verdict"] <= width


SORT_PROBE = """(function(){
  var th = document.querySelectorAll('table.attempts th')[8];
  th.click(); var up = Array.from(document.querySelectorAll('table.attempts tbody tr')).map(
    r => parseFloat(r.cells[8].getAttribute('data-v')));
  th.click(); var down = Array.from(document.querySelectorAll('table.attempts tbody tr')).map(
    r => parseFloat(r.cells[8].getAttribute('data-v')));
  return JSON.stringify({up: up, down: down});
})()"""


def test_columns_sort_by_a_click_in_the_browser(chromium: str, tmp_path: Path) -> None:
    import json
    import math

    path = tmp_path / "report.html"
    story(12).to_html(path)
    found = json.loads(browser.evaluate_at(chromium, path, tmp_path / "profile", 1366, 900,
                                           SORT_PROBE))
    up = [v for v in found["up"] if v is not None and not math.isnan(v)]
    assert up == sorted(up) and len(up) >= 10
    down = [v for v in found["down"] if v is not None and not math.isnan(v)]
    assert down == sorted(down, reverse=True)
