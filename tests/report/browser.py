"""Headless Chromium for the HTML report tests: a screenshot from the command line, and a page
load watched over the DevTools protocol (`--remote-debugging-pipe`: JSON messages separated by
NUL on file descriptors 3 and 4) for console errors, exceptions and network requests."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio",
)
TIMEOUT_S = 60.0


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(binary: str, page: Path, png: Path, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
         "--window-size=1280,2000", "--hide-scrollbars", page.as_uri()],
        capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
    )


class Pipe:
    """The browser end of --remote-debugging-pipe."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_child_r, self._w = os.pipe()
        self._r, from_child_w = os.pipe()

        def wire() -> None:  # in the child: its fd 3 reads our commands, fd 4 writes replies
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=wire,
            close_fds=False,  # subprocess would close fds 3 and 4 after preexec_fn wired them
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._w, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> None:
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read())

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT_S
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._r, 65536)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self._buf += chunk
        message, self._buf = self._buf.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (OSError, RuntimeError, TimeoutError, EOFError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._w)
        os.close(self._r)


PROBE = """JSON.stringify({
  scripts: document.scripts.length,
  text: document.body.innerText,
  images: Array.from(document.images).map(i => i.complete && i.naturalWidth > 0),
})"""


def load_page(binary: str, page: Path, profile: Path) -> dict[str, Any]:
    """Open `page`, wait for its load event; what it requested, logged and contains."""
    pipe = Pipe(binary, profile)
    try:
        target = pipe.call("Target.createTarget", url="about:blank")["targetId"]
        session = pipe.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            pipe.call(f"{domain}.enable", session)
        pipe.call("Page.navigate", session, url=page.as_uri())
        pipe.wait_for("Page.loadEventFired")
        probe = pipe.call("Runtime.evaluate", session, expression=PROBE, returnByValue=True)
        found = json.loads(probe["result"]["value"])
    finally:
        pipe.close()
    return {**found, **_sorted_events(pipe.events)}


def _sorted_events(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    requests, errors = [], []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            requests.append(params["request"]["url"])
        elif method == "Runtime.exceptionThrown":
            errors.append(json.dumps(params["exceptionDetails"])[:300])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning"):
            errors.append(json.dumps(params.get("args"))[:300])
        elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
            errors.append(params["entry"].get("text", "")[:300])
    return {"requests": requests, "errors": errors}


def evaluate_at(binary: str, page: Path, profile: Path, width: int, height: int,
                expression: str) -> Any:
    """Open `page` in a `width` x `height` viewport and return the value of `expression`."""
    pipe = Pipe(binary, profile)
    try:
        target = pipe.call("Target.createTarget", url="about:blank")["targetId"]
        session = pipe.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        pipe.call("Page.enable", session)
        pipe.call("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        pipe.call("Page.navigate", session, url=page.as_uri())
        pipe.wait_for("Page.loadEventFired")
        found = pipe.call("Runtime.evaluate", session, expression=expression,
                          returnByValue=True)
    finally:
        pipe.close()
    return found["result"].get("value")
