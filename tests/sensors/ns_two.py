"""Run `roam-analyzer live -i mon0 -i mon1` against one replayed capture split over two radiotap
TAP interfaces, inside the caller's network namespace (start it with `unshare -n`): frames on
the first AP's channel go to mon0, the second AP's to mon1, every `shared`-th frame to both.
Prints one JSON object: exit code, stdout, stderr.

    unshare -n python -m tests.sensors.ns_two '{"capture": "x.pcapng", "shared": 3}'
"""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import time

from tests.live.ns_run import frames, wait_bound
from tests.live.tap import Tap

MAX_GAP_S = 0.2


def main(config: dict) -> dict:
    todo = frames(config["capture"])
    home = struct.unpack_from("<H", todo[0][1], 18)[0]  # the first frame's channel: mon0
    cmd = [sys.executable, "-m", "analyzer", "live", "-i", "mon0", "-i", "mon1",
           "--data-latency", "--format", "jsonl"]
    taps = [Tap("mon0"), Tap("mon1")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for tap in taps:
            wait_bound(tap.name, proc)
        prev = None
        for n, (ts_ns, data) in enumerate(todo):
            if prev is not None:
                time.sleep(min((ts_ns - prev) / 1e9, MAX_GAP_S))
            prev = ts_ns
            on_home = struct.unpack_from("<H", data, 18)[0] == home
            for k, tap in enumerate(taps):
                if on_home == (k == 0) or n % config["shared"] == 0:
                    tap.write(data)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        for tap in taps:
            tap.close()
        if proc.poll() is None:
            proc.kill()
    return {"rc": proc.returncode, "stdout": out, "stderr": err}


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    print(json.dumps(main(json.loads(sys.argv[1]))))
