"""Many independent captures: a directory or glob, one worker process per file, one document.

`analyze DIR_OR_GLOB` expands to the directory's (or the pattern's) pcap, pcapng, .cap and .gz
files, sorted by path. Each file is an independent capture (a site, a day): it is analysed alone,
exactly as `analyze FILE` would, in its own worker process; the results are combined into one
document: `captures` in file order, `counts` summed, `pmkids`/`stations`/`roams`/`findings`
concatenated, each carrying `capture` (its index in `captures`), roam ids renumbered so they are
unique (file k's ids shifted by the largest id of the files before it), and `summary` computed
over all roams. Several files named explicitly on the command line keep their meaning: several
sensors of one site, merged (analyzer.run.sensors); a directory or glob given with `--sensors` too.

`analyze ROOT --sites`: ROOT's subdirectories are sites, each subdirectory's capture files the
sensors of that site (a capture directly in ROOT is a site of one sensor). Each site is merged
and aligned in one worker (analyzer.run.sensors) before its roam engine runs, sites independent of
each other. The document then lists every sensor's capture in `captures` (site by site) and the
sites in `sites` ({name, captures: [indices], sensors}); every pmkid, station, roam and finding
carries `site` besides `capture` (the site's first capture, or the pmkid's own).
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from analyzer.errors import AnalyzerError
from analyzer.run.procs import bind_to_parent, signals_held

SUFFIXES = (".pcap", ".pcapng", ".cap", ".gz")
_GLOB_CHARS = frozenset("*?[")


def is_many(sources: Sequence[str]) -> bool:
    """True when a source is a directory or a glob pattern (not an existing file)."""
    return any(_expandable(s) for s in sources)


def _expandable(source: str) -> bool:
    if source == "-" or os.path.isfile(source):
        return False
    return os.path.isdir(source) or any(c in source for c in _GLOB_CHARS)


def expand(sources: Sequence[str]) -> list[str]:
    """Directories and globs replaced by their capture files (sorted); files kept as given."""
    out: list[str] = []
    for source in sources:
        if not _expandable(source):
            out.append(source)
            continue
        if os.path.isdir(source):
            names = [os.path.join(source, n) for n in os.listdir(source)]
        else:
            names = glob.glob(source, recursive=True)
        found = sorted(n for n in names if os.path.isfile(n) and n.lower().endswith(SUFFIXES))
        if not found:
            raise AnalyzerError(f"{source}: no .pcap, .pcapng, .cap or .gz files there")
        out.extend(found)
    seen: set[str] = set()
    return [p for p in out if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]


@dataclass(slots=True)
class FileResult:
    """One file's analysis: its JSON document, its roams (for the summary), frame rows, and
    notes for the user on how it was run (none for most)."""

    document: dict[str, Any]
    roams: list[Any]
    frame_rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Options:
    """What every worker needs besides the path (picklable)."""

    expectations: Any = None
    keys: Any = None
    frame_rows: bool = False


def analyze_site(paths: Sequence[str], index: int, options: Options) -> FileResult:
    """Worker: one site, exactly as `analyze A B ...` (several sensors merged and aligned);
    frame rows (when asked) carry `index` plus their sensor's position as their capture."""
    from analyzer.run.dispatch import run

    sinks, rows = site_sinks(index, options)
    try:
        analysis = run(list(paths), sinks=sinks, expectations=options.expectations,
                       keys=options.keys)
    except AnalyzerError as exc:  # one bad file is the batch's news, not its end
        return failed_site(paths, str(exc))
    return site_result(analysis, rows, options.expectations)


def failed_site(paths: Sequence[str], error: str) -> FileResult:
    """A site that could not be analysed (a file unreadable, not a capture, an unsupported
    link type): its captures listed with the `error`, nothing else from it."""
    from analyzer.report.summary import summarize

    captures = [{"path": p, "format": None, "linktypes": [], "frames": 0, "malformed": 0,
                 "truncated": False, "first_ts": None, "last_ts": None, "warnings": [],
                 "malformed_reasons": {}, "error": error} for p in paths]  # fmt: skip
    document = {"captures": captures, "counts": {}, "pmkids": [], "stations": [], "roams": [],
                "findings": [], "summary": summarize([]), "sensors": None}
    return FileResult(document, [])


def site_sinks(index: int, options: Options) -> tuple[list[Any], list[dict[str, Any]]]:
    """The frame sinks of a site whose first capture is `index`, and the list of frame rows
    they fill (no sink unless `options.frame_rows`)."""
    from analyzer.report.frames import NOT_TABLED, frame_row

    rows: list[dict[str, Any]] = []
    if not options.frame_rows:
        return [], rows

    def collect(sensor: int, frame: Any) -> None:
        if frame.kind not in NOT_TABLED:
            rows.append(frame_row(index + sensor, frame))

    return [collect], rows


