"""``python -m analyzer.simulate NAME -o FILE``: what ``roam-analyzer simulate`` runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .library import SCENARIOS, simulate


def main(argv: Sequence[str] | None = None) -> int:
    names = sorted(SCENARIOS)
    parser = argparse.ArgumentParser(prog="roam-analyzer simulate", description=__doc__)
    parser.add_argument("name", choices=names)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument(
        "--format",
        choices=("pcap", "pcapng"),
        default=None,
        help="default: from the file name (.pcap or .pcapng)",
    )
    parser.add_argument("--frames", type=int, default=None,
                        help="bench-mix and bench-control-mix size (1 M)")
    args = parser.parse_args(argv)
    fmt = args.format or ("pcap" if args.output.endswith(".pcap") else "pcapng")
    count = simulate(args.name, args.output, fmt, args.frames)
    print(f"{args.output}: {count} frames", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
