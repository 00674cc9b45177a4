"""The seed corpus: scenario-builder frames and captures, plus the public captures' records.

Built at run time and cached as capture files in a directory (default `fuzz/.cache`, not
committed): `frames.pcapng` holds every seed frame (one interface per link type) and
`files/` the seed captures the file campaign mutates.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path

from analyzer.capture import open_capture
from analyzer.capture.writer import PcapngWriter, PcapWriter
from analyzer.errors import AnalyzerError

REPO = Path(__file__).resolve().parents[1]
PUBLIC = REPO.parent / "shared" / "pcaps" / "public"
DEFAULT_CACHE = REPO / "fuzz" / ".cache"
MAX_PUBLIC_RECORDS = 400  # per public capture: enough variety, a small corpus
MAX_SEED_FILE = 96 * 1024  # seed captures larger than this are cut (at a record boundary)
VERSION = "1"

Seed = tuple[int, bytes]  # (linktype, record bytes)


def _scenarios() -> Iterator[object]:
    """Small scenarios covering PSK, EAP, FT, PMKSA caching, BTM and disconnects."""
    from analyzer.simulate.scenario import Scenario

    psk = (
        Scenario(seed=11, acks=True)
        .ap("a", "02:00:00:00:01:00", "lab", 1, "psk", passphrase="password1")
        .ap("b", "02:00:00:00:02:00", "lab", 36, "psk", passphrase="password1")
        .sta("s", "02:00:00:00:00:10")
    )
    psk.beacons("a", 3).probe("s", "a").connect("s", "a").data("s").btm("a", "s", ["b"])
    psk.data("s").group_rekey("s").sa_query("s").neighbor_report("s").deauth("s")
    yield psk
    eap = (
        Scenario(seed=12, fmt="pcapng")
        .ap("a", "02:00:00:00:03:00", "corp", 6, "8021x")
        .ap("b", "02:00:00:00:04:00", "corp", 44, "8021x")
        .sta("s", "02:00:00:00:00:20", identity="alice@example.org")
    )
    eap.connect("s", "a").data("s").roam("s", "b").data("s").roam("s", "a").data("s")
    yield eap
    ft = (
        Scenario(seed=13)
        .ap("a", "02:00:00:00:05:00", "ft", 11, "ft-psk", passphrase="password1", mdid=0x1234)
        .ap("b", "02:00:00:00:06:00", "ft", 149, "ft-psk", passphrase="password1", mdid=0x1234)
        .sta("s", "02:00:00:00:00:30")
    )
    ft.connect("s", "a").data("s").roam("s", "b", "ft_over_air").data("s")
    ft.roam("s", "a", "ft_over_ds").data("s").disassoc("s")
    yield ft
    sae = (
        Scenario(seed=14, fmt="pcapng")
        .ap("a", "02:00:00:00:07:00", "wpa3", 1, "sae", passphrase="password1")
        .ap("b", "02:00:00:00:08:00", "wpa3", 36, "sae", passphrase="password1")
        .ap("o", "02:00:00:00:09:00", "open", 6, "owe")
        .sta("s", "02:00:00:00:00:40")
        .sta("t", "02:00:00:00:00:41")
    )
    sae.connect("s", "a").data("s").roam("s", "b").data("s").connect("t", "o").data("t")
    yield sae


def scenario_frames() -> list[Seed]:
    return [(127, data) for sc in _scenarios() for _ts, data in sc.frames()]  # type: ignore[attr-defined]


def scenario_captures() -> list[tuple[str, bytes]]:
    out = []
    for n, sc in enumerate(_scenarios()):
        frames = list(sc.frames())  # type: ignore[attr-defined]
        pcap, ng = io.BytesIO(), io.BytesIO()
        writer = PcapWriter(pcap, 127, nanosecond=True)
        ngw = PcapngWriter(ng)
        iface = ngw.add_interface(127, "mon0")
        for ts, data in frames:
            writer.write(ts, data)
            ngw.write(iface, ts, data)
        writer.flush()
        ngw.flush()
        out += [(f"scenario{n}.pcap", pcap.getvalue()), (f"scenario{n}.pcapng", ng.getvalue())]
    return out


def public_records(limit: int = MAX_PUBLIC_RECORDS) -> list[Seed]:
    if not PUBLIC.is_dir():
        return []
    seeds: list[Seed] = []
    for path in sorted(PUBLIC.iterdir()):
        if path.name == "MANIFEST.tsv":
            continue
        try:
            with open_capture(path) as cap:
                for n, rec in enumerate(cap):
                    if n >= limit:
                        break
                    seeds.append((rec.linktype, rec.data))
        except AnalyzerError:
            continue
    return seeds


def public_captures() -> list[tuple[str, bytes]]:
    """The public captures (cut to MAX_SEED_FILE), gzip ones also decompressed."""
    if not PUBLIC.is_dir():
        return []
    out = []
    for path in sorted(PUBLIC.iterdir()):
        if path.name == "MANIFEST.tsv":
            continue
        out.append((path.name, path.read_bytes()[:MAX_SEED_FILE]))
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                out.append((path.stem, f.read(MAX_SEED_FILE)))
    return out


def build(cache: Path = DEFAULT_CACHE) -> Path:
    """Write the corpus into `cache` (once per VERSION); return its directory."""
    root = cache / f"v{VERSION}"
    done = root / "complete"
    if done.exists():
        return root
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    _write_frames(root / "frames.pcapng", scenario_frames() + public_records())
    for name, blob in scenario_captures() + public_captures():
        (files / name).write_bytes(blob)
    done.write_text("ok\n")
    return root


def _write_frames(path: Path, seeds: list[Seed]) -> None:
    with path.open("wb") as f:
        writer = PcapngWriter(f)
        ifaces: dict[int, int] = {}
        for n, (linktype, data) in enumerate(seeds):
            if linktype not in ifaces:
                ifaces[linktype] = writer.add_interface(linktype, f"lt{linktype}")
            writer.write(ifaces[linktype], 1_000_000_000 + n, data)
        writer.flush()


def load_frames(root: Path) -> list[Seed]:
    with open_capture(root / "frames.pcapng") as cap:
        return [(rec.linktype, rec.data) for rec in cap]


def load_files(root: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((root / "files").iterdir())]
