"""The command line: parses arguments, calls the pipeline and the report layer, sets the exit code.

Exit codes: 0 fine; 1 `check` found a violation of the expectations; 2 user error (one line on
stderr, never an option's value: it may be a key); 3 a capture was damaged (results up to the
damage are still printed), or a file of a batch could not be analysed; 4 `live`: an interface
went away (everything up to then is reported, the pcapng closed valid); 128 + N: stopped by
signal N (SIGTERM, SIGHUP), temporary outputs removed and workers ended.

No output is ever written over an input (analyzer.capture.atomic): each is refused before
any work when it is, or links to, one of the inputs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

from analyzer.errors import AnalyzerError

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE, EXIT_DAMAGED = 0, 1, 2, 3
EXIT_CODES = """exit codes:
  0  fine
  1  check: an attempt broke the expectations (or, with --strict, could not be judged)
  2  user error: one line on stderr (missing file, bad option, unwritable output ...)
  3  a capture is damaged: everything up to the damage is still reported
  4  live: an interface went away"""


_OPTION_NAME = re.compile(r"--?[A-Za-z][A-Za-z0-9-]*")


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors (an invalid choice, a missing argument) are one line on
    stderr, exit 2, like every other user error (`--help` shows the full usage), and never
    show a value from the command line: a value may be a passphrase or a PMK (`--kye
    wpa-pwd:...`, `--key` given to a command without it). Option names are shown; values
    become `…`."""

    argv: Sequence[str] = ()

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE,
                  f"{self.prog}: {_redacted(message, self.argv)} (see {self.prog} --help)\n")


def _redacted(message: str, argv: Sequence[str]) -> str:
    head, sep, rest = message.partition("unrecognized arguments: ")
    if sep:
        tokens = rest.split()
        names = [_shown(t) for t in tokens if t.startswith("-")]
        values = len(tokens) - sum(1 for n in names if n)
        shown = " ".join(n for n in names if n)
        hidden = f"{values} value{'s' if values != 1 else ''} (not shown)" if values else ""
        return head + sep + ", ".join(x for x in (shown, hidden) if x)
    for token in sorted(argv, key=len, reverse=True):
        name, eq, value = token.partition("=")
        if eq and token.startswith("-"):
            message = message.replace(token, f"{_option_name(name) or '…'}=…")
            message = message.replace(repr(value), "'…'")
        if not _OPTION_NAME.fullmatch(token):
            message = message.replace(repr(token), "'…'")
    return message


def _shown(token: str) -> str:
    """An option as it may be shown: its name (`=…` for an attached value), or ``."""
    name, eq, _ = token.partition("=")
    if not _OPTION_NAME.fullmatch(name):
        return ""
    return f"{name}=…" if eq else name


