"""One large capture on Dask: its byte ranges decoded on the workers and fed in order to one
roam engine in the client, or (`--station-parts N`) with the engine run as per-station
partitions on the workers, give exactly the single-process document (the split is forced on
small files by lowering the threshold)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import analyzer.run.dask
import analyzer.run.jobs
from analyzer.cli import main
from analyzer.run.dask import SplitFile, run_dask
from analyzer.run.jobs import Chunk, plan_split
from analyzer.run.many import Options, analyze_site

from .mixes import write_mixes
from .test_many import _assert_per_file_equal
from .test_parallel import _damage

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT.parent / "shared" / "pcaps" / "public"


@dataclass
class Seen:
    """What the client did: range tasks per split file, the split files, frames of each chunk
    it fed its own engine."""

    ranges: list[int] = field(default_factory=list)
    splits: list[SplitFile] = field(default_factory=list)
    fed: list[int] = field(default_factory=list)


@pytest.fixture(scope="module")
def address() -> Iterator[str]:
    """A LocalCluster of 2 single-threaded worker processes, shared by the module's tests."""
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:  # fmt: skip
        yield cluster.scheduler_address


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Seen:
    """Split every one-file site (threshold 0) and record the ranges and the chunks fed."""
    monkeypatch.setattr("analyzer.run.dask.DASK_SPLIT_BYTES", 0)
    monkeypatch.setattr("analyzer.run.dask.SPLIT_BEYOND_SHARE", False)
    record = Seen()
    submit, feed = analyzer.run.dask.submit_sites, analyzer.run.jobs._feed

    def submitting(*args: Any) -> list[Any]:
        pending = submit(*args)
        record.splits.extend(p for p in pending if isinstance(p, SplitFile))
        record.ranges.extend(len(p.ranges) for p in pending if isinstance(p, SplitFile))
        return pending

    def feeding(engine: Any, chunk: Chunk, base: int) -> None:
        record.fed.append(chunk.info.frames)
        feed(engine, chunk, base)

    monkeypatch.setattr("analyzer.run.dask.submit_sites", submitting)
    monkeypatch.setattr("analyzer.run.jobs._feed", feeding)
    return record


@pytest.fixture(scope="module")
def mixes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """bench-mix captures of the scenario builder (pcap, pcapng), ~40 k frames each."""
    return write_mixes(tmp_path_factory.mktemp("mixes"), 40_000)


