"""`live -r -` stops cleanly however it is stopped, with its pipe still open: every completed
roam printed, the summary written, exit 0 (it used to abort: "Fatal Python error", 134)."""

from __future__ import annotations

import json
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "pcaps" / "eap-pmksa-roam.pcapng"
WAIT_S = 120  # a bound on waiting for output, not a speed requirement


def _lines_until(proc: subprocess.Popen, roams: int) -> list[bytes]:
    """stdout lines until `roams` roam lines were printed (or the bound passed)."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    lines: list[bytes] = []
    deadline = time.monotonic() + WAIT_S
    while sum(b'"roam"' in x for x in lines) < roams and time.monotonic() < deadline:
        if sel.select(0.1):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
    return lines


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM", "SIGHUP", "--count", "--duration"])
def test_live_stream_with_its_pipe_open_stops_cleanly_with_every_roam(stop: str) -> None:
    extra = {"--count": ["--count", "100"], "--duration": ["--duration", "1"]}.get(stop, [])
    proc = subprocess.Popen(
        [sys.executable, "-m", "analyzer", "live", "-r", "-", "--format", "jsonl", *extra],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=False,
    )
    try:
        proc.stdin.write(SHIPPED.read_bytes())
        proc.stdin.flush()  # and kept open: the writer is still there
        lines = [x.decode() for x in _lines_until(proc, 2)]
        if stop.startswith("SIG"):
            proc.send_signal(getattr(signal, stop))
        proc.wait(timeout=WAIT_S)  # not communicate(): that would close the pipe
        out, err = proc.stdout.read(), proc.stderr.read()
    finally:
        proc.kill()
        proc.stdin.close()
    lines += out.decode().splitlines()
    text = err.decode()
    assert proc.returncode == 0, text
    assert "Fatal Python error" not in text and "Traceback" not in text
    records = [json.loads(x) for x in lines if x.strip()]
    roams = [r for r in records if r["type"] == "roam"]
    assert len(roams) == (2 if stop == "--count" else 3)  # every attempt, the last flushed
    assert records[-1]["type"] == "summary"
    reason = {"--count": "count", "--duration": "duration"}.get(stop, stop)
    assert f"stopped by {reason}" in text