def _option_name(token: str) -> str:
    name = token.partition("=")[0]
    return name if _OPTION_NAME.fullmatch(name) else ""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="roam-analyzer",
        description="Reassemble Wi-Fi roams from monitor-mode captures.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _engine_options(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    analyze = sub.add_parser("analyze", help="per-station roams, latencies and findings")
    analyze.add_argument("captures", nargs="+", metavar="CAPTURE", help="pcap/pcapng file, or -")
    analyze.add_argument("--format", choices=("table", "json", "csv", "jsonl"), default="table",
                         help="table (fits the terminal), json (one document, see README), "
                         "csv (one row per attempt) or jsonl (one object a line)")
    analyze.add_argument("--sta", type=_mac, help="only this station (MAC address)")
    analyze.add_argument("--out", metavar="DIR", help="write roams/frames/findings .csv there")
    analyze.add_argument("--quiet", action="store_true", help="no progress display")
    analyze.add_argument("--charts", metavar="DIR", help="write the charts there as PNG and SVG")
    analyze.add_argument("--jobs", type=int, default=None, metavar="N",
                         help="processes decoding one large capture on the pure path (default: "
                         "the cores; with the compiled core always 1, faster alone than "
                         "feeding workers' results through Python), or analysing the files of "
                         "a directory (default: the cores)")
    analyze.add_argument("--sensors", action="store_true",
                         help="a directory or glob: its files are sensors of one site (merged), "
                         "not independent captures")
    analyze.add_argument("--sites", action="store_true",
                         help="a directory whose subdirectories are sites: each one's files are "
                         "sensors of that site (merged), the sites independent")
    analyze.add_argument("--dask", metavar="SCHEDULER", help="independent captures on a Dask "
                         "cluster: its scheduler address, or `local` (2 worker processes)")
    analyze.add_argument("--station-parts", type=int, default=0, metavar="N",
                         help="with --dask: a split large capture's roam engine as N "
                         "per-station partitions on the workers (default: in the client)")
    analyze.add_argument("--annotate", metavar="OUT.pcapng",
                         help="also write the capture with the findings and roam phases as "
                         "frame comments (Wireshark: frame.comment)")
    _offset_option(analyze)
    _pmksa_options(analyze)
    _engine_option(analyze)
    analyze.add_argument("--decrypt-out", metavar="F.pcapng",
                         help="with --key/--keys and one capture file: write a decrypted copy "
                         "for Wireshark (keys never in it)")
    check = sub.add_parser(
        "check", help="exit 1 when a PMKSA verdict or a roam time breaks the expectations"
    )
    check.add_argument("captures", nargs="+", metavar="CAPTURE", help="pcap/pcapng file, or -")
    check.add_argument("--strict", action="store_true",
                       help="also exit 1 when an attempt could not be judged (or there is none)")
    check.add_argument("--format", choices=("text", "json"), default="text",
                       help="text (default) or one JSON object for CI")
    _offset_option(check)
    _pmksa_options(check)
    _engine_option(check)
    frames = sub.add_parser("frames", help="one line per relevant decoded frame")
    frames.add_argument("captures", nargs="+", metavar="CAPTURE")
    frames.add_argument("--format", choices=("table", "json", "jsonl"), default="table",
                        help="table (time since the capture's first frame, retries marked R), "
                        "json (one array) or jsonl (one object a line, streamed)")
    _engine_option(frames)
    sim = sub.add_parser("simulate", help="write a scenario capture (real keys and MICs)")
    sim.add_argument("scenario", help="scenario name (see --list)", nargs="?")
    sim.add_argument("-o", "--output", help="output file (.pcap or .pcapng)")
    sim.add_argument("--format", choices=("pcap", "pcapng"), default=None,
                     help="file format (default: from the file name's extension)")
    sim.add_argument("--frames", type=int, default=None,
                     help="size of the bench-mix and bench-control-mix scenarios")
    sim.add_argument("--list", action="store_true", help="list the scenarios")
    report = sub.add_parser("report", help="a self-contained HTML report: charts, tables, ladders")
    report.add_argument("captures", nargs="+", metavar="CAPTURE", help="pcap/pcapng file")
    report.add_argument("-o", "--output", required=True, metavar="FILE", help="the .html to write")
    _json_option(report)
    _offset_option(report)
    _pmksa_options(report)
    _engine_option(report)
    logs = sub.add_parser(
        "logs", help="wpa_supplicant/hostapd debug logs: attempts, PMKSA decisions, vs captures"
    )
    logs.add_argument("logs", nargs="+", metavar="LOG", help="wpa_supplicant or hostapd log")
    logs.add_argument("--capture", action="append", default=[], metavar="CAPTURE",
                      help="align the logs with this capture (repeatable)")
    logs.add_argument("--format", choices=("table", "json"), default="table",
                      help="table (default) or one JSON document (docs/logs.md)")
    _live_parser(sub)
    merge = sub.add_parser(
        "merge", help="several sensors' captures as one aligned, de-duplicated pcapng"
    )
    merge.add_argument("captures", nargs="+", metavar="CAPTURE", help="one capture per sensor")
    merge.add_argument("-o", "--output", required=True, metavar="FILE.pcapng",
                       help="the merged pcapng to write")
    _json_option(merge)
    _offset_option(merge)
    _annotate_parser(sub)
    for name, subparser in sub.choices.items():
        subparser.formatter_class = argparse.RawDescriptionHelpFormatter
        subparser.epilog = f"examples:\n{EXAMPLES[name]}\n\n{EXIT_CODES}"
    return parser


def _engine_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine", choices=("python", "tshark"), default="python",
        help="who decodes the frames: our decoder (default) or Wireshark's dissectors through "
        "tshark (slow; one capture)",
    )
EXAMPLES = {
    "analyze": """  roam-analyzer analyze pcaps/eap-pmksa-roam.pcapng
  roam-analyzer analyze cap.pcapng --sta 00:21:6a:5b:4c:3d --format json
  roam-analyzer analyze cap.pcapng --key wpa-pwd:secret:lab --out tables/ --charts charts/
  roam-analyzer analyze sensor-ch1.pcap sensor-ch6.pcap --offset sensor-ch6=2.5
  roam-analyzer analyze captures/                  (a directory or 'glob*.pcap': independent)
  roam-analyzer analyze captures/ --sensors        (its files are sensors of one site)
  roam-analyzer analyze sites/ --sites             (a site per subdirectory)""",
    "check": """  roam-analyzer check cap.pcapng --expect lab.toml
  roam-analyzer check cap.pcapng --expect hostapd.conf --strict --format json""",
    "frames": """  roam-analyzer frames cap.pcapng | less
  roam-analyzer frames cap.pcapng --format jsonl | jq 'select(.kind=="auth")'""",
    "simulate": """  roam-analyzer simulate --list
  roam-analyzer simulate eap-pmksa-roam -o story.pcapng""",
    "report": """  roam-analyzer report pcaps/eap-pmksa-roam.pcapng -o report.html
  roam-analyzer report a.pcap b.pcap -o report.html --expect lab.toml""",
    "logs": """  roam-analyzer logs docs/seed-log.txt
  roam-analyzer logs wpa_supplicant.log --capture cap.pcapng --format json""",
    "live": """  roam-analyzer live -i wlan0mon
  roam-analyzer live -i mon1 -i mon6 --write air.pcapng --ring 10:100
  tcpdump -i wlan0mon -w - | roam-analyzer live -r - --format jsonl""",
    "merge": """  roam-analyzer merge ch1.pcapng ch6.pcapng -o merged.pcapng
  roam-analyzer merge ch1.pcapng ch6.pcapng -o merged.pcapng --offset ch6=2.5""",
    "annotate": """  roam-analyzer annotate pcaps/eap-pmksa-roam.pcapng -o annotated.pcapng
  roam-analyzer analyze cap.pcapng --annotate annotated.pcapng
  tshark -r annotated.pcapng -Y frame.comment -T fields -e frame.number -e frame.comment""",
}


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="what is printed: text (default) or one JSON object")


