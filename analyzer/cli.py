"""The command line: parses arguments, calls the pipeline and the report layer, sets the exit code.

Exit codes: 0 fine; 1 `check` found a violation of the expectations; 2 user error (one line on
stderr); 3 a capture was damaged (results up to the damage are still printed); 4 `live`: an
interface went away (everything up to then is reported, the pcapng closed valid).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from analyzer.errors import AnalyzerError

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE, EXIT_DAMAGED = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roam-analyzer",
        description="Reassemble Wi-Fi roams from monitor-mode captures.",
    )
    _engine_options(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    analyze = sub.add_parser("analyze", help="per-station roams, latencies and findings")
    analyze.add_argument("captures", nargs="+", metavar="CAPTURE", help="pcap/pcapng file, or -")
    analyze.add_argument("--format", choices=("table", "json", "csv", "jsonl"), default="table")
    analyze.add_argument("--sta", type=_mac, help="only this station (MAC address)")
    analyze.add_argument("--out", metavar="DIR", help="write roams/frames/findings .csv there")
    analyze.add_argument("--quiet", action="store_true", help="no progress display")
    analyze.add_argument("--charts", metavar="DIR", help="write the charts there as PNG and SVG")
    analyze.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                         help="processes decoding one large capture (default: the cores)")
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
    _offset_option(analyze)
    _pmksa_options(analyze)
    check = sub.add_parser(
        "check", help="exit 1 when a PMKSA verdict or a roam time breaks the expectations"
    )
    check.add_argument("captures", nargs="+", metavar="CAPTURE", help="pcap/pcapng file, or -")
    _offset_option(check)
    _pmksa_options(check)
    frames = sub.add_parser("frames", help="one line per relevant decoded frame")
    frames.add_argument("captures", nargs="+", metavar="CAPTURE")
    frames.add_argument("--format", choices=("table", "jsonl"), default="table")
    sim = sub.add_parser("simulate", help="write a scenario capture (real keys and MICs)")
    sim.add_argument("scenario", help="scenario name (see --list)", nargs="?")
    sim.add_argument("-o", "--output", help="output file (.pcap or .pcapng)")
    sim.add_argument("--format", choices=("pcap", "pcapng"), default=None)
    sim.add_argument("--frames", type=int, default=None, help="size of the bench_mix scenario")
    sim.add_argument("--list", action="store_true", help="list the scenarios")
    report = sub.add_parser("report", help="a self-contained HTML report: charts, tables, ladders")
    report.add_argument("captures", nargs="+", metavar="CAPTURE", help="pcap/pcapng file")
    report.add_argument("-o", "--output", required=True, metavar="FILE", help="the .html to write")
    _offset_option(report)
    _pmksa_options(report)
    logs = sub.add_parser(
        "logs", help="wpa_supplicant/hostapd debug logs: attempts, PMKSA decisions, vs captures"
    )
    logs.add_argument("logs", nargs="+", metavar="LOG", help="wpa_supplicant or hostapd log")
    logs.add_argument("--capture", action="append", default=[], metavar="CAPTURE",
                      help="align the logs with this capture (repeatable)")
    logs.add_argument("--format", choices=("table", "json"), default="table")
    _live_parser(sub)
    merge = sub.add_parser(
        "merge", help="several sensors' captures as one aligned, de-duplicated pcapng"
    )
    merge.add_argument("captures", nargs="+", metavar="CAPTURE", help="one capture per sensor")
    merge.add_argument("-o", "--output", required=True, metavar="FILE.pcapng")
    _offset_option(merge)
    return parser


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
    args = build_parser().parse_args(argv)
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
    try:
        return _dispatch(args)
    except AnalyzerError as exc:
        print(f"roam-analyzer: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
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
    raise AssertionError(args.command)


def _analyze(args: argparse.Namespace, out: TextIO) -> int:
    from analyzer.many import expand, is_many

    if args.sites and args.sensors:
        raise AnalyzerError("--sites and --sensors: one or the other (--sites: a site per "
                            "subdirectory; --sensors: all files one site)")
    if args.station_parts and not args.dask:
        raise AnalyzerError("--station-parts is for --dask (the roam engine on the workers)")
    if args.station_parts < 0:
        raise AnalyzerError("--station-parts wants a number of partitions (1 or more)")
    if args.dask or args.sites or (is_many(args.captures) and not args.sensors):
        return _analyze_many(args, out)
    if is_many(args.captures):
        args.captures = expand(args.captures)
    from analyzer.pipeline import run
    from analyzer.report.jsonout import analysis_document, only_station
    from analyzer.report.progress import progress_sink

    frame_rows: list[dict[str, Any]] = []
    sinks = [progress_sink(quiet=args.quiet)]
    charts = _chart_collector(args, sinks)
    if args.out:
        sinks.append(_row_collector(frame_rows))
    inputs = _pmksa_inputs(args)
    analysis = run(args.captures, sinks=[s for s in sinks if s is not None], **inputs,
                   jobs=max(1, args.jobs),
                   offsets=_offsets(args, args.captures))
    document = analysis_document(analysis)
    if args.sta:
        document = only_station(document, args.sta)
    _write_analysis(args.format, document, out)
    if args.format == "table":
        _print_sensors(analysis.sensors, out)
    if args.out:
        from pathlib import Path

        from analyzer.report.tabular import write_tables

        rows = [r for r in frame_rows if not args.sta or r["sta"] == args.sta]
        write_tables(Path(args.out), document, rows)
    if charts is not None:
        _write_charts(args.charts, analysis, charts, inputs)
    _warn_damage(document)
    return EXIT_DAMAGED if analysis.truncated else EXIT_OK


def _analyze_many(args: argparse.Namespace, out: TextIO) -> int:
    """Independent captures (a directory or glob, or any inputs with --dask) or sites
    (--sites): one worker per file or site, one combined document (analyzer.many,
    analyzer.daskrun)."""
    from analyzer.many import Options, combine, expand, expand_sites, frame_rows, run_many
    from analyzer.report.jsonout import only_station

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
    options = Options(frame_rows=bool(args.out), **_pmksa_inputs(args))
    if args.dask:
        from analyzer.daskrun import run_dask

        results = run_dask(sites, args.dask, options, station_parts=args.station_parts)
        for note in (n for r in results for n in r.notes):
            print(f"roam-analyzer: note: {note}", file=sys.stderr)
    else:
        results = run_many(sites, max(1, args.jobs), options)
    document = combine(results, names)
    if args.sta:
        document = only_station(document, args.sta)
    _write_analysis(args.format, document, out)
    if args.out:
        from pathlib import Path

        rows = [r for r in frame_rows(results) if not args.sta or r["sta"] == args.sta]
        if args.dask:
            from analyzer.daskrun import write_dataset

            write_dataset(Path(args.out), document, rows)
        else:
            from analyzer.report.tabular import write_tables

            write_tables(Path(args.out), document, rows)
    _warn_damage(document)
    return EXIT_DAMAGED if any(c["truncated"] for c in document["captures"]) else EXIT_OK


def _check(args: argparse.Namespace, out: TextIO) -> int:
    from analyzer.pipeline import run
    from analyzer.report.jsonout import capture_entry

    analysis = run(args.captures, **_pmksa_inputs(args), offsets=_offsets(args, args.captures))
    _print_sensors(analysis.sensors, out)
    for v in analysis.violations:
        frames = ", ".join(str(f) for f in v.frames[:12]) + (" ..." if len(v.frames) > 12 else "")
        out.write(f"roam {v.roam_id} {v.sta} -> {v.bssid}: {v.what}: {v.message} "
                  f"[frames {frames or '-'}]\n")
    bad = {v.roam_id for v in analysis.violations}
    n = len(analysis.roams)
    if bad:
        out.write(f"FAIL: {len(bad)} of {n} attempts break the expectations\n")
    else:
        out.write(f"OK: {n} attempts, all as expected\n")
    _warn_damage({"captures": [capture_entry(c) for c in analysis.captures]})
    if bad:
        return EXIT_VIOLATION
    return EXIT_DAMAGED if analysis.truncated else EXIT_OK


def _row_collector(rows: list[dict[str, Any]]) -> Any:
    from analyzer.report.frames import NOT_TABLED, frame_row

    def collect(capture: int, frame: Any) -> None:
        if frame.kind not in NOT_TABLED:
            rows.append(frame_row(capture, frame))

    return collect


def _write_analysis(fmt: str, document: dict[str, Any], out: TextIO) -> None:
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
            print_roams(document, out)


def _mac(text: str) -> str:
    digits = text.lower().replace("-", ":")
    parts = digits.split(":")
    if len(parts) != 6 or not all(
        len(p) == 2 and all(c in "0123456789abcdef" for c in p) for p in parts
    ):
        raise argparse.ArgumentTypeError(f"not a MAC address: {text!r}")
    return digits


def _frames(args: argparse.Namespace, out: TextIO) -> int:
    from analyzer.pipeline import Analysis, CaptureResult, decoded_frames, open_captures
    from analyzer.report.frames import frame_row, summary
    from analyzer.report.jsonout import capture_entry

    captures = open_captures(args.captures)
    analysis = Analysis([CaptureResult(c.info) for c in captures])
    for n, frame in decoded_frames(captures, analysis.captures):
        row = frame_row(n, frame)
        if args.format == "jsonl":
            out.write(json.dumps(row) + "\n")
        else:
            out.write(_frame_line(row, summary(row)) + "\n")
    _warn_damage({"captures": [capture_entry(c) for c in analysis.captures]})
    return EXIT_DAMAGED if analysis.truncated else EXIT_OK


def _frame_line(row: dict[str, Any], text: str) -> str:
    return (
        f"{row['frame']:>7} {row['ts']:.6f} {row['kind']:<12} "
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

    Notebook(analysis, collector, inputs["expectations"]).save_charts(directory)


def _report(args: argparse.Namespace, out: TextIO) -> int:
    """`api.load` with the sensors' --offset values: several captures are merged as sensors."""
    from analyzer.api import Analysis as Notebook
    from analyzer.api import Collector
    from analyzer.pipeline import run
    from analyzer.report.jsonout import capture_entry

    inputs, collector = _pmksa_inputs(args), Collector()
    analysis = run(args.captures, sinks=[collector], **inputs,
                   offsets=_offsets(args, args.captures))
    Notebook(analysis, collector, inputs["expectations"]).to_html(args.output)
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
    from analyzer.report.logs import logs_report, print_logs

    document, damaged = logs_report(args.logs, args.capture)
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
    simulate(args.scenario, args.output, fmt=fmt, frames=args.frames)
    return EXIT_OK


