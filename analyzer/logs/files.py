"""Reading log files (plain or gzip-compressed): the only I/O of the logs stage."""

from __future__ import annotations

import gzip
import io
from collections.abc import Sequence
from datetime import UTC, datetime

from analyzer.errors import AnalyzerError
from analyzer.logs.parse import parse_log
from analyzer.logs.records import ParsedLog


def load_lines(paths: Sequence[str]) -> list[list[str]]:
    """Every log's lines, read first so that a missing file fails before any work."""
    return [_lines(path) for path in paths]


def parse_logs(paths: Sequence[str], texts: Sequence[Sequence[str]], year: int | None = None
               ) -> list[ParsedLog]:
    """Parse each log, numbering attempts across them; `year` dates syslog lines."""
    year = year or datetime.now(UTC).year
    out: list[ParsedLog] = []
    first = 0
    for path, lines in zip(paths, texts, strict=True):
        parsed = parse_log(lines, path=path, year=year, first_index=first)
        first += len(parsed.attempts)
        out.append(parsed)
    return out


def read_logs(paths: Sequence[str], year: int | None = None) -> list[ParsedLog]:
    return parse_logs(paths, load_lines(paths), year)


def _lines(path: str) -> list[str]:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise AnalyzerError(f"{path}: cannot read the log ({exc.strerror or exc})") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise AnalyzerError(f"{path}: damaged gzip log ({exc})") from None
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace").readlines()
