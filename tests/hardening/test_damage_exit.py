"""Damage is reported, never hidden: a bad file in a batch is that capture's error (the others
analysed, exit 3); a corrupt block skipped inside a file marks it damaged (exit 3)."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from .hostile import block, epb, pcap, pcapng_head

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "pcaps" / "eap-pmksa-roam.pcapng"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analyzer", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    shutil.copyfile(SHIPPED, tmp_path / "a.pcapng")
    (tmp_path / "b.pcap").write_bytes(b"not a capture at all")
    (tmp_path / "c.pcap").write_bytes(pcap([b"x" * 20], linktype=147))  # unsupported
    (tmp_path / "d.pcapng").write_bytes(b"")
    return tmp_path


@pytest.mark.parametrize("how", [["--jobs", "1"], ["--jobs", "2"], ["--dask", "local"]])
def test_a_bad_file_in_a_batch_is_its_own_error_and_the_others_are_analysed(
    batch: Path, how: list[str]
) -> None:
    if how[0] == "--dask":
        pytest.importorskip("distributed")
    done = cli("analyze", str(batch), "--format", "json", "--quiet", *how)
    assert done.returncode == 3, done.stderr
    doc = json.loads(done.stdout)
    errors = {Path(c["path"]).name: c.get("error") for c in doc["captures"]}
    assert errors["a.pcapng"] is None
    assert all(errors[n] for n in ("b.pcap", "c.pcap", "d.pcapng"))
    assert len(doc["roams"]) == 3 and {r["capture"] for r in doc["roams"]} == {0}
    lines = [x for x in done.stderr.splitlines() if "error:" in x]
    assert len(lines) == 3 and all("not analysed" in x for x in lines)
    assert "Traceback" not in done.stderr


def test_the_same_bad_file_named_alone_is_still_a_user_error(batch: Path) -> None:
    done = cli("analyze", str(batch / "b.pcap"))
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize("bad", [
    block(6, struct.pack("<IIIII", 7, 0, 1, 4, 4) + b"abcd"),  # an interface never declared
    block(6, struct.pack("<IIIII", 0, 0, 1, 400, 400) + b"abcd"),  # caplen beyond the block
    block(6, b"\0" * 8),  # an EPB too short for its header
    block(1, b"\0" * 4),  # an IDB too short
])  # fmt: skip
def test_a_corrupt_block_skipped_inside_a_file_makes_it_damaged(tmp_path: Path,
                                                               bad: bytes) -> None:
    frame = bytes.fromhex("0000080000000000") + b"\x80\0" + b"\0" * 22
    path = tmp_path / "skip.pcapng"
    path.write_bytes(pcapng_head() + epb(frame) + bad + epb(frame, ts=2))
    done = cli("analyze", str(path), "--format", "json", "--quiet")
    assert done.returncode == 3, done.stderr
    cap = json.loads(done.stdout)["captures"][0]
    assert cap["truncated"] and cap["frames"] == 2  # reading went on after the block
    assert "damaged" in done.stderr and "Traceback" not in done.stderr