def _analyze(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:
    code = main(["analyze", *argv, "--format", "json", "--quiet"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def _many_local(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:
    """`analyze DIR` (DIR holding `path` alone) in one local process: no Dask, no split."""
    return _analyze([str(path.parent), "--jobs", "1"], capsys)


def _alone(path: Path, tmp_path: Path) -> Path:
    """`path` copied alone into a directory of its own (a DIR argument of one file)."""
    d = tmp_path / path.stem.replace(".", "_")
    d.mkdir(exist_ok=True)
    shutil.copy(path, d / path.name)
    return d / path.name


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_split_scenario_capture_equals_single_run(
    mixes: dict[str, Path], fmt: str, seen: Seen, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`analyze DIR --dask local`, the file cut into several ranges: the single run's document,
    every range decoded on a worker, trusted (no serial re-read) and fed to the client's
    engine."""
    path = _alone(mixes[fmt], tmp_path)
    code, doc, _ = _analyze([str(path.parent), "--dask", "local"], capsys)
    assert code == 0 and doc["roams"]
    _assert_per_file_equal(doc, [str(path)])
    assert doc == _many_local(path, capsys)[1]
    assert len(seen.ranges) == 1 and seen.ranges[0] > 1
    assert [s.parts for s in seen.splits] == [0] and len(seen.fed) == seen.ranges[0]
    assert sum(seen.fed) == doc["captures"][0]["frames"]


def test_split_public_captures_equal_single_runs(
    address: str, seen: Seen, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real captures, each split that can be (compressed ones stay one task): per file, the
    single run's document; the whole equals the local many-capture run."""
    if not PUBLIC.is_dir():
        pytest.skip(f"real captures not available: {PUBLIC} is absent")
    for p in PUBLIC.iterdir():
        if p.name != "MANIFEST.tsv":
            shutil.copy(p, tmp_path / p.name)
    code, doc, _ = _analyze([str(tmp_path), "--dask", address], capsys)
    paths = sorted(str(p) for p in tmp_path.iterdir())
    splittable = [p for p in paths if plan_split(p, 8, 0) is not None]
    assert code in (0, 3)
    _assert_per_file_equal(doc, paths)
    assert doc == _analyze([str(tmp_path), "--jobs", "1"], capsys)[1]
    assert len(seen.ranges) == len(splittable) >= 3
    assert all(n > 1 for n in seen.ranges)


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_station_partitions_on_the_workers_give_the_single_run(
    mixes: dict[str, Path], parts: int, address: str, seen: Seen, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--station-parts N`: the roam engine as N per-station partitions on the workers (one:
    the whole engine on a worker; three: more than the workers); the client merges their
    results and feeds no chunk to an engine of its own."""
    path = _alone(mixes["pcapng"], tmp_path)
    argv = [str(path.parent), "--dask", address, "--station-parts", str(parts)]
    _, doc, err = _analyze(argv, capsys)
    _assert_per_file_equal(doc, [str(path)])
    assert doc == _many_local(path, capsys)[1]
    assert [(s.parts, s.why) for s in seen.splits] == [(parts, None)] and seen.fed == []
    assert "note:" not in err


def test_damaged_capture_split_equals_single_run(
    mixes: dict[str, Path], address: str, seen: Seen, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Damaged frames inside the ranges (bad FCS, cut headers): same document and counts of
    malformed frames, every range still trusted and the station partitions used."""
    path = tmp_path / "damaged" / "mix.pcap"
    path.parent.mkdir()
    path.write_bytes(_damage(mixes["pcap"].read_bytes()))
    code, doc, _ = _analyze([str(path.parent), "--dask", address, "--station-parts", "2"],
                            capsys)  # fmt: skip
    assert doc["captures"][0]["malformed"] > 50
    _assert_per_file_equal(doc, [str(path)])
    assert (code, doc) == _many_local(path, capsys)[:2]
    assert seen.ranges[0] > 1 and seen.splits[0].why is None and seen.fed == []


def test_truncated_capture_split_keeps_the_single_run_warnings(
    mixes: dict[str, Path], address: str, seen: Seen, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A capture cut inside its last record: the last range is not trusted, so the station
    partitions do not stand (a note says so); the client's engine is fed the other ranges and
    the serial reader reads the last; same frames, warning text, byte offset, exit code and
    stderr."""
    data = mixes["pcapng"].read_bytes()
    path = tmp_path / "cut" / "cut.pcapng"
    path.parent.mkdir()
    path.write_bytes(data[: len(data) - 5])
    argv = [str(path.parent), "--dask", address, "--station-parts", "2"]
    code, doc, err = _analyze(argv, capsys)
    assert doc["captures"][0]["truncated"] and doc["captures"][0]["warnings"]
    _assert_per_file_equal(doc, [str(path)])
    note, _, rest = err.partition("\n")
    assert (code, doc, rest) == _many_local(path, capsys)
    assert seen.ranges[0] > 1 and len(seen.fed) == seen.ranges[0] - 1
    assert (seen.splits[0].why or "").endswith("not trusted")
    assert note.startswith(f"roam-analyzer: note: {path}: the roam engine ran in the client")
    assert note.endswith("not trusted")


def test_false_boundary_falls_back_to_the_serial_reader(
    mixes: dict[str, Path], address: str, seen: Seen, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """A cut that is not a record boundary: the station partitions do not stand; the ranges
    before it are fed to the client's engine, the rest is read by the single-process reader in
    the client (the remaining range tasks cancelled)."""
    path = _alone(mixes["pcap"], tmp_path)
    split = plan_split(str(path), 8, 0)
    assert split is not None and len(split.ranges) >= 4
    (a, b), (_, c) = split.ranges[1:3]
    ranges = [split.ranges[0], (a, b + 7), (b + 7, c), *split.ranges[3:]]
    forged = type(split)(split.path, split.prefix, ranges)
    monkeypatch.setattr("analyzer.run.dask.plan_split", lambda *_: forged)
    _, doc, _ = _analyze([str(path.parent), "--dask", address, "--station-parts", "2"], capsys)
    _assert_per_file_equal(doc, [str(path)])
    assert len(seen.fed) == 1 < seen.ranges[0]
    assert (seen.splits[0].why or "").startswith(f"range from record {seen.fed[0] + 1} ")


def test_parquet_dataset_of_a_split_file(
    mixes: dict[str, Path], address: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--out` on a split file (the frame-row sink, so workers send whole frames and the engine
    stays in the client even with `--station-parts`): the same roams, findings and frames
    tables as the file in one task."""
    pd = pytest.importorskip("pandas")
    path = _alone(mixes["pcapng"], tmp_path)
    docs = {}
    for name, threshold in (("split", 0), ("whole", 1 << 62)):
        monkeypatch.setattr("analyzer.run.dask.DASK_SPLIT_BYTES", threshold)
        out = tmp_path / name
        argv = [str(path.parent), "--dask", address, "--out", str(out), "--station-parts", "2"]
        _, docs[name], _ = _analyze(argv, capsys)
    assert docs["split"] == docs["whole"]
    for table in ("roams", "findings", "frames"):
        split = pd.read_parquet(tmp_path / "split" / table)
        whole = pd.read_parquet(tmp_path / "whole" / table)
        pd.testing.assert_frame_equal(split, whole)
        assert table == "findings" or len(split) > 0


def test_only_large_one_file_sites_are_split(
    mixes: dict[str, Path], address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`split_bytes`: a one-file site at least that large is split, a smaller one and a site
    of two sensors stay one task; each result is `analyze_site`'s."""
    splits: list[SplitFile] = []
    submit = analyzer.run.dask.submit_sites

    def submitting(*args: Any) -> list[Any]:
        pending = submit(*args)
        splits.extend(p for p in pending if isinstance(p, SplitFile))
        return pending

    monkeypatch.setattr("analyzer.run.dask.submit_sites", submitting)
    big, small = str(mixes["pcap"]), str(ROOT / "pcaps" / "psk-roam.pcapng")
    sites = [[big], [small], [small, str(ROOT / "pcaps" / "ft-roam.pcapng")]]
    options = Options(frame_rows=True)
    results = run_dask(sites, address, options, split_bytes=mixes["pcap"].stat().st_size)
    assert [s.info.path for s in splits] == [big]
    for result, paths, index in zip(results, sites, (0, 1, 2), strict=True):
        alone = analyze_site(paths, index, options)
        assert (result.document, result.frame_rows) == (alone.document, alone.frame_rows)


def test_a_failed_partition_task_falls_back_to_the_clients_engine(
    mixes: dict[str, Path], address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A partition task that fails (a worker lost, say): the client's engine analyses the
    file from the range chunks, with the single run's result and a note saying why."""

    def failing(*_args: Any) -> None:
        raise RuntimeError("worker lost")

    monkeypatch.setattr("analyzer.run.dask.SPLIT_BEYOND_SHARE", False)
    monkeypatch.setattr("analyzer.run.dask.part_task", failing)
    path = str(mixes["pcap"])
    (result,) = run_dask([[path]], address, Options(), split_bytes=0, station_parts=2)
    assert result.document == analyze_site([path], 0, Options()).document
    (note,) = result.notes
    assert "a partition task failed (RuntimeError: worker lost)" in note
