"""What one fuzz input goes through: a frame through `peek`/`decode` (and on into the roam
engine and the frame report), a capture file through `open_capture` + `pipeline.run` and
every output format. Shared by the campaign, the atheris entry point and the test smoke run.
"""

from __future__ import annotations

import csv
import io
import json

from analyzer.capture import RawRecord
from analyzer.dot11 import Frame, Malformed, decode, peek
from analyzer.errors import AnalyzerError
from analyzer.pipeline import Analysis, run
from analyzer.report.frames import frame_row, summary
from analyzer.report.jsonout import analysis_document, jsonl_lines
from analyzer.report.tabular import ROAM_COLUMNS, roam_row, write_csv
from analyzer.report.text import print_analysis, print_roams
from analyzer.roam.inventory import Inventory
from analyzer.roam.tracker import Tracker

LINKTYPES = (1, 105, 119, 127, 163, 192)


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


def run_file(blob: bytes, render_text: bool = False) -> Analysis | None:
    """The whole pipeline and every output on one capture; None when it is refused up front."""
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