def _sensor_dicts(clocks: Sequence[Any], stats: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"sensor": c.name, "status": c.status, "via": c.via, "offset_s": c.offset_s,
             "drift_ppm": c.drift_ppm, "matched_frames": c.matched,
             "residual_us": None if c.residual_ns is None else c.residual_ns / 1000,
             "copies": st.copies} for c, st in zip(clocks, stats, strict=True)]


def _offset_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--offset", action="append", default=[], metavar="SENSOR=SECONDS",
        help="several captures: this sensor's clock is SECONDS ahead of the first capture's "
        "(SENSOR: path, file name, name without extension, or 1-based position); "
        "overrides the estimate (repeatable)",
    )


def _offset(text: str) -> tuple[str, float]:
    name, sep, value = text.rpartition("=")
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not sep or not name or not math.isfinite(seconds):
        raise AnalyzerError(f"--offset wants SENSOR=SECONDS (e.g. b.pcap=2.5), not {text!r}")
    return name, seconds


def _capture_jobs(args: argparse.Namespace) -> tuple[int, str | None]:
    """Processes for one capture: 1 when the compiled core runs, else as asked, else the cores;
    and a note for the user when an asked-for split is not made. The core's one loop keeps the
    per-frame tables, while a split feeds the workers' frames through Python: measured slower
    than the core alone (0.3x with the tables, 0.9x with frame sinks); `--pure` still splits."""
    from analyzer import _core

    asked = args.jobs
    if _core.core() is None:
        return (max(1, asked) if asked is not None else os.cpu_count() or 1), None
    if asked is None or asked < 2 or len(args.captures) != 1 or args.engine != "python":
        return 1, None
    return 1, (f"--jobs {asked}: the compiled core read the capture in one process, faster "
               "than workers whose frames go through Python (--pure splits it)")


def _offsets(args: argparse.Namespace, sources: Sequence[str], what: str = "captures"
             ) -> dict[str, float]:
    """The --offset values by sensor name; a user error when there is nothing to offset."""
    given = [_offset(text) for text in args.offset]
    if given and len(sources) < 2:
        raise AnalyzerError(f"--offset is for several {what} (one per sensor)")
    offsets: dict[str, float] = {}
    for name, seconds in given:
        if name in offsets:
            raise AnalyzerError(f"--offset {name}= is given twice")
        offsets[name] = seconds
    return offsets


def _pmksa_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--expect", action="append", default=[], metavar="FILE",
        help="expectations: .toml, hostapd.conf or wpa_supplicant.conf (repeatable; later "
        "files win; see docs/pmksa.md)",
    )
    parser.add_argument(
        "--key", action="append", default=[], metavar="TYPE:VALUE",
        help="wpa-pwd:PASSPHRASE[:SSID], wpa-psk:HEX, pmk:HEX or msk:HEX (repeatable)",
    )
    parser.add_argument(
        "--keys", action="append", default=[], metavar="FILE",
        help="keys, one per line, or Wireshark's 80211_keys list",
    )


def _pmksa_inputs(args: argparse.Namespace) -> dict[str, Any]:
    from analyzer.config import load_expectations, load_keys

    keys = load_keys(args.key, args.keys)
    for note in keys.notes:
        print(f"roam-analyzer: note: {note}", file=sys.stderr)
    return {"expectations": load_expectations(args.expect), "keys": keys}


def _engine_options(parser: argparse.ArgumentParser) -> None:
    """--version (with the engine in use) and --pure (analyzer._core decides what they mean)."""
    from analyzer import _core

    parser.add_argument("--version", action=_Version, nargs=0,
                        help="the version and which engine runs (compiled core or pure Python)")
    parser.add_argument("--pure", action="store_true",
                        help=f"the pure-Python engine, not the compiled core ({_core.ENV}=1)")


