"""The HTML report: self-contained, escaped, and what a real browser makes of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzer.report import html as report_html
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
    assert "<script" not in text.lower()
    assert "<img src=x" not in text and "&lt;img src=x onerror=1&gt;" in text


def test_the_page_can_load_nothing_from_the_network(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';' in text
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert "http://" not in text and "https://" not in text
    sources = re.findall(r"""src="([^"]*)\"""", text)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)


def test_every_chart_and_ladder_is_embedded(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert text.count("<img ") == 3 + 2 + 6  # charts, a timeline per station, ladders
    assert text.count("<details") == 6


def test_verdicts_and_outcomes_are_coloured() -> None:
    text = story(7).to_html()
    assert '<td class="bad">False</td>' in text  # ap_miss, not as expected
    assert '<td class="ok">True</td>' in text
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
    assert seen["scripts"] == 0
    assert HOSTILE_SSID in seen["text"]  # shown as text, never run
    assert "<img src=x onerror=1>" in seen["text"]
    assert seen["images"] and all(seen["images"])  # every embedded PNG decoded
