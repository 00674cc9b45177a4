"""Coverage-guided fuzzing with atheris (optional: `pip install atheris`, CPython 3.11).

    python -m fuzz.atheris_target frames fuzz/.cache/atheris-frames -max_total_time=600
    python -m fuzz.atheris_target files  fuzz/.cache/atheris-files  -atheris_runs=20000

The first argument picks the target; the rest go to libFuzzer. The corpus directory is
seeded from `fuzz.corpus` when it is empty. A crash leaves `crash-*` files for --replay.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fuzz import corpus
from fuzz.targets import LINKTYPES, FrameTarget, run_file

_frames = FrameTarget()
_index = 0


def one_frame(data: bytes) -> None:
    """First byte picks the link type and the FCS check; the rest is the record."""
    global _index
    if not data:
        return
    _index += 1
    linktype = LINKTYPES[data[0] % len(LINKTYPES)]
    _frames(_index, _index * 1_000_000, linktype, data[1:], bool(data[0] & 0x80))


def one_file(data: bytes) -> None:
    run_file(data)


def _seed(kind: str, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        return
    root = corpus.build()
    if kind == "files":
        for n, blob in enumerate(corpus.load_files(root)):
            (directory / f"seed-{n}").write_bytes(blob)
        return
    for n, (linktype, data) in enumerate(corpus.load_frames(root)):
        (directory / f"seed-{n}").write_bytes(bytes((LINKTYPES.index(linktype),)) + data)


def main() -> None:
    import atheris  # noqa: PLC0415 - optional dependency

    if len(sys.argv) < 3 or sys.argv[1] not in ("frames", "files"):
        raise SystemExit(__doc__)
    kind, directory = sys.argv[1], Path(sys.argv[2])
    _seed(kind, directory)
    atheris.instrument_all()  # the analyzer is already imported (via fuzz.targets)
    atheris.Setup([sys.argv[0], *sys.argv[2:]], one_frame if kind == "frames" else one_file)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
