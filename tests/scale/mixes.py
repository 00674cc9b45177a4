"""bench-mix captures of the scenario builder, shared by the scale tests' fixtures."""

from __future__ import annotations

from pathlib import Path

from analyzer.simulate.library import simulate


def write_mixes(out: Path, frames: int) -> dict[str, Path]:
    """A bench-mix capture of `frames` frames in each format: {"pcap": path, "pcapng": path}."""
    paths = {fmt: out / f"mix.{fmt}" for fmt in ("pcap", "pcapng")}
    for fmt, path in paths.items():
        simulate("bench-mix", str(path), fmt=fmt, frames=frames)
    return paths
