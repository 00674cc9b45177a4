"""A TAP device that looks like a monitor interface, and a paced replayer into it.

`TUNSETLINK` with ARPHRD_IEEE80211_RADIOTAP (803), set before the link is up, makes the kernel
(and libpcap, scapy, tshark) see a radiotap link: whatever is written to the TAP file descriptor
is what a sniffer on the interface receives. Used inside a private network namespace only.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import struct
import subprocess
import time
from collections.abc import Iterable

TUNSETIFF = 0x400454CA
TUNSETLINK = 0x400454CD
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
ARPHRD_IEEE80211_RADIOTAP = 803


def why_not() -> str | None:
    """None when a TAP-in-a-namespace test can run here, else the reason it cannot."""
    if os.geteuid() != 0:
        return "needs root (a network namespace and a TAP device)"
    if not os.path.exists("/dev/net/tun"):
        return "/dev/net/tun is missing (no TUN/TAP support)"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs unshare(1) and ip(8)"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        return f"cannot create a network namespace: {probe.stderr.decode().strip()}"
    return None


class Tap:
    """A radiotap TAP interface; closing the descriptor deletes it (an interface gone)."""

    def __init__(self, name: str = "mon0", linktype: int = ARPHRD_IEEE80211_RADIOTAP) -> None:
        self.name = name
        self.fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(self.fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
        fcntl.ioctl(self.fd, TUNSETLINK, linktype)  # before the link is up
        subprocess.run(["ip", "link", "set", name, "up"], check=True)

    def write(self, frame: bytes) -> None:
        os.write(self.fd, frame)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Tap:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def replay(tap: Tap, frames: Iterable[tuple[int, bytes]], speed: float = 1.0,
           max_gap_s: float = 0.2) -> tuple[int, dict[int, float]]:
    """Write frames with their capture pacing (gaps capped at `max_gap_s`, divided by
    `speed`); return the count and the wall time each frame was written, by 1-based index."""
    sent: dict[int, float] = {}
    start = prev_ts = None
    due = time.monotonic()
    for n, (ts_ns, data) in enumerate(frames, 1):
        if prev_ts is not None:
            due += min((ts_ns - prev_ts) / 1e9, max_gap_s) / speed
        prev_ts = ts_ns
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        tap.write(data)
        sent[n] = time.time()
        start = start or sent[n]
    return len(sent), sent