def site_result(analysis: Any, rows: list[dict[str, Any]], expectations: Any = None
                ) -> FileResult:  # fmt: skip
    """A finished site's analysis (engine.Analysis) as its worker sends it back; SLOW_ROAM
    decided by the expectations' `max_roam_ms` exactly as `analyze FILE` and `check` do."""
    from analyzer.report.expect import slow_roams_as_checked
    from analyzer.report.jsonout import analysis_document

    slow_roams_as_checked(analysis, expectations)
    return FileResult(analysis_document(analysis), list(analysis.roams), rows)


def _task(args: tuple[list[str], int, Options]) -> FileResult:
    return analyze_site(*args)


def _context() -> Any:
    import multiprocessing  # here, not at the top: a single file's run never needs it

    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method)


def run_many(sites: Sequence[Sequence[str]], jobs: int, options: Options) -> list[FileResult]:
    """Every site (a file, or several sensors' files) in its own worker process (`jobs` at a
    time), results in site order."""
    tasks = [(list(paths), base, options) for paths, base in zip(sites, bases(sites), strict=True)]
    if jobs <= 1 or len(sites) <= 1:
        return [_task(t) for t in tasks]
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(min(jobs, len(sites)), mp_context=_context(),
                               initializer=bind_to_parent, initargs=(os.getpid(),))
    try:
        with signals_held():  # the pool starts its processes as the tasks are submitted
            results = pool.map(_task, tasks)
        return list(results)
    except BaseException:  # a stop signal, Ctrl-C, a failed task: the workers go now
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.kill()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def bases(sites: Sequence[Sequence[str]]) -> list[int]:
    """Each site's first index in the combined `captures`."""
    out, n = [], 0
    for paths in sites:
        out.append(n)
        n += len(paths)
    return out


def expand_sites(sources: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """(names, sensor files) of the sites under each directory in `sources`: a subdirectory
    with captures is a site, a capture directly in the directory a site of its own."""
    names: list[str] = []
    sites: list[list[str]] = []
    for source in sources:
        if not os.path.isdir(source):
            raise AnalyzerError(f"{source}: --sites wants directories (one subdirectory a site)")
        for entry in sorted(os.listdir(source)):
            path = os.path.join(source, entry)
            if os.path.isdir(path):
                files = _captures_in(path)
                if files:
                    names.append(entry)
                    sites.append(files)
            elif entry.lower().endswith(SUFFIXES):
                names.append(entry)
                sites.append([path])
    if not sites:
        raise AnalyzerError(f"{', '.join(sources)}: no site (subdirectory with captures) there")
    return names, sites


def _captures_in(directory: str) -> list[str]:
    names = (os.path.join(directory, n) for n in os.listdir(directory))
    return sorted(n for n in names if os.path.isfile(n) and n.lower().endswith(SUFFIXES))


def combine(results: Iterable[FileResult], sites: Sequence[str] | None = None) -> dict[str, Any]:
    """One document from independent captures or, with `sites` (their names), independent
    sites of several sensors each (see the module docstring)."""
    from analyzer.report.summary import summarize

    doc: dict[str, Any] = {
        "captures": [],
        "counts": {},
        "pmkids": [],
        "stations": [],
        "roams": [],
        "findings": [],
        "summary": None,
        "sensors": None,
    }
    if sites is not None:
        doc["sites"] = []
    counts: dict[str, int] = doc["counts"]
    roams: list[Any] = []
    shift = 0
    for n, result in enumerate(results):
        one = result.document
        base = len(doc["captures"])
        tag = {"capture": base} if sites is None else {"capture": base, "site": n}
        if sites is not None:
            doc["sites"].append({"name": sites[n], "sensors": one["sensors"],
                                 "captures": list(range(base, base + len(one["captures"])))})
        doc["captures"].extend(one["captures"])
        for key, value in one["counts"].items():
            counts[key] = counts.get(key, 0) + value
        doc["pmkids"].extend({**p, **tag, "capture": base + p.get("capture", 0)}
                             for p in one["pmkids"])  # fmt: skip
        doc["stations"].extend({**s, **tag} for s in one["stations"])
        doc["findings"].extend({**f, **tag} for f in one["findings"])
        top = shift
        for roam in one["roams"]:
            doc["roams"].append({**roam, **tag, "id": roam["id"] + shift})
            top = max(top, roam["id"] + shift)
        shift = top
        roams.extend(result.roams)
    doc["summary"] = summarize(roams)
    return doc


def frame_rows(results: Iterable[FileResult]) -> list[dict[str, Any]]:
    return [row for r in results for row in r.frame_rows]
