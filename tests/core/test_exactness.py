"""The compiled core (analyzer._core) against the pure-Python reference: byte-identical
`analyze --format json`, and the same records and CaptureInfo from the readers, on every real
capture, every shipped and library scenario, the benchmark mix in both formats, damaged and
truncated files, and random and mutated captures (Hypothesis).

Both engines run in this process (ROAM_ANALYZER_PURE switches between them), so CI exercises
the pure path here whether or not the extension is built; the comparisons skip, with the
reason, only when the extension is absent.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import random
import struct
import zlib
from dataclasses import asdict
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer import _core
from analyzer.capture import open_capture
from analyzer.cli import main
from analyzer.errors import AnalyzerError
from tests.conftest import REPO, public_capture_params

needs_core = pytest.mark.skipif(
    not _core.available(), reason=f"compiled core not built ({_core.why_missing()})"
)

SHIPPED = sorted((REPO / "pcaps").glob("*.pcap*"))


@contextlib.contextmanager
def engine(pure: bool):
    before = _core.pure()
    _core.set_pure(pure)
    try:
        yield
    finally:
        _core.set_pure(before)


def analyze_json(path: Path | str, pure: bool, *extra: str | Path) -> tuple[int, str, str]:
    """`analyze --format json` of `path` (and any further paths or options in `extra`)."""
    out, err = io.StringIO(), io.StringIO()
    with engine(pure), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(["analyze", "--format", "json", "--quiet", "--jobs", "1", str(path),
                   *map(str, extra)])
    return rc, out.getvalue(), err.getvalue()


def read_all(source: Path | bytes, pure: bool) -> tuple:
    """Every record and the CaptureInfo a reader gives, or the error opening it raises."""
    with engine(pure):
        try:
            cap = open_capture(io.BytesIO(source) if isinstance(source, bytes) else source)
        except AnalyzerError as exc:
            return ("error", str(exc))
        with cap:
            records = list(cap)
        return records, asdict(cap.info)


def assert_same(path: Path | str, *extra: str | Path) -> str:
    pure = analyze_json(path, True, *extra)
    core = analyze_json(path, False, *extra)
    assert pure[0] in (0, 2, 3), pure[2]  # 2: refused up front (not a capture)
    assert core == pure
    return pure[1]


def assert_same_split(path: Path | str, jobs: int = 2) -> None:
    """`run` by `jobs` processes with the core (its readers in the workers and the parent's
    first ranges; any file is split) against the pure path's single run."""
    import analyzer.run.jobs
    from analyzer.report.jsonout import analysis_document
    from analyzer.run.dispatch import run

    with engine(True):
        pure = analysis_document(run([str(path)]))
    with engine(False), mock.patch.object(analyzer.run.jobs, "MIN_SPLIT_BYTES", 0):
        assert analysis_document(run([str(path)], jobs=jobs)) == pure


def assert_same_records(source: Path | bytes) -> None:
    assert read_all(source, False) == read_all(source, True)


