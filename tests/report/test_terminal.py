"""Terminal tables at the widths people use: nothing an attempt is read by is ever cut."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from analyzer.report import text
from analyzer.report.jsonout import analysis_document, only_station
from analyzer.run.dispatch import run
from tests.pmksa.scenarios import original

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(str(p) for p in (ROOT / "pcaps").glob("*.pcapng"))
WIDTHS = (80, 100, 120, 160)


class Terminal(io.StringIO):
    """A text stream that claims to be a terminal, so the console takes the given width."""

    def isatty(self) -> bool:
        return True


def render(document: dict[str, Any], width: int, sta: str | None = None) -> str:
    out = Terminal()
    console = Console(file=out, width=width, force_terminal=False, color_system=None,
                      highlight=False, markup=False, emoji=False, soft_wrap=False)
    original_console = text.console_for
    text.console_for = lambda _out: console  # type: ignore[assignment]
    try:
        text.print_roams(document, out, sta)
    finally:
        text.console_for = original_console  # type: ignore[assignment]
    return out.getvalue()


def builder_document(tmp_path: Path) -> dict[str, Any]:
    """The original report with the AP ignoring the cached PMKID (an unexpected verdict)."""
    path = tmp_path / "miss.pcap"
    original({"ap_miss": True}).write(path)
    return analysis_document(run([str(path)]))


def assert_whole(document: dict[str, Any], shown: str, width: int) -> None:
    assert "…" not in shown
    assert all(len(line) <= width for line in shown.splitlines())
    words = set(re.split(r"[\s│┃]+", shown))
    for roam in document["roams"]:
        for mac in (roam["sta"], roam["to_bssid"], roam["from_bssid"]):
            assert mac is None or mac in shown
        assert roam["method"] in words and roam["outcome"] in words
        verdict = (roam.get("pmksa") or {}).get("verdict")
        if verdict and verdict != "not_applicable":
            assert verdict in words


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("capture", SHIPPED, ids=lambda p: Path(p).name)
def test_shipped_capture_tables_fit_without_cutting_macs_methods_outcomes_verdicts(
    capture: str, width: int
) -> None:
    document = analysis_document(run([capture]))
    assert_whole(document, render(document, width), width)


@pytest.mark.parametrize("width", WIDTHS)
def test_builder_scenario_with_an_unexpected_verdict_fits_every_width(
    tmp_path: Path, width: int
) -> None:
    document = builder_document(tmp_path)
    shown = render(document, width)
    assert_whole(document, shown, width)
    assert "ap_miss !" in shown


def test_narrow_terminal_prints_one_block_per_attempt_with_relative_times(
    tmp_path: Path
) -> None:
    document = builder_document(tmp_path)
    shown = render(document, 80)
    assert "┃" not in shown.split("Summary")[0]
    blocks = [line for line in shown.splitlines() if re.match(r"#\d+ ", line)]
    assert len(blocks) == len(document["roams"])
    assert all(re.search(r" \+\d+\.\d{3}s ", line) for line in blocks)


def test_wide_terminal_shows_times_of_day_and_every_latency_column(tmp_path: Path) -> None:
    document = builder_document(tmp_path)
    shown = render(document, 240)
    for header in ("time (UTC)", "ssid", "eap ms", "4way ms", "data gap ms", "keys", "failure"):
        assert header in shown


def test_failure_column_gives_the_reason_of_an_unexpected_verdict(tmp_path: Path) -> None:
    document = builder_document(tmp_path)
    reason = next(r["pmksa"]["reason"] for r in document["roams"]
                  if r["pmksa"]["verdict"] == "ap_miss")
    shown = " ".join(render(document, 400).split())
    assert f"ap_miss: {reason}"[:40] in shown
    assert " why " not in shown


def test_rows_are_in_time_order_with_one_table_per_capture_and_station() -> None:
    from analyzer.run.many import Options, combine, run_many

    document = combine(run_many([[p] for p in SHIPPED], 1, Options()), None)
    shown = render(document, 200)
    titles = [line.strip() for line in shown.splitlines() if line.startswith("Station ")]
    assert len(titles) == len({(r["capture"], r["sta"]) for r in document["roams"]})
    assert all(" in " in t for t in titles)
    for _title, _origin, roams in text.roam_groups(document):
        starts = [r["t_start"] for r in roams]
        assert starts == sorted(starts)


def test_sta_filter_narrows_the_summary_and_says_when_a_station_has_no_attempts() -> None:
    document = analysis_document(run([SHIPPED[0]]))
    sta = document["roams"][0]["sta"]
    alone = only_station(document, sta)
    assert alone["summary"]["attempts"] == len(alone["roams"])
    nobody = only_station(document, "02:aa:bb:cc:dd:ee")
    assert nobody["summary"]["attempts"] == 0
    shown = render(nobody, 120, "02:aa:bb:cc:dd:ee")
    assert "Station 02:aa:bb:cc:dd:ee: no connection attempts in 1 capture" in shown


def test_sites_get_one_table_per_site_and_station_in_time_order() -> None:
    document = analysis_document(run([SHIPPED[0]]))
    first, second = (dict(r) for r in document["roams"][:2])
    late = dict(first, id=10, site="lab-b", capture=1, t_start=first["t_start"] + 50)
    early = dict(second, id=11, site="lab-b", capture=1, t_start=first["t_start"] + 1)
    document["roams"] = [dict(first, site="lab-a", capture=0), late, early]
    document["captures"] = document["captures"] * 2
    groups = text.roam_groups(document)
    assert [g[0] for g in groups] == [f"Station {first['sta']} at site lab-a",
                                      f"Station {first['sta']} at site lab-b"]
    assert [r["id"] for r in groups[1][2]] == [11, 10]
    shown = render(document, 120)
    assert "at site lab-b" in shown


def test_no_failure_column_when_no_attempt_has_a_reason_to_show() -> None:
    document = analysis_document(run([SHIPPED[0]]))
    assert all(r["failure_reason"] is None for r in document["roams"])
    shown = render(document, 240)
    assert "failure" not in shown and "keys" in shown


def test_pmkid_invalid_explains_itself_whole_at_80_columns(public_dir: Path) -> None:
    """The MICs verify with the key given; the AP's M1 PMKID is not the standard derivation
    from that PMK (wpa-Induction, Wireshark's sample): the finding says both, nothing cut."""
    from analyzer.config.keys import parse_key

    capture = public_dir / "wpa-Induction.pcap.gz"
    keys = parse_key("wpa-pwd:Induction:Coherer")
    document = analysis_document(run([str(capture)], keys=keys))
    (finding,) = [f for f in document["findings"] if f["code"] == "PMKID_INVALID"]
    message = finding["message"]
    assert "is not the standard derivation" in message and "MICs verify" in message
    out = Terminal()
    console = Console(file=out, width=80, color_system=None, highlight=False, markup=False)
    console.print(text.findings_view(document["findings"], 80))
    assert " ".join(out.getvalue().split()).count(" ".join(message.split())) == 1
