"""Run `roam-analyzer live -i mon0` against a replayed capture, inside the caller's network
namespace (start it with `unshare -n`). Prints one JSON object: exit code, stdout, stderr.

    unshare -n python -m tests.live.ns_run '{"capture": "x.pcapng", "args": [], "stop": "sigint"}'

stop: "sigint" | "sigterm" (after the replay), "gone" (the TAP is deleted), "none" (the live
process stops by itself, e.g. --duration).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

from analyzer.capture import open_capture
from tests.live.tap import Tap, replay

IFACE = "mon0"


def wait_bound(iface: str, proc: subprocess.Popen[str], timeout: float = 20.0) -> None:
    """Until a packet socket is bound to `iface` (/proc/net/packet is per namespace)."""
    index = f"{socket.if_nametoindex(iface)}"
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with open("/proc/net/packet") as f:
            if any(line.split()[4] == index for line in list(f)[1:]):
                return
        if proc.poll() is not None:
            return
        time.sleep(0.02)
    raise TimeoutError("the live process never bound its socket")


def frames(path: str) -> list[tuple[int, bytes]]:
    with open_capture(path) as cap:
        return [(rec.ts_ns, rec.data) for rec in cap]


def main(config: dict) -> dict:
    todo = frames(config["capture"])
    cmd = [sys.executable, "-m", "analyzer", "live", "-i", IFACE, "--format", "jsonl",
           *config.get("args", [])]
    tap = Tap(IFACE)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_bound(IFACE, proc)
        sent, _ = replay(tap, todo, speed=config.get("speed", 1.0))
        time.sleep(config.get("settle_s", 0.5))
        match config.get("stop", "sigint"):
            case "sigint":
                proc.send_signal(signal.SIGINT)
            case "sigterm":
                proc.send_signal(signal.SIGTERM)
            case "gone":
                tap.close()
        out, err = proc.communicate(timeout=60)
    finally:
        tap.close()
        if proc.poll() is None:
            proc.kill()
    return {"rc": proc.returncode, "stdout": out, "stderr": err, "sent": sent}


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    print(json.dumps(main(json.loads(sys.argv[1]))))
