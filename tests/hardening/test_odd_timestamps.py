"""One odd frame never changes the outcome: timestamps at the edges (radiotap TSFT >= 2^63,
pcapng times beyond 64-bit nanoseconds, before 1970 through a negative if_tsoffset) are carried
or clamped the same way by one process, `--jobs`, `merge` and `live --write`."""

from __future__ import annotations

import contextlib
import io
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.capture import open_capture
from analyzer.cli import main

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "pcaps" / "eap-pmksa-roam.pcapng"
U64 = st.integers(0, (1 << 64) - 1)
REPEAT = 6  # the shipped capture's records, several times over: enough ranges to split


def _records() -> list[bytes]:
    with open_capture(SHIPPED) as cap:
        return [r.data for r in cap]


RECORDS = _records()


def block(btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) & 3)
    return struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


def option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) & 3)


def odd_capture(tsresol: int, tsoffset: int, start: int, odd: dict[int, tuple[int | None,
                int | None]]) -> bytes:  # fmt: skip
    """A pcapng of the shipped frames REPEAT times, 1 ms apart in `tsresol` units from `start`;
    record n in `odd` gets its (raw timestamp, radiotap TSFT) where not None."""
    idb = struct.pack("<HHI", 127, 0, 0) + option(9, bytes([tsresol]))
    if tsoffset:
        idb += option(14, struct.pack("<q", tsoffset))
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out = [shb, block(1, idb + option(0, b""))]
    frames = RECORDS * REPEAT
    for n, data in enumerate(frames):
        ts = (start + n * 1000) % (1 << 64)
        raw, tsft = odd.get(n % len(frames), (None, None))
        if raw is not None:
            ts = raw
        if tsft is not None:
            data = data[:8] + struct.pack("<Q", tsft) + data[16:]
        out.append(block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data),
                                        len(data)) + data))
    return b"".join(out)


def analyze(path: Path, jobs: int) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["analyze", str(path), "--format", "json", "--quiet", "--jobs", str(jobs)])
    return code, out.getvalue()


odd_frames = st.dictionaries(
    st.integers(0, len(RECORDS) * REPEAT - 1),
    st.tuples(st.one_of(st.none(), U64), st.one_of(st.none(), U64, st.just(1 << 63))),
    max_size=4,
)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    tsresol=st.sampled_from([6, 9, 0, 3, 0x80 | 20, 12]),
    tsoffset=st.one_of(st.just(0), st.integers(-(1 << 63), (1 << 63) - 1),
                       st.just(-(1 << 40))),
    start=U64,
    odd=odd_frames,
)
def test_jobs_1_and_jobs_2_give_byte_identical_json_whatever_the_timestamps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tsresol: int, tsoffset: int, start: int,
    odd: dict[int, tuple[int | None, int | None]],
) -> None:
    monkeypatch.setattr("analyzer.run.jobs.MIN_SPLIT_BYTES", 0)  # split this small file too
    path = tmp_path / "odd.pcapng"
    path.write_bytes(odd_capture(tsresol, tsoffset, start, odd))
    one, two = analyze(path, 1), analyze(path, 2)
    assert one[0] in (0, 3)
    assert one == two


def test_a_tsft_of_2_63_or_more_decodes_alike_in_every_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bit flip of the issue: TSFTs >= 2^63 (management frames among them) in the last
    ranges, which workers read."""
    monkeypatch.setattr("analyzer.run.jobs.MIN_SPLIT_BYTES", 0)
    total = len(RECORDS) * REPEAT
    flips = {n: (None, (1 << 64) - 1 - n) for n in range(total - len(RECORDS), total)}
    path = tmp_path / "flip.pcapng"
    path.write_bytes(odd_capture(6, 0, 1_700_000_000_000_000, flips))
    assert analyze(path, 2) == analyze(path, 1)
    assert analyze(path, 2)[0] == 0


def _reread(path: Path) -> list[int]:
    with open_capture(path) as cap:
        return [r.ts_ns for r in cap]


@pytest.mark.parametrize("tsoffset, start, odd", [
    (-(1 << 40), 5, {}),  # every frame before 1970
    (0, 1_700_000_000_000_000, {30: ((1 << 64) - 1, None)}),  # one beyond 2262, clamped
    (-3_000_000_000, (1 << 63), {}),  # across 1970 from below
])  # fmt: skip
def test_merge_and_live_write_carry_edge_timestamps(
    tmp_path: Path, tsoffset: int, start: int, odd: dict[int, tuple[int | None, int | None]]
) -> None:
    """merge and live --write keep every record, at the time the reader gives it."""
    path = tmp_path / "edge.pcapng"
    path.write_bytes(odd_capture(6, tsoffset, start, odd))
    read = _reread(path)
    merged, kept = tmp_path / "merged.pcapng", tmp_path / "kept.pcapng"
    cmd = [sys.executable, "-m", "analyzer"]
    done = subprocess.run([*cmd, "merge", str(path), "-o", str(merged)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 3) and "Traceback" not in done.stderr, done.stderr
    assert _reread(merged) == read
    done = subprocess.run([*cmd, "live", "-r", "-", "--write", str(kept), "--format", "jsonl"],
                          cwd=REPO, input=path.read_bytes(), capture_output=True, timeout=300)
    assert done.returncode in (0, 3) and b"Traceback" not in done.stderr, done.stderr
    assert _reread(kept) == read


@pytest.fixture(scope="module")
def address() -> Iterator[str]:
    """A LocalCluster of 2 worker processes for the module's Dask test."""
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:  # fmt: skip
        yield cluster.scheduler_address


@pytest.mark.parametrize("parts", [0, 2])
def test_dask_ranges_and_station_partitions_carry_edge_timestamps_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, address: str, parts: int
) -> None:
    """Dask range tasks (and per-station partitions) on a capture with TSFTs >= 2^63, a time
    beyond 2262 and frames before 1970: the document of one local process."""
    monkeypatch.setattr("analyzer.run.dask.DASK_SPLIT_BYTES", 0)
    monkeypatch.setattr("analyzer.run.dask.SPLIT_BEYOND_SHARE", False)
    total = len(RECORDS) * REPEAT
    odd = {n: (None, (1 << 63) + n) for n in range(total - 300, total)}
    odd[total - 5] = ((1 << 64) - 1, None)
    site = tmp_path / "site"
    site.mkdir()
    (site / "edge.pcapng").write_bytes(odd_capture(6, -(1 << 31), 0, odd))
    local = _json(["analyze", str(site), "--jobs", "1"])
    argv = ["analyze", str(site), "--dask", address]
    if parts:
        argv += ["--station-parts", str(parts)]
    assert _json(argv) == local
    assert local[0] == 0


def _json(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*argv, "--format", "json", "--quiet"])
    return code, out.getvalue()