@needs_core
def test_jobs_on_one_capture_with_the_core_reads_it_in_one_process_and_says_so(
    library: list[Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The split feeds the workers' frames through Python, slower than the core alone: the
    command line does not make it with the core (a note says so), and does on the pure path."""
    import analyzer.run.jobs

    bench = next(p for p in library if p.name == "bench-mix.pcap")
    splits: list[int] = []
    split = analyzer.run.jobs.run_parallel
    monkeypatch.setattr("analyzer.run.jobs.run_parallel",
                        lambda engine, capture, jobs: splits.append(jobs) or split(engine,
                                                                                   capture, jobs))
    rc, core, err = analyze_json(bench, False, "--jobs", "2")
    assert rc == 0 and splits == []
    assert "note: --jobs 2: the compiled core read the capture in one process" in err
    assert analyze_json(bench, True, "--jobs", "2") == (0, core, "")
    assert splits == [2]
    not_a_capture = tmp_path / "notes.txt"
    not_a_capture.write_text("not a capture\n")
    rc, _out, err = analyze_json(not_a_capture, False, "--jobs", "2")
    assert rc == 2 and len(err.splitlines()) == 1  # a refusal stays one line: no note


def test_engine_is_named_and_switchable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_core.ENV, "1")
    assert _core.core() is None and _core.engine().startswith("engine: python")
    monkeypatch.setenv(_core.ENV, "0")
    if _core.available():
        assert _core.core() is not None and _core.engine().startswith("engine: core")
    else:
        assert _core.core() is None and "not built" in _core.engine()


def test_pure_path_runs_in_this_process() -> None:
    """The reference path is exercised in CI even when the extension is built."""
    rc, out, _err = analyze_json(SHIPPED[0], True)
    assert rc == 0 and '"roams"' in out


# --- real, shipped and library captures --------------------------------------------------


@needs_core
@pytest.mark.public
@pytest.mark.parametrize("path", public_capture_params(), ids=lambda p: getattr(p, "name", p))
def test_public_capture_identical(path: Path) -> None:
    assert_same(path)
    assert_same_records(path)


@needs_core
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_capture_identical(path: Path) -> None:
    assert_same(path)
    assert_same_records(path)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every scenario of `simulate --list`, as pcap and pcapng (bench-mix at 30 k frames)."""
    from analyzer.simulate.library import SCENARIOS, simulate

    out = tmp_path_factory.mktemp("library")
    paths = []
    for name in SCENARIOS:
        for fmt in ("pcap", "pcapng"):
            path = out / f"{name}.{fmt}"
            simulate(name, path, fmt=fmt, frames=30_000)
            paths.append(path)
    return paths


@needs_core
def test_library_scenarios_identical(library: list[Path]) -> None:
    for path in library:
        assert_same(path)
        assert_same_records(path)


@needs_core
def test_library_gzip_identical(library: list[Path], tmp_path: Path) -> None:
    for path in library[:4]:
        gz = tmp_path / (path.name + ".gz")
        gz.write_bytes(gzip.compress(path.read_bytes()))
        assert_same(gz)
        assert_same_records(gz)


@needs_core
def test_library_with_sta_filter_and_jsonl_identical(library: list[Path]) -> None:
    """A frame sink (--sta) turns the lean path off: the full decode path of the core loop."""
    from analyzer.simulate.library import STA_MAC

    for path in library:
        if "bench" not in path.name:
            assert_same(path, "--sta", STA_MAC)


@needs_core
def test_builder_scenarios_identical(tmp_path: Path) -> None:
    """The fuzz corpus's scenario-builder captures (BTM, SA Query, FT, SAE, OWE, 802.1X)."""
    from fuzz.corpus import scenario_captures

    for name, blob in scenario_captures():
        path = tmp_path / Path(name).name
        path.write_bytes(blob)
        assert_same(path)
        assert_same_records(blob)


@needs_core
def test_runners_identical(library: list[Path]) -> None:
    """jobs=2 (analyzer.run.jobs: worker processes read byte ranges with the core's
    readers, the parent feeds the engine) and two captures as sensors (analyzer.run.sensors)."""
    by_name = {p.name: p for p in library}
    bench = by_name["bench-mix.pcap"]
    assert bench.stat().st_size > 1 << 20  # large enough to be split
    assert_same_split(bench)
    assert_same(by_name["psk-roam.pcap"], by_name["eap-pmksa-roam.pcapng"])
    assert_same(SHIPPED[0], SHIPPED[1], SHIPPED[2])


# --- damaged and truncated ---------------------------------------------------------------


def _seeds() -> list[bytes]:
    return [p.read_bytes() for p in SHIPPED]


@needs_core
def test_truncated_everywhere_identical(tmp_path: Path, library: list[Path]) -> None:
    """Cut at every record/block boundary and inside them (headers, bodies, trailers)."""
    from fuzz.mutate import boundaries

    blobs = _seeds() + [library[0].read_bytes()]  # a pcap and pcapngs
    path = tmp_path / "cut.cap"
    for blob in blobs:
        cuts = {0, 1, 3, 4, 7, 23, 24, 25, 39, 40, len(blob) - 1}
        for start, end in boundaries(blob)[:60]:
            cuts.update((start, start + 1, start + 8, start + 12, start + 16, end - 4, end - 1))
        for cut in sorted(c for c in cuts if 0 <= c < len(blob)):
            path.write_bytes(blob[:cut])
            assert_same_records(blob[:cut])
            if cut % 3 == 0 or cut in (4, 24, 40):
                assert_same(path)


@needs_core
def test_corrupted_bytes_identical(tmp_path: Path) -> None:
    rng = random.Random(18)
    path = tmp_path / "bad.cap"
    for blob in _seeds():
        for _ in range(40):
            buf = bytearray(blob)
            for _ in range(rng.randint(1, 6)):
                buf[rng.randrange(len(buf))] = rng.randrange(256)
            path.write_bytes(bytes(buf))
            assert_same_records(bytes(buf))
            assert_same(path)


@needs_core
def test_lying_lengths_identical(tmp_path: Path) -> None:
    """Record and block lengths that lie: 0, too small, 64 MiB, 4 GiB, one byte too many."""
    from fuzz.mutate import boundaries

    path = tmp_path / "lie.cap"
    for blob in _seeds():
        for start, _end in boundaries(blob)[:25]:
            for value in (0, 1, 12, 13, 0x4000000, 0x4000001, 0xFFFFFFFF):
                for at in (8, 4, 12, 20):  # pcap caplen; pcapng block length; EPB fields
                    buf = bytearray(blob)
                    if start + at + 4 <= len(buf):
                        buf[start + at : start + at + 4] = value.to_bytes(4, "little")
                        assert_same_records(bytes(buf))
                        if value in (0, 13):
                            path.write_bytes(bytes(buf))
                            assert_same(path)


@needs_core
def test_broken_gzip_stream_identical(tmp_path: Path) -> None:
    blob = gzip.compress(SHIPPED[0].read_bytes())
    for cut in (20, len(blob) // 2, len(blob) - 9):
        assert_same_records(blob[:cut])
        path = tmp_path / "cut.gz"
        path.write_bytes(blob[:cut])
        assert_same(path)


# --- random and mutated (Hypothesis) -----------------------------------------------------


@pytest.fixture(scope="module")
def corpus_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fuzz import corpus

    return corpus.build(tmp_path_factory.mktemp("corpus"))


def _documents(blob: bytes) -> tuple:
    from analyzer.report.jsonout import analysis_document
    from fuzz.targets import run_file

    out = []
    for pure in (True, False):
        with engine(pure):
            analysis = run_file(blob)
        out.append(None if analysis is None else analysis_document(analysis))
    return tuple(out)


@needs_core
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**32 - 1), pick=st.integers(0, 10**6))
def test_mutated_captures_identical(corpus_root: Path, seed: int, pick: int) -> None:
    from fuzz import corpus
    from fuzz.mutate import mutate_capture

    blobs = corpus.load_files(corpus_root)
    frames = [data for _lt, data in corpus.load_frames(corpus_root)]
    blob = mutate_capture(random.Random(seed), blobs[pick % len(blobs)], frames)
    assert_same_records(blob)
    pure, core = _documents(blob)
    assert core == pure


_PCAP_HEAD = bytes.fromhex("d4c3b2a1020004000000000000000000ffff00007f000000")


@needs_core
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    head=st.sampled_from([_PCAP_HEAD, _PCAP_HEAD[:20] + b"\x69\x00\x00\x00",
                          bytes.fromhex("0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff"
                                        "1c000000")]),
    body=st.binary(max_size=600),
)
def test_random_captures_identical(head: bytes, body: bytes) -> None:
    blob = head + body
    assert_same_records(blob)
    pure, core = _documents(blob)
    assert core == pure


