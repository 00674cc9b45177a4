"""ACK frames as tshark sees them (`wlan.fc.type_subtype == 0x001d`): the same frames, the same
receiver addresses, in the real captures and in a builder capture with ACKs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.dot11 import decode, peek
from analyzer.dot11.records import Frame, Kind, MacHeader
from analyzer.simulate import Scenario
from tests.conftest import public_captures

pytestmark = pytest.mark.tshark


def _tshark_acks(tshark: str, path: Path) -> dict[int, str]:
    cmd = [tshark, "-n", "-r", str(path), "-Y", "wlan.fc.type_subtype == 0x001d",
           "-T", "fields", "-e", "frame.number", "-e", "wlan.ra"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout
    rows = (line.split("\t") for line in out.splitlines() if line.strip())
    return {int(number): ra for number, ra in rows}


def _our_acks(path: Path) -> dict[int, str]:
    acks = {}
    with open_capture(str(path)) as cap:
        for rec in cap:
            if peek(rec.linktype, rec.data) != Kind.CONTROL:
                continue
            item = decode(rec)
            assert isinstance(item, Frame) and isinstance(item.header, MacHeader), item
            acks[rec.index] = item.header.ra
    return acks


def _builder_capture(path: Path) -> Path:
    sc = Scenario("pcapng", seed=5, acks=True)
    sc.ap("ap1", "02:00:00:00:01:00", "lab", 36, akm="psk", passphrase="correct horse")
    sc.ap("ap2", "02:00:00:00:02:00", "lab", 1, akm="psk", passphrase="correct horse")
    sc.sta("c", "02:00:00:00:00:01")
    sc.beacons("ap1", 3).connect("c", "ap1").data("c", 4).roam("c", "ap2").data("c", 4)
    sc.write(path)
    return path


@pytest.mark.parametrize(
    "path", [*public_captures(), "builder"], ids=lambda p: getattr(p, "name", str(p))
)
def test_every_ack_tshark_sees_decodes_with_the_same_receiver(
    tshark: str, path: Path | str, tmp_path: Path
) -> None:
    capture = _builder_capture(tmp_path / "acks.pcapng") if path == "builder" else Path(path)
    ours, theirs = _our_acks(capture), _tshark_acks(tshark, capture)
    assert ours == theirs
    if path == "builder":
        assert len(ours) > 20
