"""The annotated capture: the analysis as pcapng frame comments, every record as it was."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from analyzer.annotate import replace_atomically, write_annotated
from analyzer.capture import open_capture
from analyzer.cli import main
from analyzer.run.dispatch import run
from analyzer.run.sensors import write_merged
from analyzer.simulate import Scenario
from tests.conftest import REPO, public_capture_params
from tests.sensors.builder import write_sensors

SHIPPED = sorted((REPO / "pcaps").glob("*.pcapng"))
SEP = "\x1e"  # tshark's aggregator between several comments of one frame


def records(path: Path) -> list[tuple[int, int, bytes, int]]:
    with open_capture(path) as cap:
        return [(r.ts_ns, r.linktype, r.data, r.orig_len) for r in cap]


def tshark_comments(tshark: str, path: Path) -> list[tuple[int, str]]:
    out = subprocess.run(
        [tshark, "-r", str(path), "-Y", "frame.comment", "-T", "fields", "-E",
         f"aggregator={SEP}", "-e", "frame.number", "-e", "frame.comment"],
        check=True, capture_output=True, text=True,
    ).stdout
    rows = []
    for line in filter(None, out.split("\n")):  # not splitlines(): that splits at \x1e too
        number, _, comments = line.partition("\t")
        rows.extend((int(number), c) for c in comments.split(SEP))
    return rows


def tshark_times(tshark: str, path: Path) -> list[tuple[str, str, str]]:
    out = subprocess.run(
        [tshark, "-r", str(path), "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len",
         "-e", "frame.cap_len"], check=True, capture_output=True, text=True,
    ).stdout
    return [tuple(line.split("\t")) for line in out.splitlines()]  # type: ignore[misc]


def annotate_and_check(tshark: str, capture: Path, out: Path) -> list[tuple[int, str]]:
    analysis = run([str(capture)])
    done = write_annotated([str(capture)], str(out), analysis)
    assert not done.unplaced
    assert tshark_comments(tshark, out) == done.comments
    assert records(out) == records(capture)
    assert tshark_times(tshark, out) == tshark_times(tshark, capture)
    for f in analysis.findings:
        assert any(f.code in text for _, text in done.comments), f.code
    for roam in analysis.roams:
        assert any(text.startswith(f"roam #{roam.id} start:") for _, text in done.comments)
    return done.comments


@pytest.mark.parametrize("capture", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenario_annotated_comments_are_what_tshark_lists(
    capture: Path, tmp_path: Path, tshark: str
) -> None:
    """Every comment written is listed by tshark's frame.comment on its frame, nothing else;
    bytes, lengths and timestamps are the input's."""
    comments = annotate_and_check(tshark, capture, tmp_path / "out.pcapng")
    assert comments
    expert = subprocess.run([tshark, "-r", str(tmp_path / "out.pcapng"), "-q", "-z",
                             "expert,comment"], check=True, capture_output=True, text=True)
    assert f"Comments ({len(comments)})" in expert.stdout  # Wireshark's Expert Info lists them


@pytest.mark.parametrize("capture", public_capture_params(), ids=lambda p: getattr(p, "name", p))
def test_public_capture_annotated_comments_are_what_tshark_lists(
    capture: Path, tmp_path: Path, tshark: str
) -> None:
    annotate_and_check(tshark, capture, tmp_path / "out.pcapng")


def test_pmksa_roam_start_comment_names_target_and_verdict(tmp_path: Path) -> None:
    """The roam back to AP1 with the cached PMKID says so on its Authentication frame."""
    capture = REPO / "pcaps" / "eap-pmksa-roam.pcapng"
    done = write_annotated([str(capture)], str(tmp_path / "o.pcapng"), run([str(capture)]))
    starts = [t for _, t in done.comments if t.startswith("roam #3 start:")]
    assert starts == ['roam #3 start: reassoc to 00:1f:f3:c0:89:0f "itsecmeshclient" from '
                      '00:19:e3:fb:eb:35, roam, pmksa_cache, PMKSA hit']


