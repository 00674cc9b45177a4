"""Output injection: SSIDs and EAP identities are chosen by whoever transmits. Rich markup,
ANSI/OSC escapes, HTML and spreadsheet formulas in them must be inert in every output: shown
as text, never acting on the terminal, the browser or the spreadsheet."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.report.safe import clean, csv_cell, printable
from analyzer.simulate.scenario import Scenario

VECTORS = {
    "markup": "[bold]big[/bold][link=http://x]y",
    "ansi": "\x1b[31mred\x1b[0m",
    "osc8": "\x1b]8;;http://x\x07link",
    "script": "<script>alert(1)</script>",
    "formula": "=cmd|' /C calc'!A0",
    "bidi": "abc\u202egpj.exe",
    "semicolon": "net;=cmd|' /C calc'!A0",
    "tab": "net\t@SUM(1+1)",
}
FORMULA = ("=", "+", "-", "@")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module", params=sorted(VECTORS))
def hostile(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """A capture where both APs advertise the vector as SSID and the STA uses it as identity."""
    vector = VECTORS[request.param]
    sc = (
        Scenario(seed=5)
        .ap("a", "02:00:00:00:01:00", vector, 1, "8021x")
        .ap("b", "02:00:00:00:02:00", vector, 36, "8021x")
        .sta("s", "02:00:00:00:00:10", identity=vector)
    )
    sc.beacons("a", 2).beacons("b", 2).connect("s", "a").data("s").roam("s", "b").data("s")
    path = tmp_path_factory.mktemp(request.param) / "hostile.pcap"
    sc.write(path)
    return vector, str(path)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return out.out


def assert_terminal_safe(text: str) -> None:
    """No control character but line ends: nothing a terminal would act on."""
    bad = _CONTROL.findall(text.replace("\r\n", "\n"))
    assert not bad, f"control characters reach the output: {bad[:5]!r}"


def assert_no_formula(cells: list[str]) -> None:
    """Not in a cell, nor after a `;` or tab a spreadsheet may split the cell on."""
    for cell in cells:
        for piece in re.split("[;\t,]", cell or ""):
            piece = piece.lstrip(" ")
            if piece and piece.startswith(FORMULA):
                float(piece)  # only numbers may start with a sign


def test_terminal_table_shows_the_vector_as_text(hostile: tuple, capsys) -> None:
    vector, path = hostile
    out = cli(capsys, "analyze", "--quiet", path)
    assert_terminal_safe(out)
    assert (clean(vector) or "")[:12] in out  # shown, escaped where needed; not interpreted


def test_json_keeps_the_exact_value_and_escapes_every_control(hostile: tuple, capsys) -> None:
    vector, path = hostile
    out = cli(capsys, "analyze", "--quiet", "--format", "json", path)
    assert_terminal_safe(out)
    document = json.loads(out)
    assert {r["ssid"] for r in document["roams"]} == {vector}


def test_jsonl_keeps_the_exact_value_and_escapes_every_control(hostile: tuple, capsys) -> None:
    vector, path = hostile
    out = cli(capsys, "analyze", "--quiet", "--format", "jsonl", path)
    assert_terminal_safe(out)
    roams = [json.loads(line) for line in out.splitlines() if '"type": "roam"' in line]
    assert len(roams) == 2 and {r["ssid"] for r in roams} == {vector}


def test_csv_on_stdout_neutralises_formulas_and_escapes(hostile: tuple, capsys) -> None:
    vector, path = hostile
    out = cli(capsys, "analyze", "--quiet", "--format", "csv", path)
    assert_terminal_safe(out)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["ssid"] for r in rows] == [csv_cell(clean(vector))] * 2
    assert_no_formula([cell for row in rows for cell in row.values()])


def test_csv_tables_neutralise_formulas_and_escapes(hostile: tuple, tmp_path: Path, capsys):
    vector, path = hostile
    cli(capsys, "analyze", "--quiet", "--out", str(tmp_path), path)
    for name in ("roams", "findings", "frames"):
        text = (tmp_path / f"{name}.csv").read_text(encoding="utf-8")
        assert_terminal_safe(text)
        assert_no_formula([c for row in csv.reader(io.StringIO(text)) for c in row])
    frames = list(csv.DictReader(io.StringIO((tmp_path / "frames.csv").read_text())))
    assert csv_cell(printable(vector.encode())) in {f["ssid"] for f in frames}


def test_frames_output_escapes_ssid_and_identity(hostile: tuple, capsys) -> None:
    vector, path = hostile
    table = cli(capsys, "frames", path)
    assert_terminal_safe(table)
    assert f"identity={printable(vector.encode())}" in table
    lines = cli(capsys, "frames", "--format", "jsonl", path)
    assert_terminal_safe(lines)
    rows = [json.loads(line) for line in lines.splitlines()]
    assert printable(vector.encode()) in {r.get("identity") for r in rows}


def assert_html_inert(page: str, vector: str, ours: bool = True) -> None:
    """No element or link from the vector; in our own HTML, controls shown escaped too. The one
    script allowed is the report's own sorting script, exactly as shipped."""
    from analyzer.report.page import SCRIPT

    page = page.replace(f"<script>{SCRIPT}</script>", "", 1)
    assert not re.search(r"<\s*script", page, re.I) and 'href="http://x"' not in page
    if vector.startswith("<"):
        assert "&lt;script&gt;" in page
    if ours:
        assert_terminal_safe(page)


