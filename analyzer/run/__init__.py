"""The ways of running the roam engine, and the engine they all feed.

`engine` is the one place the stages are wired (captures -> records -> decoded frames -> roam
state -> verdicts): Engine, Analysis, CaptureResult. It imports none of the runners. Each
other module is one way of running it, and imports the engine:

- `dispatch`: `run(sources)`, one capture or the sensors of one site; picks `sensors`, `jobs`
  or tshark decoding (analyzer.tshark), so it builds on those two;
- `jobs`: one capture decoded by worker processes over byte ranges (`--jobs`);
- `sensors`: several captures of one site, aligned and de-duplicated (`merge` writes them);
- `partitions`: one capture's roam engine as per-station partitions fed `jobs`' ranges
  (builds on `jobs`);
- `many`: a directory or glob, one worker per file or site, each a `dispatch.run`;
- `dask`: `many` and `partitions` on a Dask cluster (builds on `many`, `partitions`, `jobs`);
- `live`: monitor interfaces or streams; several of them through `live_sensors`, with the
  offsets resolved as `sensors` resolves them;
- `procs`: worker processes that end with their parent (used by `jobs`, `many`, `dask`, the
  command line).

No import cycle among them (tests/test_layering.py). Nothing is imported here, so that
importing one runner imports only what it needs.
"""