def _warn_damage(document: dict[str, Any]) -> None:
    for cap in document["captures"]:
        for warning in cap.get("warnings", []):
            print(f"roam-analyzer: warning: {cap['path']}: {warning}", file=sys.stderr)
        if cap["truncated"]:
            print(
                f"roam-analyzer: warning: {cap['path']} is damaged; results stop at the "
                f"damage ({cap['frames']} frames read)",
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
    from analyzer.live import LiveOptions, run_live
    from analyzer.report.live import JsonLines, LiveTable

    if args.ring and not args.write:
        raise AnalyzerError("--ring needs --write FILE.pcapng")
    sources = args.read or args.interface
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
    if stats.stopped_by == "interface gone":
        return EXIT_GONE
    return EXIT_DAMAGED if analysis.truncated else EXIT_OK


def _merge(args: argparse.Namespace, out: TextIO) -> int:
    from analyzer.merge import write_merged
    from analyzer.report.jsonout import capture_entry

    merged = write_merged(args.captures, args.output, _offsets(args, args.captures))
    for clock, stats in zip(merged.clocks, merged.stats, strict=True):
        out.write(_sensor_line(clock, stats.copies) + "\n")
    out.write(f"{merged.frames} frames written to {args.output}\n")
    _warn_damage({"captures": [capture_entry(c) for c in merged.captures]})
    return EXIT_DAMAGED if merged.truncated else EXIT_OK
