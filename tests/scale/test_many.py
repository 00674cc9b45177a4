"""Many independent captures (a directory or glob), locally and on Dask: per file, exactly the
single-process results; combined into one document with unique roam ids and `capture` tags."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.report.jsonout import analysis_document
from analyzer.run.dispatch import run
from analyzer.run.many import expand

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT.parent / "shared" / "pcaps" / "public"
SCENARIOS = sorted((ROOT / "pcaps").glob("*.pcapng"))
TAGGED = ("pmkids", "stations", "roams", "findings")


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else {}, captured.err


def _assert_per_file_equal(combined: dict, paths: list[str]) -> None:
    """Each file's share of the combined document is its single-process document."""
    assert [c["path"] for c in combined["captures"]] == paths
    ids = [r["id"] for r in combined["roams"]]
    assert len(set(ids)) == len(ids) == sorted(ids).__len__() and ids == sorted(ids)
    counts: dict[str, int] = {}
    attempts = 0
    for n, path in enumerate(paths):
        single = analysis_document(run([path]))
        assert combined["captures"][n] == single["captures"][0], path
        for key in TAGGED:
            mine = [dict(x) for x in combined[key] if x["capture"] == n]
            for x in mine:
                del x["capture"]
            want = single[key]
            if key == "pmkids":
                want = [{k: v for k, v in p.items() if k != "capture"} for p in want]
            if key == "roams" and mine:
                shift = mine[0]["id"] - want[0]["id"]
                assert shift >= 0
                for x in mine:
                    x["id"] -= shift
            assert mine == want, (path, key)
        for k, v in single["counts"].items():
            counts[k] = counts.get(k, 0) + v
        attempts += single["summary"]["attempts"]
    assert combined["counts"] == counts
    assert combined["summary"]["attempts"] == attempts
    assert all(p["capture"] in range(len(paths)) for p in combined["pmkids"])


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("scenarios")
    for p in SCENARIOS:
        shutil.copy(p, d / p.name)
    (d / "notes.txt").write_text("not a capture\n")
    return d


def test_directory_with_jobs_equals_single_runs(
    scenario_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = expand([str(scenario_dir)])
    assert [Path(p).name for p in paths] == [p.name for p in SCENARIOS]
    code, doc, _ = _cli(["analyze", str(scenario_dir), "--format", "json", "--jobs", "2"], capsys)
    assert code == 0 and doc["roams"] and doc["sensors"] is None
    _assert_per_file_equal(doc, paths)


@pytest.mark.skipif(not PUBLIC.is_dir(), reason="../shared/pcaps/public absent")
def test_public_glob_with_jobs_equals_single_runs(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = _cli(
        ["analyze", f"{PUBLIC}/*", "--format", "json", "--jobs", "2", "--quiet"], capsys
    )
    paths = expand([f"{PUBLIC}/*"])
    assert any(p.endswith(".gz") for p in paths) and not any(p.endswith(".tsv") for p in paths)
    assert code in (0, 3)
    _assert_per_file_equal(doc, paths)


def test_explicit_files_are_still_sensors(
    scenario_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Files named one by one stay sensors of one site; a directory with --sensors too."""
    files = [str(p) for p in SCENARIOS[:2]]
    _, listed, _ = _cli(["analyze", *files, "--format", "json", "--quiet"], capsys)
    assert listed["sensors"] is not None
    assert listed == analysis_document(run(files))
    d = scenario_dir.parent / "two"
    d.mkdir(exist_ok=True)
    for f in files:
        shutil.copy(f, d)
    _, merged, _ = _cli(["analyze", str(d), "--sensors", "--format", "json", "--quiet"], capsys)
    assert merged["sensors"] is not None and merged["roams"] == listed["roams"]


def test_dask_local_cluster_equals_single_runs(
    scenario_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A LocalCluster of 2 worker processes; the report and the Parquet dataset."""
    pd = pytest.importorskip("pandas")
    pytest.importorskip("dask.distributed")
    corpora = [("scenarios", str(scenario_dir))]
    if PUBLIC.is_dir():
        corpora.append(("public", str(PUBLIC)))
    for name, source in corpora:
        out = tmp_path / name
        paths = expand([source])
        code, doc, _ = _cli(
            ["analyze", source, "--format", "json", "--dask", "local", "--out", str(out)], capsys
        )
        assert code in (0, 3)
        _assert_per_file_equal(doc, paths)
        _, local, _ = _cli(["analyze", source, "--format", "json", "--jobs", "2"], capsys)
        assert doc == local
        roams = pd.read_parquet(out / "roams")
        assert roams["id"].tolist() == [r["id"] for r in doc["roams"]]
        assert roams["capture"].tolist() == [r["capture"] for r in doc["roams"]]
        assert len(pd.read_parquet(out / "findings")) == len(doc["findings"])
        frames = pd.read_parquet(out / "frames")
        assert len(frames) > 0 and set(frames["capture"]) <= set(range(len(paths)))


def test_dask_missing_is_one_line_exit_2(
    scenario_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    code = main(["analyze", str(scenario_dir), "--dask", "local"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "dask[distributed]" in err


def test_glob_without_captures_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["analyze", str(tmp_path / "*.pcap")])
    assert code == 2 and "no .pcap" in capsys.readouterr().err


def test_table_output_of_many(scenario_dir: Path) -> None:
    from analyzer.cli import _write_analysis
    from analyzer.run.many import Options, combine, run_many

    doc = combine(run_many([[p] for p in expand([str(scenario_dir)])], 2, Options()))
    buf = io.StringIO()
    _write_analysis("table", doc, buf)
    assert buf.getvalue()