# --- the classifier, the FCS and the lean fields -------------------------------------------


@needs_core
@settings(max_examples=2000, deadline=None)
@given(linktype=st.sampled_from([1, 105, 119, 127, 163, 192, 0, 228]),
       data=st.binary(max_size=80))
def test_peek_identical(linktype: int, data: bytes) -> None:
    from analyzer._core import _core as compiled
    from analyzer.dot11 import peek

    assert compiled.peek(linktype, data) == peek(linktype, data)


@needs_core
def test_peek_identical_on_corpus_frames(corpus_root: Path) -> None:
    from analyzer._core import _core as compiled
    from analyzer.dot11 import peek
    from fuzz import corpus
    from fuzz.mutate import mutate_frame

    rng = random.Random(5)
    seeds = corpus.load_frames(corpus_root)
    for linktype, data in seeds:
        for frame in (data, mutate_frame(rng, data), data[: rng.randrange(len(data) + 1)]):
            for lt in (linktype, 127, 105, 119, 163, 192, 1):
                assert compiled.peek(lt, frame) == peek(lt, frame)


@needs_core
@given(data=st.binary(max_size=3000))
def test_crc32_is_zlib(data: bytes) -> None:
    from analyzer._core import _core as compiled

    assert compiled.crc32(data) == zlib.crc32(data)
    assert compiled.crc32(data, fold=False) == zlib.crc32(data)


