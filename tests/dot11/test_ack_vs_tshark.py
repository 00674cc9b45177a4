"""ACK and Block Ack frames as tshark sees them (`wlan.fc.type_subtype` 0x001d, 0x0019): the
same frames with the same fields, in the real captures and in builder captures."""

from __future__ import annotations

import random
import struct
import subprocess
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.capture.writer import write_capture
from analyzer.dot11 import decode, peek
from analyzer.dot11.records import BlockAck, Frame, Kind, MacHeader
from analyzer.simulate import Scenario
from analyzer.simulate.frames import Radio, on_air
from tests.conftest import public_captures

pytestmark = pytest.mark.tshark


def _tshark_acks(tshark: str, path: Path) -> dict[int, str]:
    cmd = [tshark, "-n", "-r", str(path), "-Y", "wlan.fc.type_subtype == 0x001d",
           "-T", "fields", "-e", "frame.number", "-e", "wlan.ra"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout
    rows = (line.split("\t") for line in out.splitlines() if line.strip())
    return {int(number): ra for number, ra in rows}


def _our_control(path: Path) -> dict[int, Frame]:
    frames = {}
    with open_capture(str(path)) as cap:
        for rec in cap:
            if peek(rec.linktype, rec.data) != Kind.CONTROL:
                continue
            item = decode(rec)
            assert isinstance(item, Frame) and isinstance(item.header, MacHeader), item
            frames[rec.index] = item
    return frames


def _our_acks(path: Path) -> dict[int, str]:
    return {n: f.header.ra for n, f in _our_control(path).items() if f.header.subtype == 13}


def _builder_capture(path: Path, block_acks: bool = False) -> Path:
    sc = Scenario("pcapng", seed=5, acks=True, block_acks=block_acks)
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


BA_FIELDS = ("wlan.ra", "wlan.ta", "wlan.ba.control.ackpolicy", "wlan.ba.control.ba_type",
             "wlan.ba.basic.tidinfo", "wlan.fixed.ssc.sequence", "wlan.ba.bm")


def _tshark_block_acks(tshark: str, path: Path) -> dict[int, tuple[object, ...]]:
    fields = [a for f in ("frame.number", *BA_FIELDS) for a in ("-e", f)]
    cmd = [tshark, "-n", "-r", str(path), "-Y", "wlan.fc.type_subtype == 0x0019",
           "-T", "fields", *fields]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout
    rows = {}
    for line in out.splitlines():
        number, ra, ta, policy, ba_type, tid, ssn, bitmap = line.split("\t")
        rows[int(number)] = (ra, ta, int(policy), int(ba_type, 16), int(tid, 16), int(ssn),
                             bitmap)  # fmt: skip
    return rows


def _our_block_acks(path: Path) -> dict[int, tuple[object, ...]]:
    rows = {}
    for n, f in _our_control(path).items():
        if f.header.subtype != 9:
            continue
        b = f.body
        assert isinstance(b, BlockAck) and b.bitmap is not None, f
        rows[n] = (f.header.ra, f.header.ta, b.ack_policy, b.ba_type, b.tid_info,
                   b.starting_seq, b.bitmap.hex())  # fmt: skip
    return rows


def _varied_block_acks(path: Path) -> Path:
    """Compressed Block Acks with every ack policy, TID, sequence number and bitmap at random,
    packed here from the standard's layout (9.3.1.8.2), not by the builder."""
    rng = random.Random(9)
    frames = []
    for k in range(64):
        control = rng.randrange(2) | 2 << 1 | rng.randrange(16) << 12
        ssc = rng.randrange(4096) << 4
        frame = struct.pack("<BBH6s6sHH", 0x94, 0, 0, b"\x02" + rng.randbytes(5),
                            b"\x0a" + rng.randbytes(5), control, ssc) + rng.randbytes(8)
        frames.append((k * 1000, on_air(frame, Radio(k, 5180, -50, 12))))
    write_capture(path, frames)
    return path


@pytest.mark.parametrize(
    "path", [*public_captures(), "builder", "varied"],
    ids=lambda p: getattr(p, "name", str(p)),
)
def test_every_block_ack_tshark_sees_decodes_with_the_same_fields(
    tshark: str, path: Path | str, tmp_path: Path
) -> None:
    """RA, TA, BA Ack Policy, BA Type, TID, starting sequence number and bitmap."""
    if path == "builder":
        capture = _builder_capture(tmp_path / "ba.pcapng", block_acks=True)
    elif path == "varied":
        capture = _varied_block_acks(tmp_path / "varied.pcap")
    else:
        capture = Path(path)
    ours, theirs = _our_block_acks(capture), _tshark_block_acks(tshark, capture)
    assert ours == theirs
    if path in ("builder", "varied"):
        assert len(ours) > 10