class _Version(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, *_args: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        from analyzer import _core

        try:
            number = version("wifi-roam-analyzer")
        except PackageNotFoundError:
            number = "unknown"
        print(f"roam-analyzer {number}\n{_core.engine()}")
        parser.exit()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    _Parser.argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if args.pure:
        from analyzer import _core

        before = _core.pure()
        _core.set_pure(True)  # worker processes inherit it
        try:
            return main_args(args)
        finally:
            _core.set_pure(before)
    return main_args(args)


def main_args(args: argparse.Namespace) -> int:
    from analyzer.run.procs import Stopped, stop_on_signals

    try:
        with stop_on_signals():  # SIGTERM/SIGHUP unwind like Ctrl-C: temporaries removed
            return _dispatch(args)
    except AnalyzerError as exc:
        print(f"roam-analyzer: {_redacted(str(exc), _Parser.argv)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Stopped as stopped:
        return 128 + stopped.signum


def _dispatch(args: argparse.Namespace) -> int:
    check_outputs(args)
    match args.command:
        case "analyze":
            return _analyze(args, sys.stdout)
        case "check":
            return _check(args, sys.stdout)
        case "frames":
            return _frames(args, sys.stdout)
        case "simulate":
            return _simulate(args, sys.stdout)
        case "report":
            return _report(args, sys.stdout)
        case "logs":
            return _logs(args, sys.stdout)
        case "live":
            return _live(args, sys.stdout)
        case "merge":
            return _merge(args, sys.stdout)
        case "annotate":
            return _annotate(args, sys.stdout)
    raise AssertionError(args.command)


# --- output paths: checked before any work, each written file confirmed ----------------------

OUTPUTS = (  # (attribute, option, a directory?)
    ("out", "--out", True), ("charts", "--charts", True), ("output", "-o", False),
    ("write", "--write", False), ("annotate", "--annotate", False),
    ("decrypt_out", "--decrypt-out", False),
)


def check_outputs(args: argparse.Namespace) -> None:
    """Every output path of the command is writable as what it must be (file or directory),
    or a one-line user error before any capture is read."""
    from analyzer.capture.atomic import refuse_inputs

    inputs = [*(getattr(args, "captures", None) or []), *_config_inputs(args)]
    for attr, option, is_dir in OUTPUTS:
        path = getattr(args, attr, None)
        if path and path != "-":
            refuse_inputs([path], inputs, option, made=True)  # an input first: never overwrite
            problem = _dir_problem(path) if is_dir else _file_problem(path)
            if problem:
                raise AnalyzerError(f"{option} {path}: {problem}")


def _file_problem(path: str) -> str | None:
    if path.endswith(os.sep) or os.path.isdir(path):
        return "is a directory; give a file name"
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return "exists and cannot be overwritten (permission denied)"
    return _parent_problem(path)


def _dir_problem(path: str) -> str | None:
    if os.path.exists(path) and not os.path.isdir(path):
        return "is a file; give a directory"
    if os.path.isdir(path):
        writable = os.access(path, os.W_OK | os.X_OK)
        return None if writable else "cannot write in this directory (permission denied)"
    return _parent_problem(path.rstrip(os.sep) or path)


def _parent_problem(path: str) -> str | None:
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.exists(parent):
        return f"directory {os.path.dirname(path) or parent} does not exist"
    if not os.path.isdir(parent):
        return f"{os.path.dirname(path)} is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot write in {os.path.dirname(path) or '.'} (permission denied)"
    return None


def confirm_written(paths: Sequence[Any], what: str) -> None:
    """One stderr line per file written: its path, size and what it holds."""
    for path in paths:
        try:
            size = os.path.getsize(path)
        except OSError:
            continue
        print(f"roam-analyzer: wrote {path} ({_size(size)}): {what}", file=sys.stderr)


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} bytes"
    return f"{n / 1e3:.1f} kB" if n < 1_000_000 else f"{n / 1e6:.1f} MB"


def _written_tables(paths: Sequence[Any], document: dict[str, Any]) -> None:
    holds = {"roams": f"{len(document['roams'])} attempts",
             "findings": f"{len(document['findings'])} findings", "frames": "handshake frames"}
    for path in paths:
        stem = os.path.basename(str(path)).split(".")[0]
        confirm_written([path], holds.get(stem, "table"))


def _analyze(args: argparse.Namespace, out: TextIO) -> int:
    from analyzer.run.many import expand, is_many

    if args.sites and args.sensors:
        raise AnalyzerError("--sites and --sensors: one or the other (--sites: a site per "
                            "subdirectory; --sensors: all files one site)")
    if args.station_parts and not args.dask:
        raise AnalyzerError("--station-parts is for --dask (the roam engine on the workers)")
    if args.station_parts < 0:
        raise AnalyzerError("--station-parts wants a number of partitions (1 or more)")
    if args.dask or args.sites or (is_many(args.captures) and not args.sensors):
        if args.engine != "python":
            raise AnalyzerError("--engine tshark reads one capture (not a directory, glob, "
                                "--sites or --dask)")
        if args.annotate:
            raise AnalyzerError("--annotate is for one capture or the sensors of one site")
        return _analyze_many(args, out)
    if is_many(args.captures):
        args.captures = expand(args.captures)
    if args.annotate:
        from analyzer.annotate import check_output

        check_output(args.captures, args.annotate)
    _refuse_analyze_outputs(args, args.captures)
    from analyzer.report.jsonout import analysis_document, only_station
    from analyzer.report.progress import progress_display
    from analyzer.run.dispatch import run

    frame_rows: list[dict[str, Any]] = []
    progress = progress_display(quiet=args.quiet, sources=args.captures)
    sinks: list[Any] = []
    charts = _chart_collector(args, sinks)
    if args.out:
        sinks.append(_row_collector(frame_rows))
    inputs = _pmksa_inputs(args)
    _check_decrypt_out(args, inputs)
    jobs, jobs_note = _capture_jobs(args)
    try:
        analysis = run(args.captures, sinks=[s for s in sinks if s is not None], **inputs,
                       jobs=jobs, offsets=_offsets(args, args.captures), engine=args.engine,
                       decrypt_out=args.decrypt_out)
    finally:  # errors and Ctrl-C too: the cursor is shown again before anything is printed
        if progress is not None:
            progress.close()
    if jobs_note:  # only once the run went ahead: a refusal stays one line
        print(f"roam-analyzer: note: {jobs_note}", file=sys.stderr)
    _slow_roams(analysis, inputs)
    document = analysis_document(analysis)
    if args.sta:
        document = only_station(document, args.sta)
    _write_analysis(args.format, document, out, args.sta)
    if args.format == "table":
        _print_sensors(analysis.sensors, out)
    if args.out:
        from pathlib import Path

        from analyzer.report.tabular import write_tables

        rows = [r for r in frame_rows if not args.sta or r["sta"] == args.sta]
        _written_tables(write_tables(Path(args.out), document, rows), document)
    if charts is not None:
        _write_charts(args.charts, analysis, charts, inputs)
    if args.annotate:
        from analyzer.annotate import write_annotated

        done = write_annotated(args.captures, args.annotate, analysis)
        print(f"roam-analyzer: {len(done.comments)} comments on {done.frames} frames written "
              f"to {args.annotate}", file=sys.stderr)
    _warn_damage(document)
    return EXIT_DAMAGED if analysis.truncated else EXIT_OK


def _check_decrypt_out(args: argparse.Namespace, inputs: dict[str, Any]) -> None:
    if args.decrypt_out is None:
        return
    if not inputs["keys"]:
        raise AnalyzerError("--decrypt-out needs the network's key (--key or --keys)")
    if len(args.captures) != 1 or not os.path.isfile(args.captures[0]):
        raise AnalyzerError("--decrypt-out reads one capture file again (not several, not a "
                            "stream)")


def _analyze_many(args: argparse.Namespace, out: TextIO) -> int:
    """Independent captures (a directory or glob, or any inputs with --dask) or sites
    (--sites): one worker per file or site, one combined document (analyzer.run.many,
    analyzer.run.dask)."""
    from analyzer.report.jsonout import only_station
    from analyzer.run.many import Options, combine, expand, expand_sites, frame_rows, run_many

    if args.charts:
        raise AnalyzerError("--charts is not available for many captures (one capture at a time)")
    if args.dask and args.sensors:
        raise AnalyzerError("--dask analyses independent captures or sites: for sensors of "
                            "several sites use --sites (a subdirectory per site)")
    if args.offset:
        raise AnalyzerError("--offset is for sensors of one site (add --sensors)")
    names = None
    if args.sites:
        names, sites = expand_sites(args.captures)
    else:
        sites = [[p] for p in expand(args.captures)]
    if any("-" in site for site in sites):
        raise AnalyzerError("many captures: stdin (-) cannot be one of them")
    _refuse_analyze_outputs(args, [p for site in sites for p in site])
    options = Options(frame_rows=bool(args.out), **_pmksa_inputs(args))
    if args.dask:
        from analyzer.run.dask import run_dask

        results = run_dask(sites, args.dask, options, station_parts=args.station_parts)
        for note in (n for r in results for n in r.notes):
            print(f"roam-analyzer: note: {note}", file=sys.stderr)
    else:
        results = run_many(sites, max(1, args.jobs or os.cpu_count() or 1), options)
    document = combine(results, names)
    if args.sta:
        document = only_station(document, args.sta)
    _write_analysis(args.format, document, out, args.sta)
    if args.out:
        from pathlib import Path

        rows = [r for r in frame_rows(results) if not args.sta or r["sta"] == args.sta]
        if args.dask:
            from analyzer.run.dask import write_dataset

            write_dataset(Path(args.out), document, rows)
        else:
            from analyzer.report.tabular import write_tables

            _written_tables(write_tables(Path(args.out), document, rows), document)
    _warn_damage(document)
    bad = any(c["truncated"] or c.get("error") for c in document["captures"])
    return EXIT_DAMAGED if bad else EXIT_OK


def _config_inputs(args: argparse.Namespace) -> list[str]:
    return [*getattr(args, "expect", []), *getattr(args, "keys", [])]


def _refuse_analyze_outputs(args: argparse.Namespace, captures: Sequence[str]) -> None:
    """--out and --charts never write over an input (analyzer.capture.atomic)."""
    from analyzer.capture.atomic import MARKER, refuse_inputs, refuse_inside

    inputs = [*captures, *_config_inputs(args)]
    for option, directory in (("--out", args.out), ("--charts", args.charts)):
        if not directory:
            continue
        refuse_inputs([directory, os.path.join(directory, MARKER)], inputs, option, made=True)
        if os.path.exists(directory) and not os.path.isdir(directory):
            raise AnalyzerError(f"{option} {directory}: not a directory")
    if args.out:
        tables = ("roams", "findings", "frames")
        names = [f"{t}.{ext}" for t in tables for ext in ("csv", "parquet")]
        refuse_inputs([os.path.join(args.out, n) for n in names], inputs, "--out", made=True)
        for table in ("roams", "findings", "frames"):
            refuse_inside(os.path.join(args.out, table), (".parquet",), inputs, "--out")
    if args.charts:
        refuse_inside(args.charts, (".png", ".svg"), inputs, "--charts")


def _refuse_output(output: str, inputs: Sequence[str], option: str = "-o") -> None:
    from analyzer.capture.atomic import refuse_inputs

    refuse_inputs([output], inputs, option)


def _check(args: argparse.Namespace, out: TextIO) -> int:
    from analyzer.report.check import check_document, check_lines
    from analyzer.report.jsonout import analysis_document
    from analyzer.run.dispatch import run

    analysis = run(args.captures, **_pmksa_inputs(args), offsets=_offsets(args, args.captures),
                   engine=args.engine)
    document = analysis_document(analysis)
    result = check_document(document, analysis.violations, args.strict)
    if args.format == "json":
        json.dump(result, out, indent=2)
        out.write("\n")
    else:
        _print_sensors(analysis.sensors, out)
        out.writelines(line + "\n" for line in check_lines(result))
    _warn_damage(document)
    if not result["ok"]:
        return EXIT_VIOLATION
    return EXIT_DAMAGED if analysis.truncated else EXIT_OK


def _slow_roams(analysis: Any, inputs: dict[str, Any]) -> None:
    from analyzer.report.expect import slow_roams_as_checked

    slow_roams_as_checked(analysis, inputs["expectations"])


def _row_collector(rows: list[dict[str, Any]]) -> Any:
    from analyzer.report.frames import NOT_TABLED, frame_row

    def collect(capture: int, frame: Any) -> None:
        if frame.kind not in NOT_TABLED:
            rows.append(frame_row(capture, frame))

    return collect


def _write_analysis(fmt: str, document: dict[str, Any], out: TextIO,
                    sta: str | None = None) -> None:
    match fmt:
        case "json":
            json.dump(document, out, indent=2)
            out.write("\n")
        case "jsonl":
            from analyzer.report.jsonout import jsonl_lines

            for line in jsonl_lines(document):
                out.write(line + "\n")
        case "csv":
            from analyzer.report.tabular import ROAM_COLUMNS, roam_row, write_csv

            write_csv(out, ROAM_COLUMNS, (roam_row(r) for r in document["roams"]))
        case _:
            from analyzer.report.text import print_analysis, print_roams

            print_analysis(document, out)
            print_roams(document, out, sta)


def _mac(text: str) -> str:
    digits = text.lower().replace("-", ":")
    parts = digits.split(":")
    if len(parts) != 6 or not all(
        len(p) == 2 and all(c in "0123456789abcdef" for c in p) for p in parts
    ):
        raise argparse.ArgumentTypeError(f"not a MAC address: {text!r}")
    return digits


def _frames(args: argparse.Namespace, out: TextIO) -> int:
    from analyzer.report.frames import frame_row, summary
    from analyzer.report.jsonout import capture_entry
    from analyzer.run.engine import (
        Analysis,
        CaptureResult,
        decoded_frames,
        open_captures,
        tshark_frames,
    )

    if args.engine == "tshark":
        analysis = Analysis([])
        decoded = tshark_frames(args.captures, analysis.captures)
    else:
        captures = open_captures(args.captures)
        analysis = Analysis([CaptureResult(c.info) for c in captures])
        decoded = decoded_frames(captures, analysis.captures)
    origin: dict[int, float] = {}
    rows = []
    for n, frame in decoded:
        row = frame_row(n, frame)
        if args.format == "jsonl":
            out.write(json.dumps(row) + "\n")
        elif args.format == "json":
            rows.append(row)
        else:
            start = origin.setdefault(n, row["ts"])
            out.write(_frame_line(row, summary(row), start) + "\n")
    if args.format == "json":
        json.dump(rows, out, indent=1)
        out.write("\n")
    _warn_damage({"captures": [capture_entry(c) for c in analysis.captures]})
    return EXIT_DAMAGED if analysis.truncated else EXIT_OK


def _frame_line(row: dict[str, Any], text: str, start: float = 0.0) -> str:
    retry = "R" if row.get("retry") else " "
    return (
        f"{row['frame']:>7} {row['ts'] - start:+12.6f} {retry} {row['kind']:<12} "
        f"{row.get('ta') or '-':<17} > {row.get('ra') or '-':<17} {text}"
    )


def _chart_collector(args: argparse.Namespace, sinks: list[Any]) -> Any:
    """With --charts, a frame sink (added to `sinks`) that keeps what the charts need."""
    if not args.charts:
        return None
    from analyzer.api import Collector

    collector = Collector()
    sinks.append(collector)
    return collector


def _write_charts(directory: str, analysis: Any, collector: Any, inputs: dict[str, Any]) -> None:
    from analyzer.api import Analysis as Notebook

    written = Notebook(analysis, collector, inputs["expectations"]).save_charts(directory)
    ladders = [p for p in written if os.path.basename(p).startswith("ladder_")]
    for path in written:
        if path not in ladders:
            confirm_written([path], f"chart {os.path.splitext(os.path.basename(path))[0]}")
    if ladders:  # one line for them all: a file per attempt would drown the rest
        size = sum(os.path.getsize(p) for p in ladders)
        print(f"roam-analyzer: wrote {len(ladders)} files {directory}/ladder_ID.png|svg "
              f"({_size(size)}): a ladder per attempt", file=sys.stderr)


def _report(args: argparse.Namespace, out: TextIO) -> int:
    """`api.load` with the sensors' --offset values: several captures are merged as sensors."""
    from analyzer.api import Analysis as Notebook
    from analyzer.api import Collector
    from analyzer.report.jsonout import capture_entry
    from analyzer.run.dispatch import run

    _refuse_output(args.output, [*args.captures, *_config_inputs(args)])
    inputs, collector = _pmksa_inputs(args), Collector()
    analysis = run(args.captures, sinks=[collector], **inputs,
                   offsets=_offsets(args, args.captures), engine=args.engine)
    _slow_roams(analysis, inputs)
    Notebook(analysis, collector, inputs["expectations"]).to_html(args.output)
    confirm_written([args.output], f"HTML report of {len(analysis.roams)} attempts, "
                    f"{len(analysis.findings)} findings")
    if args.format == "json":
        sensors = analysis.sensors
        json.dump({"output": args.output, "attempts": len(analysis.roams),
                   "findings": len(analysis.findings),
                   "sensors": None if sensors is None else _sensor_dicts(sensors.clocks,
                                                                         sensors.stats)},
                  out, indent=2)
        out.write("\n")
    else:
        _print_sensors(analysis.sensors, out)
    _warn_damage({"captures": [capture_entry(c) for c in analysis.captures]})
    return EXIT_DAMAGED if analysis.truncated else EXIT_OK


def _print_sensors(sensors: Any, out: TextIO) -> None:
    """Several sensors: one line per sensor, its clock and the copies it heard."""
    if sensors is None:
        return
    for clock, stats in zip(sensors.clocks, sensors.stats, strict=True):
        out.write(_sensor_line(clock, stats.copies) + "\n")


def _sensor_line(clock: Any, copies: int) -> str:
    residual = "-" if clock.residual_ns is None else f"{clock.residual_ns / 1000:.1f} us"
    via = f" via {clock.via}" if clock.via else ""
    return (f"sensor {clock.name}: {clock.status}{via}, offset {clock.offset_s:+.6f} s, drift "
            f"{clock.drift_ppm:+.2f} ppm, {clock.matched} matched, residual {residual}, "
            f"{copies} copies dropped")


def _logs(args: argparse.Namespace, out: TextIO) -> int:
    from analyzer.report.logs import logs_report, print_logs, unrecognised_logs

    document, damaged = logs_report(args.logs, args.capture)
    for path in unrecognised_logs(document):
        print(f"roam-analyzer: warning: {path}: no wpa_supplicant or hostapd line recognised "
              "(a debug log, -dd, is needed; see docs/logs.md)", file=sys.stderr)
    if args.format == "json":
        json.dump(document, out, indent=2)
        out.write("\n")
    else:
        print_logs(document, out)
    _warn_damage({"captures": document.get("captures", [])})
    return EXIT_DAMAGED if damaged else EXIT_OK


def _simulate(args: argparse.Namespace, out: TextIO) -> int:
    from analyzer.simulate.library import SCENARIOS, simulate

    if args.list or not args.scenario:
        for name in sorted(SCENARIOS):
            out.write(f"{name}\n")
        return EXIT_OK
    if args.scenario not in SCENARIOS:
        raise AnalyzerError(f"unknown scenario {args.scenario!r} (try --list)")
    if not args.output:
        raise AnalyzerError("simulate needs -o FILE")
    fmt = args.format or ("pcapng" if args.output.endswith(".pcapng") else "pcap")
    from analyzer.capture.atomic import atomic_path

    _refuse_output(args.output, [])
    with atomic_path(args.output) as path:  # the real name only once complete
        frames = simulate(args.scenario, path, fmt=fmt, frames=args.frames)
    confirm_written([args.output], f"{fmt} of {frames} frames, scenario {args.scenario}")
    return EXIT_OK


def _warn_damage(document: dict[str, Any]) -> None:
    for cap in document["captures"]:
        if cap.get("error"):
            print(f"roam-analyzer: error: {cap['error']} (not analysed)", file=sys.stderr)
        for warning in cap.get("warnings", []):
            print(f"roam-analyzer: warning: {cap['path']}: {warning}", file=sys.stderr)
        if cap["truncated"]:
            print(
                f"roam-analyzer: warning: {cap['path']} is damaged (truncated or corrupt); "
                f"results cover the {cap['frames']} frames that could be read",
                file=sys.stderr,
            )


EXIT_GONE = 4  # live: an interface went away (results up to then are reported)


def _live_parser(sub: Any) -> None:
    live = sub.add_parser("live", help="roams as they happen, from monitor interfaces or a stream")
    src = live.add_mutually_exclusive_group(required=True)
    src.add_argument("-i", "--interface", action="append", default=[], metavar="IFACE",
                     help="monitor interface (repeatable: one per channel)")
    src.add_argument("-r", "--read", action="append", default=[], metavar="STREAM",
                     help="pcap/pcapng stream: - or a FIFO (repeatable: one per sensor)")
    live.add_argument("--write", metavar="FILE.pcapng", help="keep what was received there")
    live.add_argument("--ring", type=_ring, metavar="N:MB", help="with --write: N files of MB")
    live.add_argument("--format", choices=("table", "jsonl"), default=None,
                      help="default: table on a terminal, jsonl otherwise")
    live.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    live.add_argument("--count", type=int, metavar="N", help="stop after N frames received")
    live.add_argument("--data-latency", action="store_true",
                      help="also capture data-frame headers (first data, data gap)")
    _offset_option(live)
    _pmksa_options(live)


def _ring(text: str) -> tuple[int, int]:
    files, _, mb = text.partition(":")
    if not (files.isdigit() and mb.isdigit() and int(files) > 0 and int(mb) > 0):
        raise argparse.ArgumentTypeError(f"--ring wants FILES:MEGABYTES, e.g. 10:100, not {text!r}")
    return int(files), int(mb)


def _live(args: argparse.Namespace, out: TextIO) -> int:
    from analyzer.report.live import JsonLines, LiveTable
    from analyzer.run.live import LiveOptions, run_live

    if args.ring and not args.write:
        raise AnalyzerError("--ring needs --write FILE.pcapng")
    sources = args.read or args.interface
    if args.write:
        _refuse_output(args.write, [*args.read, *_config_inputs(args)], "--write")
    options = LiveOptions(args.interface, args.read, _offsets(args, sources, "-r streams"),
                          args.write, args.ring, args.duration, args.count, args.data_latency,
                          **_pmksa_inputs(args))
    table = (args.format or ("table" if out.isatty() else "jsonl")) == "table"
    output = LiveTable(out) if table else JsonLines(out)
    try:
        analysis, stats = run_live(options, output)
    except BaseException:
        output.abort()
        raise
    output.close(analysis, stats.to_dict())
    if args.write:
        confirm_written([args.write], "pcapng of the frames received")
    if stats.stopped_by == "interface gone":
        return EXIT_GONE
    return EXIT_DAMAGED if analysis.truncated else EXIT_OK


def _merge(args: argparse.Namespace, out: TextIO) -> int:
    from analyzer.report.jsonout import capture_entry
    from analyzer.run.sensors import write_merged

    _refuse_output(args.output, args.captures)
    merged = write_merged(args.captures, args.output, _offsets(args, args.captures))
    if args.format == "json":
        json.dump({"output": args.output, "frames": merged.frames,
                   "sensors": _sensor_dicts(merged.clocks, merged.stats)}, out, indent=2)
        out.write("\n")
    else:
        for clock, stats in zip(merged.clocks, merged.stats, strict=True):
            out.write(_sensor_line(clock, stats.copies) + "\n")
        out.write(f"{merged.frames} frames written to {args.output}\n")
    confirm_written([args.output], f"pcapng of {merged.frames} merged frames")
    _warn_damage({"captures": [capture_entry(c) for c in merged.captures]})
    return EXIT_DAMAGED if merged.truncated else EXIT_OK


def _annotate_parser(sub: Any) -> None:
    annotate = sub.add_parser(
        "annotate", help="the capture as pcapng with findings and roam phases as frame comments"
    )
    annotate.add_argument("captures", nargs="+", metavar="CAPTURE",
                          help="a capture, or one per sensor (merged as `merge` does)")
    annotate.add_argument("-o", "--output", required=True, metavar="OUT.pcapng")
    _offset_option(annotate)
    _pmksa_options(annotate)


def _annotate(args: argparse.Namespace, out: TextIO) -> int:
    """One line per comment written (`frame<TAB>comment`, frame numbers of the output), then a
    summary; a comment whose frame was not found is a warning on stderr."""
    from analyzer.annotate import annotations, check_output, write_annotated
    from analyzer.report.jsonout import capture_entry
    from analyzer.run.dispatch import run

    check_output(args.captures, args.output)
    analysis = run(args.captures, **_pmksa_inputs(args), offsets=_offsets(args, args.captures))
    done = write_annotated(args.captures, args.output, analysis)
    for line in annotations(done):
        out.write(line + "\n")
    for text in done.unplaced:
        print(f"roam-analyzer: warning: no frame for comment {text!r}", file=sys.stderr)
    out.write(f"{len(done.comments)} comments on {done.frames} frames written to {args.output}\n")
    _warn_damage({"captures": [capture_entry(c) for c in analysis.captures]})
    return EXIT_DAMAGED if analysis.truncated else EXIT_OK
