"""The command line: one-line user errors, exit codes, stdin, and inert attacker-controlled text."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.capture.writer import write_capture
from analyzer.cli import main

RADIOTAP = bytes.fromhex("0000080000000000")  # version 0, it_len 8, no fields


def beacon(ssid: bytes, bssid: bytes = bytes.fromhex("020000000001")) -> bytes:
    header = struct.pack("<HH6s6s6sH", 0x0080, 0, b"\xff" * 6, bssid, bssid, 0x10)
    fixed = struct.pack("<QHH", 0, 100, 0x0011)
    return RADIOTAP + header + fixed + bytes([0, len(ssid)]) + ssid + b"\x03\x01\x06"


def test_missing_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", str(tmp_path / "nope.pcap")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.pcap" in err and "Traceback" not in err


def test_unknown_linktype_names_file_and_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ip.pcap"
    write_capture(path, [(0, b"\x45" + bytes(19))], linktype=228)
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err
    assert "ip.pcap" in err and "228" in err and err.count("\n") == 1


def test_not_a_capture_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello world\n")
    assert main(["analyze", str(path)]) == 2
    assert "notes.txt" in capsys.readouterr().err


def test_truncated_capture_reports_frames_before_damage_and_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cut.pcap"
    write_capture(path, [(i * 1000, beacon(b"lab")) for i in range(5)])
    path.write_bytes(path.read_bytes()[:-10])
    assert main(["analyze", "--format", "json", str(path)]) == 3
    out = capsys.readouterr()
    document = json.loads(out.out)
    assert document["captures"][0]["truncated"] is True
    assert document["counts"]["beacon"] == 4
    assert "damaged" in out.err


def test_analyze_reads_a_capture_from_stdin(tmp_path: Path) -> None:
    path = tmp_path / "b.pcapng"
    write_capture(path, [(0, beacon(b"lab")), (1000, beacon(b"lab"))], fmt="pcapng")
    result = subprocess.run(
        [sys.executable, "-m", "analyzer", "analyze", "--format", "json", "-"],
        input=path.read_bytes(),
        capture_output=True,
        check=True,
    )
    document = json.loads(result.stdout)
    assert document["captures"][0]["format"] == "pcapng"
    assert document["counts"]["beacon"] == 2


def test_hostile_ssid_is_inert_in_table_and_jsonl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ssid = b"[bold]x\x1b]8;;http://e\x07<script>"
    path = tmp_path / "evil.pcap"
    write_capture(path, [(0, beacon(ssid))])
    assert main(["frames", str(path)]) == 0
    table = capsys.readouterr().out
    assert "\x1b" not in table and "\x07" not in table and "[bold]" in table
    assert main(["frames", "--format", "jsonl", str(path)]) == 0
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    assert row["ssid"] == "[bold]x\\x1b]8;;http://e\\x07<script>"


def test_frames_jsonl_has_one_row_per_relevant_frame(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "b.pcap"
    ack = RADIOTAP + struct.pack("<HH6s", 0x00D4, 0, b"\x02" * 6)
    write_capture(path, [(0, beacon(b"a")), (5, ack), (9, beacon(b"b"))])
    assert main(["frames", "--format", "jsonl", str(path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["frame"], r["kind"], r.get("ssid")) for r in rows] == [
        (1, "beacon", "a"),
        (2, "ack", None),  # an ACK: its receiver only (ack_to_ack reads it)
        (3, "beacon", "b"),
    ]
    assert rows[0]["bssid"] == "02:00:00:00:00:01"
    assert (rows[1]["ra"], rows[1]["ta"], rows[1]["sta"]) == ("02:02:02:02:02:02", None, None)


def test_frames_lists_a_block_ack_with_its_receiver_and_transmitter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Block Ack is a `block_ack` row, in the table and in JSON lines: RA, TA and what it
    acknowledges (variant, TID, starting sequence number, bitmap)."""
    path = tmp_path / "ba.pcap"
    sta, ap = b"\x02" * 6, b"\x0a" * 6
    ba = RADIOTAP + struct.pack("<BBH6s6sHH", 0x94, 0, 0, sta, ap, 0x5005, 42 << 4)
    write_capture(path, [(0, beacon(b"a")), (5, ba + b"\x01" + bytes(7))])
    assert main(["frames", "--format", "jsonl", str(path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["frame"], r["kind"]) for r in rows] == [(1, "beacon"), (2, "block_ack")]
    row = rows[1]
    assert (row["ra"], row["ta"], row["sta"], row["bssid"]) == (
        "02:02:02:02:02:02", "0a:0a:0a:0a:0a:0a", None, None)
    assert (row["ba_type"], row["tid"], row["ssn"], row["bitmap"]) == (
        "compressed", 5, 42, "0100000000000000")
    assert main(["frames", str(path)]) == 0
    line = capsys.readouterr().out.splitlines()[1]
    assert line.split()[2:6] == ["block_ack", "0a:0a:0a:0a:0a:0a", ">", "02:02:02:02:02:02"]
    assert "ssn=42" in line


def test_frames_tables_leave_out_block_acks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A capture whose data is answered by Block Acks: `frames` prints them, the frames
    tables (--out frames.csv, the notebook) do not."""
    import csv

    import analyzer
    from analyzer.simulate.library import ht_roam

    capture = tmp_path / "ht-roam.pcapng"
    ht_roam().write(capture)
    assert main(["frames", "--format", "jsonl", str(capture)]) == 0
    listed = [json.loads(line)["kind"] for line in capsys.readouterr().out.splitlines()]
    assert listed.count("block_ack") == listed.count("data") > 10
    out = tmp_path / "out"
    assert main(["analyze", str(capture), "--quiet", "--format", "json", "--out",
                 str(out)]) == 0  # fmt: skip
    with open(out / "frames.csv", newline="") as f:
        kinds = {row["kind"] for row in csv.DictReader(f)}
    assert kinds and "eapol" in kinds and not kinds & {"ack", "block_ack", "beacon", "data"}
    assert set(analyzer.load(capture).frames["kind"]) == kinds


def test_analyze_table_prints_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "b.pcap"
    write_capture(path, [(0, beacon(b"a"))])
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Captures" in out and "beacon 1" in out


def _sensors(tmp_path: Path, shared: bool = True) -> tuple[str, str, str]:
    """(the single capture, sensor A, sensor B: clock +2.5 s and 50 ppm fast)."""
    from tests.sensors.builder import some_shared, write_sensors

    full, a, b, _sc = write_sensors(tmp_path, some_shared if shared else lambda i, d: False)
    return str(full), str(a), str(b)


def _verdicts(lines: list[str]) -> list[str]:
    """Violation lines without their frame numbers (those count per capture)."""
    return [line.split(" [frames")[0] for line in lines if not line.startswith("sensor ")]


def test_check_merges_two_sensors_into_the_single_capture_verdicts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`check A B`: a line per sensor (B aligned: +2.5 s, 50 ppm), then the verdicts the one
    capture that heard everything gets."""
    full, a, b = _sensors(tmp_path)
    expect = tmp_path / "lab.toml"
    expect.write_text('[sta."02:00:00:00:00:01"]\nmax_roam_ms = 13\n')
    assert main(["check", full, "--expect", str(expect)]) == 1
    single = capsys.readouterr().out.splitlines()
    assert main(["check", a, b, "--expect", str(expect)]) == 1
    merged = capsys.readouterr().out.splitlines()
    assert merged[0].startswith(f"sensor {a}: reference")
    assert merged[1].startswith(f"sensor {b}: aligned, offset +2.500000 s, drift +50.00 ppm")
    assert _verdicts(merged) == _verdicts(single)
    assert single[-1] == "FAIL: 2 of 3 attempts break the expectations"


def test_check_warns_when_sensors_share_no_frame_and_offset_overrides(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _full, a, b = _sensors(tmp_path, shared=False)
    assert main(["check", a, b]) == 0
    out, err = capsys.readouterr()
    assert f"sensor {b}: unaligned" in out and "no frames in common" in err
    assert main(["check", a, b, "--offset", "b=2.5"]) == 0
    out, err = capsys.readouterr()
    assert f"sensor {b}: override, offset +2.500000 s" in out and not err
    assert out.splitlines()[-1].startswith("OK: 3 attempts, all judged as expected")


def test_analyze_table_ends_with_a_line_per_sensor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _full, a, b = _sensors(tmp_path)
    assert main(["analyze", a, b, "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].startswith(f"sensor {a}: reference")
    assert lines[-1].startswith(f"sensor {b}: aligned, offset +2.500000 s, drift +50.00 ppm, ")
    assert "residual 0.0 us" in lines[-1]


def test_report_merges_two_sensors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`report A B`: the attempts of the single capture, one per roam (not per copy), the
    sensors' clocks on stdout."""
    full, a, b = _sensors(tmp_path)
    html = tmp_path / "r.html"
    assert main(["report", a, b, "-o", str(html)]) == 0
    out = capsys.readouterr().out
    assert f"sensor {b}: aligned, offset +2.500000 s, drift +50.00 ppm" in out
    text = html.read_text()
    assert "Attempts (3)" in text and "Findings (0)" in text
    assert "a.pcap" in text and "b.pcap" in text


def test_report_marks_unaligned_latencies_and_takes_an_offset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _full, a, b = _sensors(tmp_path, shared=False)
    html = tmp_path / "r.html"
    assert main(["report", a, b, "-o", str(html)]) == 0
    assert "no frames in common" in capsys.readouterr().err
    assert "UNALIGNED_LATENCY" in html.read_text()
    assert main(["report", a, b, "-o", str(html), "--offset", "2=2.5"]) == 0
    assert "override" in capsys.readouterr().out
    assert "UNALIGNED_LATENCY" not in html.read_text()


@pytest.mark.parametrize("command", ["analyze", "check", "report", "merge"])
@pytest.mark.parametrize(
    ("offset", "text"),
    [
        ("b", "--offset wants SENSOR=SECONDS"),
        ("b=", "--offset wants SENSOR=SECONDS"),
        ("=2.5", "--offset wants SENSOR=SECONDS"),
        ("b=nan", "--offset wants SENSOR=SECONDS"),
        ("b=inf", "--offset wants SENSOR=SECONDS"),
        ("c=1", "'c' matches no capture"),
    ],
)
def test_bad_offset_is_one_line_and_exit_2(
    command: str, offset: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _full, a, b = _sensors(tmp_path)
    out = ["-o", str(tmp_path / "out")] if command in ("report", "merge") else []
    assert main([command, a, b, *out, "--offset", offset]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and text in err, err


def test_offset_for_one_capture_or_twice_for_one_sensor_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full, a, b = _sensors(tmp_path)
    assert main(["check", full, "--offset", "full=1"]) == 2
    assert "--offset is for several captures" in capsys.readouterr().err
    assert main(["check", a, b, "--offset", "b=1", "--offset", "2=1"]) == 2
    assert "has an offset already" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "text"),
    [
        (["--station-parts", "2"], "--station-parts is for --dask"),
        (["--dask", "local", "--station-parts", "-1"], "--station-parts wants a number"),
    ],
)
def test_station_parts_without_dask_or_below_zero_is_one_line_and_exit_2(
    argv: list[str], text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capture = Path(__file__).resolve().parents[1] / "pcaps" / "psk-roam.pcapng"
    assert main(["analyze", str(capture), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and text in err, err


def test_frames_tables_leave_out_acks_like_beacons_and_data(tmp_path: Path) -> None:
    """frames.csv (--out) and the notebook's frames table list the handshake, not the bulk:
    no beacon, data or ACK rows, although the capture has ACKs and `frames` prints them."""
    import csv

    import analyzer

    capture = Path(__file__).resolve().parents[1] / "pcaps" / "psk-roam.pcapng"
    assert main(["analyze", str(capture), "--quiet", "--format", "json", "--out",
                 str(tmp_path)]) == 0  # fmt: skip
    with open(tmp_path / "frames.csv", newline="") as f:
        kinds = {row["kind"] for row in csv.DictReader(f)}
    assert kinds and {"auth", "eapol"} <= kinds and not kinds & {"ack", "beacon", "data"}
    assert set(analyzer.load(capture).frames["kind"]) == kinds
