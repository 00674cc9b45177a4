"""The command line: parses arguments, calls the pipeline and the report layer, sets the exit code.

Exit codes: 0 fine; 1 `check` found a violation of the expectations; 2 user error (one line on
stderr); 3 a capture was damaged (results up to the damage are still printed).
"""

from __future__ import annotations

import argparse
import json
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
    sub = parser.add_subparsers(dest="command", required=True)
    analyze = sub.add_parser("analyze", help="per-station roams, latencies and findings")
    analyze.add_argument("captures", nargs="+", metavar="CAPTURE", help="pcap/pcapng file, or -")
    analyze.add_argument("--format", choices=("table", "json", "csv", "jsonl"), default="table")
    analyze.add_argument("--sta", type=_mac, help="only this station (MAC address)")
    analyze.add_argument("--out", metavar="DIR", help="write roams/frames/findings .csv there")
    analyze.add_argument("--quiet", action="store_true", help="no progress display")
    _pmksa_options(analyze)
    check = sub.add_parser(
        "check", help="exit 1 when a PMKSA verdict or a roam time breaks the expectations"
    )
    check.add_argument("captures", nargs="+", metavar="CAPTURE", help="pcap/pcapng file, or -")
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
    return parser


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
        "--keys", action="append", default=[], metavar="FILE", help="keys, one per line"
    )


def _pmksa_inputs(args: argparse.Namespace) -> dict[str, Any]:
    from analyzer.config import load_expectations, load_keys

    return {"expectations": load_expectations(args.expect), "keys": load_keys(args.key, args.keys)}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
    raise AssertionError(args.command)


def _analyze(args: argparse.Namespace, out: TextIO) -> int:
    from analyzer.pipeline import run
    from analyzer.report.jsonout import analysis_document, only_station
    from analyzer.report.progress import progress_sink

    frame_rows: list[dict[str, Any]] = []
    sinks = [progress_sink(quiet=args.quiet)]
    if args.out:
        sinks.append(_row_collector(frame_rows))
    inputs = _pmksa_inputs(args)
    analysis = run(args.captures, sinks=[s for s in sinks if s is not None], **inputs)
    document = analysis_document(analysis)
    if args.sta:
        document = only_station(document, args.sta)
    _write_analysis(args.format, document, out)
    if args.out:
        from pathlib import Path

        from analyzer.report.tabular import write_tables

        rows = [r for r in frame_rows if not args.sta or r["sta"] == args.sta]
        write_tables(Path(args.out), document, rows)
    _warn_damage(document)
    return EXIT_DAMAGED if analysis.truncated else EXIT_OK


def _check(args: argparse.Namespace, out: TextIO) -> int:
    from analyzer.pipeline import run
    from analyzer.report.jsonout import capture_entry

    analysis = run(args.captures, **_pmksa_inputs(args))
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
    from analyzer.dot11.records import Kind
    from analyzer.report.frames import frame_row

    skip = (Kind.BEACON, Kind.DATA)

    def collect(capture: int, frame: Any) -> None:
        if frame.kind not in skip:
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
