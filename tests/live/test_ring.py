"""`live --write FILE --ring N:MB`: a ring of N pcapng files of about MB each, the oldest deleted,
every file valid and the newest ones holding the last frames received, in order."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from analyzer.capture import open_capture
from analyzer.simulate.library import simulate

ROOT = Path(__file__).resolve().parents[2]


def _frames(path: Path) -> list[tuple[int, bytes]]:
    with open_capture(str(path)) as cap:
        records = [(r.ts_ns, r.data) for r in cap]
        assert not cap.info.truncated and not cap.info.warnings
    return records


def test_ring_keeps_the_last_files_each_valid_and_holding_the_newest_frames(
    tmp_path: Path,
) -> None:
    source = tmp_path / "mix.pcap"
    simulate("bench-mix", source, fmt="pcap", frames=15_000)  # ~5 MB
    out = tmp_path / "ring.pcapng"
    proc = subprocess.run(
        [sys.executable, "-m", "analyzer", "live", "-r", str(source), "--format", "jsonl",
         "--write", str(out), "--ring", "2:1"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    files = sorted(tmp_path.glob("ring_*.pcapng"))
    assert [f.name for f in files][-1] > "ring_00004.pcapng"  # it did rotate several times
    assert len(files) == 2  # the oldest were deleted
    kept = [frame for f in files for frame in _frames(f)]
    for f in files[:-1]:  # every full file is about the size asked for
        assert 1 << 20 <= f.stat().st_size < (1 << 20) + 64 * 1024
    everything = _frames(source)
    assert kept == everything[-len(kept) :]  # contiguous and ending with the last frame
    if shutil.which("tshark"):
        for f in files:
            count = subprocess.run(["tshark", "-r", str(f), "-T", "fields", "-e", "frame.number"],
                                   capture_output=True, text=True, timeout=60, check=True)
            assert len(count.stdout.split()) == len(_frames(f))