@needs_core
def test_crc32_folded_and_by_table_agree_at_every_length_around_the_fold_sizes() -> None:
    """PCLMULQDQ folding takes the multiple-of-16 head of frames of 64 bytes and more; the
    table the rest (and everything on a CPU without it)."""
    from analyzer._core import _core as compiled

    rng = random.Random(18)
    for n in [*range(0, 300), *(rng.randrange(300, 9000) for _ in range(300))]:
        data = rng.randbytes(n)
        assert compiled.crc32(data) == compiled.crc32(data, fold=False) == zlib.crc32(data), n


@needs_core
def test_lean_fields_identical_on_corpus_frames(corpus_root: Path) -> None:
    """After `decode` learned a frame, the core's lean fields equal decode's, for the frame and
    for mutations of it (FCS mismatches, changed addresses, cut frames)."""
    from analyzer._core import _core as compiled
    from analyzer.capture import RawRecord
    from analyzer.dot11 import decode
    from analyzer.dot11.decode import FULL, ack_receiver, beacon_fields, data_fields
    from analyzer.dot11.records import Kind
    from fuzz import corpus
    from fuzz.mutate import mutate_frame

    lean = {int(Kind.DATA): data_fields, int(Kind.BEACON): beacon_fields,
            int(Kind.CONTROL): ack_receiver}
    rng = random.Random(11)
    seen = 0
    for linktype, data in corpus.load_frames(corpus_root):
        if linktype != 127:
            continue
        for frame in (data, data, mutate_frame(rng, data), data[:-1]):
            rec = RawRecord(7, 1_000, 127, frame, 0, len(frame))
            decode(rec)
            for kind, python in lean.items():
                want = python(rec)
                if kind == int(Kind.CONTROL) and type(want) is not str:
                    want = FULL
                assert compiled.lean(kind, 7, 1_000, 0, frame) == want
                seen += want is not FULL
    assert seen > 100


def test_version_names_the_engine(capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(_core.ENV, raising=False)
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("roam-analyzer ") and _core.engine() in out


def test_pure_option_selects_the_pure_path_and_restores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(_core.ENV, raising=False)
    seen = []
    import analyzer.run.engine as engine

    real = engine.Engine.run_capture

    def spy(self, records):  # type: ignore[no-untyped-def]
        seen.append(_core.core())
        return real(self, records)

    monkeypatch.setattr(engine.Engine, "run_capture", spy)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--pure", "analyze", "--format", "json", "--jobs", "1",
                     str(SHIPPED[0])]) == 0
    assert seen == [None] and not _core.pure()


# --- reader corners: timestamps, sections, block kinds (Hypothesis) ------------------------

_TSRESOL = st.sampled_from([None, 0, 3, 6, 9, 10, 12, 19, 0x80 | 10, 0x80 | 20, 0x80 | 63, 0xFF])


