"""`analyze ROOT --sites`: each subdirectory a site of several sensors, merged and aligned in one
worker before its roam engine runs (locally with --jobs, or on Dask); each site's share of the
combined document is exactly `analyze A B` on its sensors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.report.jsonout import analysis_document
from analyzer.run.dispatch import run

from .builder import write_sensors

SHIPPED = Path(__file__).resolve().parents[2] / "pcaps" / "psk-roam.pcapng"
TAGGED = ("pmkids", "stations", "roams", "findings")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two sites of two sensors (clocks apart and drifting), and a lone capture at the top."""
    top = tmp_path_factory.mktemp("sites")
    for name, seed in (("north", 3), ("south", 5)):
        work = tmp_path_factory.mktemp(name)
        _full, a, b, _sc = write_sensors(work, seed=seed)
        (top / name).mkdir()
        shutil.copy(a, top / name / "a.pcap")
        shutil.copy(b, top / name / "b.pcap")
    shutil.copy(SHIPPED, top / "lone.pcapng")
    (top / "empty").mkdir()
    return top


def _doc(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def _site_sensors(root: Path) -> list[tuple[str, list[str]]]:
    return [("lone.pcapng", [str(root / "lone.pcapng")]),
            ("north", [str(root / "north" / "a.pcap"), str(root / "north" / "b.pcap")]),
            ("south", [str(root / "south" / "a.pcap"), str(root / "south" / "b.pcap")])]


def _assert_sites_equal_their_own_runs(doc: dict, root: Path) -> None:
    sites = _site_sensors(root)
    assert [s["name"] for s in doc["sites"]] == [name for name, _ in sites]
    assert [c["path"] for c in doc["captures"]] == [p for _, paths in sites for p in paths]
    for k, (_name, paths) in enumerate(sites):
        single = analysis_document(run(paths))
        site = doc["sites"][k]
        assert [doc["captures"][i] for i in site["captures"]] == single["captures"]
        assert site["sensors"] == single["sensors"]
        first = site["captures"][0]
        for key in TAGGED:
            mine = [dict(x) for x in doc[key] if x["site"] == k]
            for x in mine:
                assert x.pop("site") == k
                capture = x.pop("capture")
                if key == "pmkids":
                    assert capture - first == next(p["capture"] for p in single["pmkids"]
                                                   if p["frame"] == x["frame"])  # fmt: skip
                else:
                    assert capture == first
            want = [{k2: v for k2, v in x.items() if key != "pmkids" or k2 != "capture"}
                    for x in single[key]]  # fmt: skip
            if key == "roams" and mine:
                shift = mine[0]["id"] - want[0]["id"]
                for x in mine:
                    x["id"] -= shift
            assert mine == want, (k, key)


def test_each_site_is_its_sensors_merged_and_aligned(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _doc(["analyze", str(root), "--sites", "--jobs", "2", "--format", "json"], capsys)
    _assert_sites_equal_their_own_runs(doc, root)
    north = doc["sites"][1]["sensors"]["sensors"]
    assert north[1]["status"] == "aligned" and north[1]["offset_s"] == pytest.approx(2.5)
    assert len({r["id"] for r in doc["roams"]}) == len(doc["roams"]) > 4


def test_sites_on_a_dask_local_cluster_give_the_same_document(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("dask.distributed")
    out = tmp_path / "ds"
    dask = _doc(["analyze", str(root), "--sites", "--dask", "local", "--format", "json",
                 "--out", str(out)], capsys)  # fmt: skip
    local = _doc(["analyze", str(root), "--sites", "--jobs", "2", "--format", "json"], capsys)
    assert dask == local
    roams = pd.read_parquet(out / "roams")
    assert roams["site"].tolist() == [r["site"] for r in dask["roams"]]
    frames = pd.read_parquet(out / "frames")
    assert set(frames["capture"]) == set(range(len(dask["captures"])))  # every sensor's rows


def test_sites_user_errors_are_one_line(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", str(root), "--sites", "--sensors"]) == 2
    assert "one or the other" in capsys.readouterr().err
    assert main(["analyze", str(root / "lone.pcapng"), "--sites"]) == 2
    assert "--sites wants directories" in capsys.readouterr().err
    assert main(["analyze", str(tmp_path), "--sites"]) == 2
    err = capsys.readouterr().err
    assert "no site" in err and err.count("\n") == 1


def test_jsonl_summary_lists_the_sites(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(root), "--sites", "--jobs", "1", "--format", "jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {line["site"] for line in lines if line["type"] == "roam"} == {0, 1, 2}
    summary = lines[-1]
    assert [s["name"] for s in summary["sites"]] == ["lone.pcapng", "north", "south"]
