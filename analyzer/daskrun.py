"""The Dask backend for many captures: `analyze DIR_OR_GLOB --dask SCHEDULER | local`.

One task per file, or per site with `--sites` (its sensors' captures merged and aligned first,
analyzer.merge): extraction (read, prefilter, decode) and then the roam engine over that
file's or site's events, on a Dask worker; the client gathers the results in order and
combines them like the local many-file path (analyzer.many), so the document is the same.
The roam engine runs per file or site, not per station across them: each is independent of the
others, so a station's frames never span two tasks and partitioning events by station would
only add a shuffle.

`--out DIR` writes a Parquet dataset: DIR/roams/, DIR/findings/, DIR/frames/, one part file
per capture (part-00000.parquet, ...) with a `capture` column and one schema per table, readable
with `pandas.read_parquet(DIR/"roams")` or `pyarrow.dataset.dataset(...)`; with `--sites`,
roams and findings also have a `site` column.
dask[distributed] and pyarrow are the optional extra `dask`, imported only here. The tables are
built with pyarrow directly (pandas stays in the report layer, by the project's import rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analyzer.errors import AnalyzerError
from analyzer.many import FileResult, Options, analyze_site, bases

LOCAL_WORKERS = 2


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
        return distributed.Client(cluster), cluster
    try:
        return distributed.Client(address, timeout="20s"), None
    except OSError as exc:
        raise AnalyzerError(f"--dask {address}: cannot reach the scheduler ({exc})") from None


def run_dask(
    sites: Sequence[Sequence[str]], address: str, options: Options, processes: bool = True
) -> list[FileResult]:
    """Every site (a file, or several sensors' files) as one task on the cluster; results in
    site order."""
    client, cluster = client_for(address, processes)
    try:
        futures = client.map(
            analyze_site, [list(p) for p in sites], bases(sites), options=options, pure=False
        )
        return client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


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
    written: list[Path] = []
    n_captures = len(document["captures"])
    for name, (columns, rows) in tables.items():
        table = pa.table({c: [_flat(r.get(c)) for r in rows] for c in columns})
        root = directory / name
        root.mkdir(parents=True, exist_ok=True)
        capture = table.column("capture")
        for n in range(n_captures):
            part = table.filter(pc.equal(capture, n)) if len(table) else table
            path = root / f"part-{n:05d}.parquet"
            pq.write_table(part, path)
            written.append(path)
    return written