@st.composite
def _pcapng_corner(draw: st.DrawFn) -> bytes:
    from tests.capture.capbytes import block, epb, idb, shb, spb

    out = b""
    for _ in range(draw(st.integers(1, 3))):
        endian = draw(st.sampled_from("<>"))
        out += shb(endian)
        n_if = draw(st.integers(0, 3))
        for _ in range(n_if):
            out += idb(draw(st.sampled_from([127, 105, 1, 999])), endian, draw(_TSRESOL),
                       draw(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1))),
                       draw(st.integers(0, 70)))
        for _ in range(draw(st.integers(0, 6))):
            data = draw(st.binary(max_size=60))
            kind = draw(st.sampled_from(["epb", "spb", "pb", "other"]))
            if kind == "epb":
                out += epb(draw(st.integers(0, 3)), draw(st.integers(0, 2**64 - 1)), data, endian,
                           draw(st.one_of(st.none(), st.integers(0, 2**32 - 1))))
            elif kind == "spb":
                out += spb(data, draw(st.one_of(st.none(), st.integers(0, 100))), endian)
            elif kind == "pb":
                ts = draw(st.integers(0, 2**64 - 1))
                head = struct.pack(endian + "HHIIII", draw(st.integers(0, 3)), 0, ts >> 32,
                                   ts & 0xFFFFFFFF, len(data), len(data))
                out += block(2, head + data, endian)
            else:
                out += block(draw(st.sampled_from([4, 5, 0x0BAD])), data, endian)
    return out


@needs_core
@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(blob=_pcapng_corner(), cut=st.integers(0, 10**6))
def test_pcapng_corners_identical(blob: bytes, cut: int) -> None:
    """if_tsresol in powers of 10 and 2 (the core's fast path and its Python fallback),
    if_tsoffset, 64-bit timestamps, SPB/PB, unknown blocks, several sections in both byte
    orders, bad interface ids, and a cut anywhere."""
    assert_same_records(blob)
    assert_same_records(blob[: cut % (len(blob) + 1)])


@needs_core
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(endian=st.sampled_from("<>"), nano=st.booleans(), snaplen=st.integers(0, 2**32 - 1),
       records=st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1),
                                  st.binary(max_size=40)), max_size=5),
       cut=st.integers(0, 10**6))
def test_pcap_corners_identical(endian: str, nano: bool, snaplen: int, records: list,
                                cut: int) -> None:
    from tests.capture.capbytes import pcap

    blob = pcap(records, endian, nano, 127, snaplen)
    assert_same_records(blob)
    assert_same_records(blob[: cut % (len(blob) + 1)])


@needs_core
def test_records_larger_than_the_buffer_identical() -> None:
    """Records and blocks over the core's 512 KiB buffer: it grows, then shrinks back."""
    from tests.capture.capbytes import epb, idb, pcap, shb

    sizes = [10, 600_000, 5, 2_100_000, 300_000, 7, 1 << 19, (1 << 19) - 16, 3]
    blobs = [
        pcap([(1, n, bytes([n & 0xFF]) * n) for n in sizes], snaplen=0),
        shb() + idb(127) + b"".join(epb(0, n, bytes([n & 0xFF]) * n) for n in sizes),
    ]
    for blob in blobs:
        assert_same_records(blob)
        for cut in (len(blob) - 1, len(blob) // 2, 700_000, 600_020):
            assert_same_records(blob[:cut])


def _pcap_records(blob: bytes) -> list[tuple[int, int]]:
    """(offset of the frame, its captured length) of every record of a little-endian pcap."""
    out, pos = [], 24
    while pos + 16 <= len(blob):
        caplen = struct.unpack_from("<I", blob, pos + 8)[0]
        out.append((pos + 16, caplen))
        pos += 16 + caplen
    return out


@needs_core
def test_memo_entries_that_change_under_the_same_key_identical(tmp_path: Path) -> None:
    """The core finds the decoder's memo entries by a hash of their key and keeps them after
    the memo replaced them (every other frame differs from its neighbour only in radiotap's
    pad octet, before the key: each one replaces the entry the other taught): an entry it
    keeps must still be taken only for frames with its prefix."""
    from analyzer.simulate.library import simulate

    path = tmp_path / "mix.pcap"
    simulate("bench-mix", str(path), fmt="pcap", frames=4000)
    buf = bytearray(path.read_bytes())
    for i, (at, caplen) in enumerate(_pcap_records(bytes(buf))):
        if i % 2 and caplen > 8:
            buf[at + 1] = 1
    path.write_bytes(bytes(buf))
    doc = json.loads(assert_same(path))
    assert doc["roams"] and doc["captures"][0]["frames"] == 4000
