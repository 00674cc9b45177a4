"""One capture's roam engine as per-station partitions fed the compact chunks of its byte
ranges (analyzer.run.partitions): exactly the single-process document, on the scenario corpus,
the benchmark mix (damaged too) and the real captures."""

from __future__ import annotations

import gzip
from copy import deepcopy
from pathlib import Path

import pytest

from analyzer.capture import CaptureInfo
from analyzer.dot11.records import Beacon, Frame, Kind, MacHeader
from analyzer.report.jsonout import analysis_document
from analyzer.run.dispatch import run
from analyzer.run.engine import Analysis, CaptureResult, Engine, open_captures
from analyzer.run.jobs import (
    LEAN_ACK,
    LEAN_BEACON,
    LEAN_DATA,
    Chunk,
    feed_chunks,
    plan_split,
    read_chunk,
)
from analyzer.run.partitions import analyze_by_station, run_part
from analyzer.simulate.library import simulate
from tests.roam.test_partition import busy_air, in_order

from .mixes import write_mixes
from .test_parallel import _damage

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT.parent / "shared" / "pcaps" / "public"


def _chunks(path: Path, ranges: int = 6) -> tuple[Engine, list[Chunk]]:
    split = plan_split(str(path), ranges, 0)
    assert split is not None and len(split.ranges) > 1
    chunks = [read_chunk((split.path, split.prefix, a, b, True)) for a, b in split.ranges]
    return _engine(path), chunks


def _engine(path: Path) -> Engine:
    capture = open_captures([str(path)])[0]
    capture.close()
    return Engine(Analysis([CaptureResult(capture.info)]))


def _by_station(path: Path, parts: int) -> dict | None:
    engine, chunks = _chunks(path)
    analysis = analyze_by_station(engine, engine.analysis.captures[0].info, chunks, parts)
    return None if analysis is None else analysis_document(analysis)


class Chunks(list[Chunk]):
    """Chunks at hand, as a ChunkSource."""

    def stop(self) -> None:
        self.clear()


def _assert_equal(path: Path, parts: tuple[int, ...] = (2, 3)) -> None:
    single = analysis_document(run([str(path)]))
    for n in parts:
        assert _by_station(path, n) == single, (path.name, n)


@pytest.fixture(scope="module")
def mixes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("mix")
    paths = write_mixes(out, 60_000)
    damaged = out / "damaged.pcap"
    damaged.write_bytes(_damage(paths["pcap"].read_bytes()))
    return {**paths, "damaged": damaged}


@pytest.mark.parametrize("path", sorted((ROOT / "pcaps").glob("*.pcapng")), ids=lambda p: p.name)
def test_scenario_corpus_by_station_equals_single(path: Path) -> None:
    _assert_equal(path, (1, 2, 3))


def test_ht_roam_with_block_acks_by_station_equals_single(tmp_path: Path) -> None:
    path = tmp_path / "ht.pcapng"
    simulate("ht-roam", path)
    _assert_equal(path)


@pytest.mark.parametrize("name", ["pcap", "pcapng", "damaged"])
def test_bench_mix_by_station_equals_single(mixes: dict[str, Path], name: str) -> None:
    """Tens of stations and thousands of data frames, ACKs and beacons between them; the
    damaged copy adds malformed frames and forged transmitters."""
    _assert_equal(mixes[name])
    if name == "damaged":
        assert analysis_document(run([str(mixes[name])]))["captures"][0]["malformed"] > 50


def test_real_captures_by_station_equal_single(tmp_path: Path) -> None:
    """Every real capture that can be split (compressed ones uncompressed first). One whose
    reading does not end cleanly in a range (a false boundary in a tiny file) is refused,
    not merged: one engine fed the ranges, as the Dask backend then does, gives the single
    run's document."""
    if not PUBLIC.is_dir():
        pytest.skip(f"real captures not available: {PUBLIC} is absent")
    refused = []
    for source in sorted(PUBLIC.iterdir()):
        if source.name == "MANIFEST.tsv":
            continue
        path = tmp_path / source.name.removesuffix(".gz")
        with gzip.open(source) if source.suffix == ".gz" else open(source, "rb") as f:
            path.write_bytes(f.read())
        if plan_split(str(path), 6, 0) is None:
            continue
        single = analysis_document(run([str(path)]))
        by_station = _by_station(path, 2)
        if by_station is None:
            refused.append(path.name)
            engine, chunks = _chunks(path)
            feed_chunks(engine, engine.analysis.captures[0].info, Chunks(chunks))
            assert analysis_document(engine.finish()) == single, path.name
        else:
            assert by_station == single, path.name
    assert len(refused) < 3