def test_html_report_escapes_every_value(hostile: tuple) -> None:
    from analyzer import api

    vector, path = hostile
    assert_html_inert(api.load(path).to_html(), vector)


def test_notebook_reprs_escape_every_value(hostile: tuple) -> None:
    from analyzer import api

    vector, path = hostile
    analysis = api.load(path)
    assert_html_inert(analysis._repr_html_(), vector)
    assert_html_inert(analysis.roam(1)._repr_html_(), vector)
    assert_html_inert(analysis.roams.to_html(), vector, ours=False)  # pandas' own escaping
    assert clean(vector) in set(analysis.roams["ssid"])


def test_roams_and_pmksa_tables_and_roams_parquet_carry_the_ssid_escaped(
    hostile: tuple, tmp_path: Path, capsys
) -> None:
    """Like the frames table: escaped where it has controls, the text itself otherwise."""
    import pandas as pd  # noqa: TID251 - reading back the Parquet table

    from analyzer import api

    vector, path = hostile
    analysis = api.load(path)
    for table in (analysis.roams, analysis.pmksa):
        assert set(table["ssid"]) == {clean(vector)}
        assert_terminal_safe(" ".join(table["ssid"]))
    cli(capsys, "analyze", "--quiet", "--out", str(tmp_path), path)
    parquet = pd.read_parquet(tmp_path / "roams.parquet")
    assert set(parquet["ssid"]) == {clean(vector)}


def test_csv_cell_escapes_terminal_controls() -> None:
    """Regression (bug: `analyze --format csv` wrote an SSID's raw ESC/BEL to the terminal)."""
    assert csv_cell("\x1b]8;;http://x\x07a") == "\\x1b]8;;http://x\\x07a"
    assert csv_cell("=1+1\x1b[2J") == "'=1+1\\x1b[2J"
    assert csv_cell(-45) == -45 and csv_cell(None) is None


def test_csv_cell_neutralises_a_formula_after_any_separator() -> None:
    """A spreadsheet splitting on `;` or tab starts a cell after each one."""
    assert csv_cell("net;=1+1") == "net;'=1+1"
    assert csv_cell("a; @x") == "a; '@x"
    assert csv_cell("a,-x") == "a,'-x"
    assert csv_cell("a\t+x") == "a\\x09'+x"
    assert csv_cell("plain; text, here") == "plain; text, here"


def test_bidi_overrides_are_escaped_in_text() -> None:
    """Regression (bug: U+202E in an SSID reversed the rest of a terminal table row)."""
    assert clean("abc\u202egpj.exe") == "abc\\u202egpj.exe"
    assert printable("\u2066x\u2069".encode()) == "\\u2066x\\u2069"
    assert clean("caf\u00e9 \U0001f4f6") == "caf\u00e9 \U0001f4f6"  # ordinary text untouched


def test_html_cells_show_controls_escaped() -> None:
    """Regression (bug: the HTML report carried an SSID's raw ESC bytes)."""
    from analyzer.report.html import esc

    assert esc("<b>\x1b[31m") == "&lt;b&gt;\\x1b[31m"
