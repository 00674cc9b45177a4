"""The Dask backend for many captures: `analyze DIR_OR_GLOB --dask SCHEDULER | local`.

One task per file, or per site with `--sites` (its sensors' captures merged and aligned first,
analyzer.run.sensors): extraction (read, prefilter, decode) and then the roam engine over that
file's or site's events, on a Dask worker; the client gathers the results in order and
combines them like the local many-file path (analyzer.run.many), so the document is the same.
Files and sites are independent of each other (a station's frames never span two tasks), so
their engines run as they are, one per task.

A large file is split: a site that is one uncompressed pcap or pcapng file of at least
DASK_SPLIT_BYTES (64 MiB; `run_dask(split_bytes=...)`) and larger than one worker thread's
share of all the sites' bytes (`worth_splitting`: one large capture, or one far larger than
the others; many files of a size keep the cluster busy whole) is cut at validated record/block
boundaries (analyzer.run.jobs.plan_split) into byte ranges of at most 8 MiB, one task each
(`read_chunk`: the worker decodes its range into compact columns). Its roam engine runs in
the client: that file's engine as `analyze_site` builds it (same expectations, keys and
frame-row sink), fed the ranges' chunks in range order as they arrive, with the trust checks
and the single-process fallback of `--jobs` (analyzer.run.jobs.feed_chunks), so its result is
exactly `analyze FILE`'s; 8 ranges per worker thread are submitted at a time, the next as the
client takes one (the chunks waiting for the client stay bounded however large the file).

With `--station-parts N` the engine runs on the workers instead, per station: N partitions of
the file's stations, each a task (`part_task`) that takes every range's chunk in order as soon
as it is decoded and runs analyzer.run.partitions.run_part (its own stations' data frames, every
shared frame, the capture's clock); the client merges their results in one engine's order and
judges them: again exactly `analyze FILE`'s result, the client doing no per-frame work. All the
file's ranges are then submitted at once and stay on the cluster until the partitions are done
(the compact columns: about 21 bytes per relevant frame). Where a partition cannot stand for
its share of one engine (a range that did not read cleanly from a true boundary, a cap
reached), where a partition task fails, and when frame rows are collected (`--out`), the
client's engine is fed the ranges instead, and the result carries a note saying why. Each
partition processes every beacon and every frame an AP sends, but of the stations' own frames
only its share: on the benchmark mix each of two partitions costs about 0.6 of one engine's CPU
time, each of four about 0.35. Worth it when the client is the bottleneck (a cluster of many
cores, a slow or distant client); on two cores, where decoding and engines share them, it takes
the same wall time as the client's engine.

The client reads the file too (its header, the split points, and any range it does not trust):
with a remote scheduler the path must be readable from the client as well. Several sensors of
a site, compressed files and smaller files stay one task each. Every site's tasks are
submitted before any result is awaited, so the cluster is busy while the client feeds.

`--out DIR` writes a Parquet dataset: DIR/roams/, DIR/findings/, DIR/frames/, one part file
per capture (part-00000.parquet, ...) with a `capture` column and one schema per table, readable
with `pandas.read_parquet(DIR/"roams")` or `pyarrow.dataset.dataset(...)`; with `--sites`,
roams and findings also have a `site` column.
dask[distributed] and pyarrow are the optional extra `dask`, imported only here. The tables are
built with pyarrow directly (pandas stays in the report layer, by the project's import rule).
"""

from __future__ import annotations

import os
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from analyzer.capture import CaptureInfo
from analyzer.errors import AnalyzerError
from analyzer.run.engine import Analysis, CaptureResult, Engine, open_captures
from analyzer.run.jobs import (
    CHUNKS_PER_JOB,
    Chunk,
    ChunkSource,
    Split,
    Task,
    feed_chunks,
    plan_split,
    read_chunk,
)
from analyzer.run.many import FileResult, Options, analyze_site, bases, site_result, site_sinks
from analyzer.run.partitions import PartRun, run_part, settle

LOCAL_WORKERS = 2
DASK_SPLIT_BYTES = 64 << 20  # a one-file site this large may be one task per byte range
SPLIT_BEYOND_SHARE = True  # ... when larger than a worker thread's share (`worth_splitting`)


def _require() -> Any:
    try:
        import dask.distributed as distributed  # noqa: PLC0415
    except ImportError:
        raise AnalyzerError(
            "--dask needs dask[distributed]: pip install 'roam-analyzer[dask]'"
        ) from None
    return distributed


def client_for(address: str, processes: bool = True) -> tuple[Any, Any]:
    """(client, cluster): `local` starts a LocalCluster of 2 single-threaded worker
    processes (threads with processes=False); anything else is a scheduler address."""
    distributed = _require()
    if address == "local":
        cluster = distributed.LocalCluster(
            n_workers=LOCAL_WORKERS,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
        )
        client = distributed.Client(cluster)
        if processes:
            client.register_plugin(_parent_bound(distributed))
        return client, cluster
    try:
        return distributed.Client(address, timeout="20s"), None
    except OSError as exc:
        raise AnalyzerError(f"--dask {address}: cannot reach the scheduler ({exc})") from None