def test_a_range_not_trusted_stops_the_partitions(mixes: dict[str, Path], tmp_path: Path) -> None:
    """A capture cut inside its last record: each partition says why it cannot stand, and
    feeds nothing after that range."""
    path = tmp_path / "cut.pcapng"
    data = mixes["pcapng"].read_bytes()
    path.write_bytes(data[: len(data) - 5])
    engine, chunks = _chunks(path)
    info = engine.analysis.captures[0].info
    runs = [run_part(chunks, deepcopy(info), p, 2) for p in range(2)]
    assert all(r.output is None and (r.why or "").endswith("not trusted") for r in runs)
    assert analyze_by_station(_engine(path), info, chunks, 2) is None


def test_partition_zero_keeps_the_inventory(mixes: dict[str, Path]) -> None:
    engine, chunks = _chunks(mixes["pcapng"])
    info = engine.analysis.captures[0].info
    first, second = (run_part(chunks, deepcopy(info), p, 2) for p in range(2))
    assert first.inventory is not None and first.inventory.counts["beacon"] > 1000
    assert second.inventory is None


def _lean_chunks(items: list[tuple[int, Frame]], size: int) -> list[Chunk]:
    """Decoded frames as the compact chunks of `size` items each that lean range tasks send:
    data frames, beacons and ACKs as the tracker's fields, any other frame whole."""
    chunks = []
    for start in range(0, len(items), size):
        part = items[start : start + size]
        chunk = Chunk(CaptureInfo("air", "pcap", [127], frames=len(part)))
        for local, (_, frame) in enumerate(part, 1):
            h, op = frame.header, None
            assert isinstance(h, MacHeader)
            if frame.kind is Kind.DATA:
                op, t = LEAN_DATA, (h.fc_flags, h.addr1, h.addr2, h.subtype)
            elif frame.kind is Kind.BEACON and isinstance(frame.body, Beacon):
                radio = frame.radio
                signal, freq = (radio.signal_dbm, radio.freq_mhz) if radio else (None, None)
                op, t = LEAN_BEACON, (h.fc_flags, (h.addr3, signal, freq, frame.body.elements))
            elif frame.kind is Kind.CONTROL and h.subtype == 13:
                op, t = LEAN_ACK, h.addr1
            chunk.index.append(local)
            chunk.ts.append(frame.ts_ns)
            if op is None:
                chunk.tid.append(-1)
                chunk.objects.append(frame)
            else:
                chunk.tid.append(len(chunk.templates))
                chunk.templates.append((op, t))
        chunks.append(chunk)
    return chunks


def test_the_chunk_driver_ticks_each_partition_at_other_stations_frames() -> None:
    """The busy air of the partition tests (deadlines that only another station's frames
    reach, in both partitions at once) as lean chunks: one engine's analysis."""
    items = in_order(busy_air()[0])
    info = CaptureInfo("air", "pcap", [127])
    single = Engine(Analysis([CaptureResult(info)]))
    for _, frame in items:
        single.feed(0, frame)
    expected = analysis_document(single.finish())
    del expected["captures"]  # the engine fed directly read no file
    for parts, size in ((2, 100), (3, 37), (2, 10_000)):
        info = CaptureInfo("air", "pcap", [127])
        engine = Engine(Analysis([CaptureResult(info)]))
        by_station = analyze_by_station(engine, info, _lean_chunks(items, size), parts)
        assert by_station is not None and by_station.captures[0].info.frames == len(items)
        document = analysis_document(by_station)
        del document["captures"]
        assert document == expected, (parts, size)


def test_deauth_floods_and_comebacks_by_station_equal_single(tmp_path: Path) -> None:
    """Flood bursts (per pair, AP frames seen by every partition) and a comeback: each finding
    once, from its station's partition, in one tracker's order."""
    from analyzer.simulate.scenario import Scenario

    sc = Scenario(seed=23, fmt="pcap")
    sc.ap("ap1", "00:11:22:33:44:01", "lab", 36, akm="psk", passphrase="correct horse",
          pmf="capable")  # fmt: skip
    for n in range(4):
        sc.sta(f"s{n}", f"02:00:00:00:00:1{n}")
    sc.beacons("ap1", 40, 100)
    for n in range(4):
        sc.connect(f"s{n}", "ap1").data(f"s{n}", 4)
    sc.deauth_flood("s1", "ap1", count=40, interval_ms=3).deauth_flood("s2", "ap1", count=12)
    sc.connect("s3", "ap1", comeback_tu=500).data("s3", 2).wait(2500).beacons("ap1", 3)
    path = tmp_path / "floods.pcap"
    sc.write(path)
    assert any(f["code"] == "DEAUTH_FLOOD" for f in analysis_document(run([str(path)]))["findings"])
    _assert_equal(path)
