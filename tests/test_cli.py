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
    assert [(r["frame"], r["kind"], r["ssid"]) for r in rows] == [
        (1, "beacon", "a"),
        (3, "beacon", "b"),
    ]
    assert rows[0]["bssid"] == "02:00:00:00:00:01"


def test_analyze_table_prints_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "b.pcap"
    write_capture(path, [(0, beacon(b"a"))])
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Captures" in out and "beacon 1" in out
