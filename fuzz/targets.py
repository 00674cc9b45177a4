"""What one fuzz input goes through: a frame through `peek`/`decode` (and on into the roam
engine and the frame report), a capture file through `open_capture` + `run` (analyzer.run.dispatch)
and every output format. Shared by the campaign, the atheris entry point and the test smoke run.

When the compiled core (analyzer._core) is built, every input also goes through it and must
give what the pure path gives: a frame's `peek` and lean fields, a file's whole JSON document
(its readers and hot loop). A difference raises CoreDifference.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

from analyzer import _core
from analyzer.capture import RawRecord
from analyzer.dot11 import Frame, Malformed, decode, peek
from analyzer.errors import AnalyzerError
from analyzer.report.frames import frame_row, summary
from analyzer.report.jsonout import analysis_document, jsonl_lines
from analyzer.report.tabular import ROAM_COLUMNS, roam_row, write_csv
from analyzer.report.text import print_analysis, print_roams
from analyzer.roam.inventory import Inventory
from analyzer.roam.tracker import Tracker
from analyzer.run.dispatch import run
from analyzer.run.engine import Analysis

LINKTYPES = (1, 105, 119, 127, 163, 192)


class CoreDifference(AssertionError):
    """The compiled core and the pure path disagree on an input."""


def _lean_paths() -> dict:
    from analyzer.dot11.decode import ack_receiver, beacon_fields, data_fields
    from analyzer.dot11.records import Kind

    return {int(Kind.DATA): data_fields, int(Kind.BEACON): beacon_fields,
            int(Kind.CONTROL): ack_receiver}


def core_frame(index: int, ts_ns: int, linktype: int, data: bytes) -> None:
    """The core's classifier and lean fields against decode's, on one record (after `decode`
    saw it, so the memo may know it)."""
    from analyzer.dot11.decode import FULL

    compiled = _core.core()
    if compiled is None:
        return
    if compiled.peek(linktype, data) != peek(linktype, data):
        raise CoreDifference(f"peek: core {compiled.peek(linktype, data)}, "
                             f"python {peek(linktype, data)}")
    if linktype != 127:
        return
    rec = RawRecord(index, ts_ns, linktype, data, 0, len(data))
    for kind, python in _LEAN.items():
        want = python(rec)
        if kind == _ACK and type(want) is not str:
            want = FULL
        got = compiled.lean(kind, index, ts_ns, 0, data)
        if got != want:
            raise CoreDifference(f"lean kind {kind}: core {got!r}, python {want!r}")


_LEAN = _lean_paths()
_ACK = 18


class FrameTarget:
    """Decodes records and feeds the results to one long-lived tracker and inventory."""

    def __init__(self) -> None:
        self.tracker = Tracker()
        self.inventory = Inventory()
        self.decoded = self.malformed = self.ignored = 0
        self._fed = 0

    def __call__(self, index: int, ts_ns: int, linktype: int, data: bytes, fcs: bool) -> None:
        peek(linktype, data)
        item = decode(RawRecord(index, ts_ns, linktype, data, 0, len(data)), check_fcs=fcs)
        core_frame(index, ts_ns, linktype, data)
        if item is None:
            self.ignored += 1
            return
        if isinstance(item, Malformed):
            self.malformed += 1
        elif isinstance(item, Frame):
            self.decoded += 1
            self.inventory.add(0, item)
            summary(frame_row(0, item))
        else:
            raise TypeError(f"decode returned {type(item).__name__}")
        self.tracker.feed(item)
        self._fed += 1
        if self._fed % 20_000 == 0:
            self.reset()

    def reset(self) -> None:
        self.tracker.finish()
        self.tracker.stations()
        self.tracker = Tracker()
        self.inventory = Inventory()


def run_file(blob: bytes, render_text: bool = False, core: bool = False) -> Analysis | None:
    """The whole pipeline and every output on one capture; None when it is refused up front.
    `core`: also through the compiled core (when built), whose document must be the same."""
    if core and _core.available():
        before = _core.pure()
        try:
            _core.set_pure(True)
            pure = _document(run_file(blob, render_text))
            _core.set_pure(False)
            analysis = run_file(blob, render_text)
        finally:
            _core.set_pure(before)
        compiled = _document(analysis)
        if compiled != pure:
            raise CoreDifference("the core's JSON document differs from the pure path's")
        return analysis
    try:
        analysis = run([io.BytesIO(blob)])  # type: ignore[list-item]
    except AnalyzerError:
        return None
    if analysis.truncated and not any(c.info.warnings for c in analysis.captures):
        raise AssertionError("truncated without a warning")
    document = analysis_document(analysis)
    json.dumps(document)
    for _line in jsonl_lines(document):
        pass
    write_csv(io.StringIO(), ROAM_COLUMNS, (roam_row(r) for r in document["roams"]))
    csv.writer(io.StringIO()).writerows(f.values() for f in document["findings"])
    if render_text:
        out = io.StringIO()
        print_analysis(document, out)
        print_roams(document, out)
    return analysis


EXIT_CODES = (0, 2, 3)  # fine, refused (one line on stderr), damaged


def run_cli(blob: bytes, workdir: Path, report: bool = False) -> None:
    """One capture through the command line as a user runs it: `analyze --jobs 1` and
    `--pure analyze --jobs 2` (cut into small ranges; with the compiled core the command line
    splits only on the pure path) print the same JSON with the same exit code, `merge` (and
    with `report`, `report`) exits 0, 2 or 3; an exit 2 is one line on stderr, nothing prints a
    traceback, and the input is never changed."""
    path = workdir / "input.pcapng"
    path.write_bytes(blob)
    argv = ["analyze", str(path), "--format", "json", "--quiet", "--jobs"]
    one = _cli([*argv, "1"])
    with _small_ranges():
        two = _cli(["--pure", *argv, "2"])
    if one != two:
        raise AssertionError(f"--jobs 2 differs from --jobs 1 (exit {one[0]} vs {two[0]})")
    _cli(["merge", str(path), "-o", str(workdir / "merged.pcapng")])
    if report:
        _cli(["report", str(path), "-o", str(workdir / "report.html")])
    if path.read_bytes() != blob:
        raise AssertionError("an input was changed")


def _cli(argv: list[str]) -> tuple[int, str]:
    from analyzer.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    text = err.getvalue()
    command = " ".join(argv[:2]) if argv[0] == "--pure" else argv[0]
    if code not in EXIT_CODES or "Traceback" in text:
        raise AssertionError(f"{command}: exit {code}: {text[-300:]}")
    if code == 2 and len(text.strip().splitlines()) != 1:
        raise AssertionError(f"{command}: exit 2 without one line on stderr: {text[-300:]}")
    return code, out.getvalue()


@contextlib.contextmanager
def _small_ranges() -> Iterator[None]:
    from analyzer.run import jobs

    old = jobs.MIN_SPLIT_BYTES
    jobs.MIN_SPLIT_BYTES = 0
    try:
        yield
    finally:
        jobs.MIN_SPLIT_BYTES = old

def _document(analysis: Analysis | None) -> str | None:
    if analysis is None:
        return None
    return json.dumps(analysis_document(analysis), sort_keys=True)