def test_ssid_off_the_air_is_escaped_in_comments(tmp_path: Path, tshark: str) -> None:
    sc = Scenario(seed=5)
    sc.ap("ap1", "02:00:00:00:01:01", "lab\x1b[2J\u202e", 36, akm="psk", passphrase="pw123456")
    sc.sta("c", "02:00:00:00:00:01")
    sc.beacons("ap1", 2).connect("c", "ap1").data("c", 2)
    path, out = tmp_path / "in.pcapng", tmp_path / "out.pcapng"
    sc.write(path)
    done = write_annotated([str(path)], str(out), run([str(path)]))
    text = next(t for _, t in done.comments if "start:" in t)
    assert '"lab\\x1b[2J\\u202e"' in text
    assert all("\x1b" not in t and "\u202e" not in t for _, t in done.comments)
    assert [n for n, _ in tshark_comments(tshark, out)] == [n for n, _ in done.comments]


def test_merged_sensors_are_annotated_on_the_merged_stream(tmp_path: Path, tshark: str) -> None:
    """Several sensors: the records are `merge`'s (one interface per sensor), plus comments."""
    _full, a, b, _sc = write_sensors(tmp_path)
    merged, out = tmp_path / "merged.pcapng", tmp_path / "annotated.pcapng"
    write_merged([str(a), str(b)], str(merged))
    analysis = run([str(a), str(b)])
    done = write_annotated([str(a), str(b)], str(out), analysis)
    assert records(out) == records(merged)
    assert not done.unplaced
    assert tshark_comments(tshark, out) == done.comments
    assert len([t for _, t in done.comments if " start:" in t]) == len(analysis.roams) == 3
    with open_capture(out) as cap:
        list(cap)
        assert len(cap.info.linktypes) == 2


def test_annotate_command_prints_comments_and_refuses_an_input_as_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capture = REPO / "pcaps" / "psk-roam.pcapng"
    out = tmp_path / "o.pcapng"
    assert main(["annotate", str(capture), "-o", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].endswith(f"written to {out}") and any("\troam #1 start:" in x for x in lines)
    before = capture.read_bytes()
    assert main(["annotate", str(capture), "-o", str(capture)]) == 2
    assert main(["analyze", str(capture), "--annotate", str(capture), "--quiet"]) == 2
    assert capsys.readouterr().err.count("is an input: refusing to overwrite it") == 2
    assert capture.read_bytes() == before


def test_analyze_annotate_writes_the_same_file_as_annotate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capture = str(REPO / "pcaps" / "ft-roam.pcapng")
    one, two = tmp_path / "one.pcapng", tmp_path / "two.pcapng"
    assert main(["analyze", capture, "--annotate", str(one), "--quiet", "--format", "json"]) == 0
    assert main(["annotate", capture, "-o", str(two)]) == 0
    assert one.read_bytes() == two.read_bytes()


def test_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path: Path) -> None:
    """Temp file in the target directory, renamed only once complete."""
    out = tmp_path / "o.pcapng"
    out.write_bytes(b"previous")

    def broken(f: object) -> None:
        f.write(b"half")  # type: ignore[attr-defined]
        raise OSError("disk full")

    with pytest.raises(OSError):
        replace_atomically(str(out), broken)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["o.pcapng"]
    replace_atomically(str(out), lambda f: f.write(b"new"))
    assert out.read_bytes() == b"new" and len(list(tmp_path.iterdir())) == 1


def test_roam_start_comment_says_what_11k_v_offered(tmp_path: Path, tshark: str) -> None:
    sc = Scenario(seed=7)
    sc.ap("ap1", "02:00:00:00:01:01", "lab", 36, akm="psk", passphrase="pw123456")
    sc.ap("ap2", "02:00:00:00:01:02", "lab", 100, akm="psk", passphrase="pw123456")
    sc.sta("c", "02:00:00:00:00:01")
    sc.connect("c", "ap1").data("c", 2).wait(100).btm("ap1", "c", ["ap2"]).data("c", 2)
    path, out = tmp_path / "in.pcapng", tmp_path / "out.pcapng"
    sc.write(path)
    done = write_annotated([str(path)], str(out), run([str(path)]))
    start = next(t for _, t in done.comments if t.startswith("roam #2 start:"))
    assert "after the btm request of frame" in start and "(1 offered, candidate 1)" in start
    assert tshark_comments(tshark, out) == done.comments