def _parent_bound(distributed: Any) -> Any:
    """A worker plugin binding each local worker process to its parent, the client's process
    (analyzer.run.procs.bind_to_parent): no worker outlives a killed client."""

    class ParentBound(distributed.WorkerPlugin):  # type: ignore[misc]
        name = "roam-analyzer-parent-bound"

        def setup(self, worker: Any) -> None:
            from analyzer.run.procs import bind_to_parent

            bind_to_parent()

    return ParentBound()


def run_dask(
    sites: Sequence[Sequence[str]],
    address: str,
    options: Options,
    processes: bool = True,
    split_bytes: int | None = None,
    station_parts: int = 0,
) -> list[FileResult]:
    """Every site (a file, or several sensors' files) on the cluster, a one-file site of at
    least `split_bytes` (default DASK_SPLIT_BYTES) as one task per byte range, any other as
    one task; results in site order. A split file's roam engine runs as `station_parts`
    per-station partitions on the workers, or (0) in the client."""
    client, cluster = client_for(address, processes)
    try:
        pending = submit_sites(client, sites, options, split_bytes, station_parts)
        return [site.result() for site in pending]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class Pending(Protocol):
    """A submitted site: a Dask future of its FileResult, or a SplitFile."""

    def result(self) -> FileResult: ...


def submit_sites(
    client: Any, sites: Sequence[Sequence[str]], options: Options, split_bytes: int | None,
    station_parts: int = 0,
) -> list[Pending]:
    """Every site's tasks submitted, in site order, before any result is awaited."""
    least = DASK_SPLIT_BYTES if split_bytes is None else split_bytes
    threads = max(1, sum(client.nthreads().values()))
    parts = threads * CHUNKS_PER_JOB  # 8 MiB ranges at most
    worth = worth_splitting([_bytes(paths) for paths in sites], threads)
    pending: list[Pending] = []
    for paths, index, big in zip(sites, bases(sites), worth, strict=True):
        split = plan_split(paths[0], parts, least) if len(paths) == 1 and big else None
        if split is None:
            pending.append(
                client.submit(analyze_site, list(paths), index, options=options, pure=False)
            )
        else:
            pending.append(SplitFile(client, split, index, options, parts * 2, station_parts))
    return pending


def worth_splitting(sizes: Sequence[int], threads: int) -> list[bool]:
    """Which sites (by their bytes) to split: those larger than one worker thread's share of
    all the bytes. Whole-file tasks keep every worker busy and run their roam engines on the
    workers, while a split file's engine runs in the client: splitting is for the file that
    would otherwise keep one worker busy long after the others are done (one large capture,
    or one far larger than the rest), not for many files of a size."""
    if not SPLIT_BEYOND_SHARE:
        return [True] * len(sizes)
    share = sum(sizes) / threads
    return [size > share for size in sizes]


def _bytes(paths: Sequence[str]) -> int:
    try:
        return sum(os.path.getsize(p) for p in paths)
    except OSError:
        return 0  # not a regular file: its task says why


class SplitFile:
    """One large file as `analyze_site` would analyse it: its byte ranges decoded on the
    cluster (`read_chunk`); its roam engine here, fed the chunks in range order by `result`,
    or (`parts`) as per-station partitions on the cluster (`part_task`, analyzer.run.partitions),
    their results merged and judged here. `why`: why the engine is here when partitions
    were asked for (frame rows to collect, or a partition that cannot stand for its share)."""

    def __init__(
        self, client: Any, split: Split, index: int, options: Options, ahead: int, parts: int
    ) -> None:
        capture = open_captures([split.path])[0]
        capture.close()
        self.info = capture.info
        sinks, self.rows = site_sinks(index, options)
        self.expectations = options.expectations
        self.engine = Engine(Analysis([CaptureResult(self.info)]), sinks,
                             expectations=options.expectations, keys=options.keys)
        lean = self.engine.lean  # no frame sink: workers send the tracker's fields only
        tasks = [(split.path, split.prefix, a, b, lean) for a, b in split.ranges]
        self.parts = parts if lean else 0
        self.why = None if lean or not parts else "frame rows are collected"
        self.runs: list[Any] = []
        if not self.parts:
            self.ranges: ChunkSource = RangeResults(client, tasks, ahead)
            return
        submitted = Submitted([client.submit(read_chunk, t, pure=False) for t in tasks])
        self.ranges = submitted
        # the partitions find the range futures by name: futures given as a task's argument
        # would be waited for and sent whole before the task starts
        self._client, self._dataset = client, f"roam-analyzer-ranges-{uuid.uuid4().hex}"
        client.publish_dataset(submitted.futures, name=self._dataset)
        self.runs = [client.submit(part_task, self._dataset, self.info, p, parts, pure=False)
                     for p in range(parts)]  # fmt: skip

    def result(self) -> FileResult:
        if self.runs:
            try:
                runs = [future.result() for future in self.runs]
                self.why = next((run.why for run in runs if run.why is not None), None)
            except Exception as exc:  # a worker lost, say: the client's engine can still run
                self.why = f"a partition task failed ({type(exc).__name__}: {exc})"
            finally:
                self._client.unpublish_dataset(self._dataset)
            if self.why is None:
                self.ranges.stop()
                return site_result(settle(self.engine, self.info, runs), self.rows,
                                   self.expectations)
        feed_chunks(self.engine, self.info, self.ranges)
        result = site_result(self.engine.finish(), self.rows, self.expectations)
        if self.parts or self.why is not None:
            result.notes.append(f"{self.info.path}: the roam engine ran in the client, not in "
                                f"per-station partitions: {self.why}")  # fmt: skip
        return result


