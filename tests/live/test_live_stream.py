"""`live -r`: a pcap/pcapng byte stream (stdin or a FIFO) read record by record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from analyzer.capture.live import InterfaceStats
from analyzer.capture.writer import PcapWriter
from analyzer.run.live import LiveStats, _check_channel
from analyzer.simulate.library import psk_roam

ROOT = Path(__file__).resolve().parents[2]


def _live(*args: str, **kw) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "analyzer", "live", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_roams_appear_before_the_writer_closes_the_fifo(tmp_path: Path) -> None:
    """Each roam is printed as soon as its frames are in the pipe, not at end of stream."""
    fifo = tmp_path / "cap.fifo"
    os.mkfifo(fifo)
    proc = _live("-r", str(fifo), "--format", "jsonl")
    closed = threading.Event()

    def writer() -> None:
        with open(fifo, "wb", buffering=0) as f:
            pcap = PcapWriter(f)
            for ts, data in psk_roam().frames():
                pcap.write(ts, data)
            time.sleep(30)  # keep the pipe open until the test has read the roams
            closed.set()

    threading.Thread(target=writer, daemon=True).start()
    roams = []
    assert proc.stdout is not None
    while len(roams) < 2:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else ""
        roams += [line] if json.loads(line)["type"] == "roam" else []
    assert not closed.is_set()
    proc.terminate()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    summary = json.loads(out.splitlines()[-1])
    assert summary["type"] == "summary" and summary["live"]["stopped_by"] == "SIGTERM"


def test_stdin_stream_ends_with_a_summary_like_analyze(tmp_path: Path) -> None:
    """`-r -` reads stdin to its end; the JSON lines are analyze's: roams, stations, summary."""
    capture = tmp_path / "psk.pcap"
    written = psk_roam().write(capture, fmt="pcap")
    with open(capture, "rb") as f:
        proc = _live("-r", "-", stdin=f)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    types = [json.loads(line)["type"] for line in out.splitlines()]
    assert types == ["roam", "roam", "station", "summary"]
    assert f"{written} frames received, 0 kernel drops, 2 attempts, 1 roam;" in err


def test_a_roam_to_a_channel_no_interface_covers_is_warned_about() -> None:
    """Channels heard come from radiotap; a target AP outside them gets a warning."""
    stats = LiveStats([InterfaceStats("mon0", 127, channels={36})])
    warned: list[str] = []
    out = SimpleNamespace(warning=warned.append)
    roam = SimpleNamespace(id=3, sta="02:00:00:00:00:01", to_bssid="02:00:00:00:00:aa",
                           channel_to=44)
    _check_channel(roam, stats, out)  # type: ignore[arg-type]
    _check_channel(SimpleNamespace(**{**vars(roam), "channel_to": 36}), stats, out)  # type: ignore[arg-type]
    assert len(warned) == 1 and "channel 44, which no interface covers (heard: 36)" in warned[0]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to take CAP_NET_RAW away")
def test_without_cap_net_raw_one_clear_line_and_exit_2() -> None:
    """Without CAP_NET_RAW, one line saying what is needed, and exit code 2."""
    proc = _live("-i", "lo", preexec_fn=_drop_cap_net_raw)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.count("\n") == 1 and "needs root or CAP_NET_RAW" in err


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to open a packet socket")
def test_an_interface_not_in_monitor_mode_is_a_user_error() -> None:
    """An Ethernet interface is refused with a hint; an unknown one too."""
    for name, text in (("lo", "not a monitor interface"), ("nosuch0", "no such interface")):
        proc = _live("-i", name)
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 2 and text in err, err


def test_ring_needs_write_and_a_files_mb_value() -> None:
    proc = _live("-r", "-", "--ring", "3:1", stdin=subprocess.DEVNULL)
    assert proc.communicate(timeout=60)[1].strip().endswith("--ring needs --write FILE.pcapng")
    assert proc.returncode == 2
    proc = _live("-r", "-", "--ring", "3", stdin=subprocess.DEVNULL)
    proc.communicate(timeout=60)
    assert proc.returncode == 2


def _drop_cap_net_raw() -> None:
    """PR_CAPBSET_DROP (24) CAP_NET_RAW (13): after exec even root lacks it."""
    import ctypes

    if ctypes.CDLL(None, use_errno=True).prctl(24, 13, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")