def part_task(dataset: str, info: CaptureInfo, part: int, parts: int) -> PartRun:
    """Worker: partition `part` of one split file's roam engine over its range tasks' chunks
    (the futures published as `dataset`), taken one at a time in range order
    (analyzer.run.partitions.run_part). It leaves the worker's thread pool while it waits for
    them, so the range tasks run."""
    distributed = _require()
    with distributed.worker_client() as client:
        chunks = (future.result() for future in client.get_dataset(dataset))
        return run_part(chunks, info, part, parts)


class Submitted:
    """Range tasks submitted at once, their chunks taken in range order (a ChunkSource)."""

    def __init__(self, futures: list[Any]) -> None:
        self.futures = futures

    def __len__(self) -> int:
        return len(self.futures)

    def __iter__(self) -> Iterator[Chunk]:
        return (future.result() for future in self.futures)

    def stop(self) -> None:
        for future in self.futures:
            future.cancel()
        self.futures = []


class RangeResults:
    """The range tasks' chunks in range order, each future released once its chunk is taken;
    `stop` cancels the ranges not yet taken (analyzer.run.jobs.ChunkSource). At most `ahead`
    ranges are submitted beyond the one being taken: the cluster stays busy while the client
    feeds, and the chunks waiting for the client stay bounded however large the file."""

    def __init__(self, client: Any, tasks: Sequence[Task], ahead: int) -> None:
        self._client = client
        self._tasks = deque(tasks)
        self.futures: deque[Any] = deque()
        while self._tasks and len(self.futures) < ahead:
            self._submit_next()

    def _submit_next(self) -> None:
        self.futures.append(self._client.submit(read_chunk, self._tasks.popleft(), pure=False))

    def __len__(self) -> int:
        return len(self.futures) + len(self._tasks)

    def __iter__(self) -> Iterator[Chunk]:
        while self.futures:
            future = self.futures.popleft()
            if self._tasks:
                self._submit_next()
            yield future.result()

    def stop(self) -> None:
        for future in self.futures:
            future.cancel()
        self.futures.clear()
        self._tasks.clear()


def write_dataset(
    directory: Path, document: dict[str, Any], frame_rows: list[dict[str, Any]]
) -> list[Path]:
    """The roams/findings/frames tables as a Parquet dataset, one part per capture."""
    try:
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.compute as pc  # noqa: PLC0415
        import pyarrow.parquet as pq  # noqa: PLC0415
    except ImportError:
        raise AnalyzerError(
            "--dask --out needs pyarrow: pip install 'roam-analyzer[dask]'"
        ) from None
    from analyzer.capture.atomic import Staged  # noqa: PLC0415
    from analyzer.report.tabular import (  # noqa: PLC0415
        FINDING_COLUMNS,
        FRAME_COLUMNS,
        ROAM_COLUMNS,
        _flat,
        roam_row,
    )

    tagged = ("capture", "site") if "sites" in document else ("capture",)
    tables = {
        "roams": (
            (*tagged, *ROAM_COLUMNS),
            [{**roam_row(r), **{k: r[k] for k in tagged}} for r in document["roams"]],
        ),
        "findings": ((*tagged, *FINDING_COLUMNS), document["findings"]),
        "frames": (FRAME_COLUMNS, frame_rows),
    }
    n_captures = len(document["captures"])
    with Staged(directory) as staged:  # renamed into place together, then _SUCCESS
        for name, (columns, rows) in tables.items():
            table = pa.table({c: [_flat(r.get(c)) for r in rows] for c in columns})
            capture = table.column("capture")
            for n in range(n_captures):
                part = table.filter(pc.equal(capture, n)) if len(table) else table
                pq.write_table(part, staged.path(f"{name}/part-{n:05d}.parquet"))
    return staged.written
