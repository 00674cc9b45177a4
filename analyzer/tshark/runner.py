"""Run tshark over one capture and stream its dissection, packet by packet, as records.

`tshark -T json -x --no-duplicate-keys -J ...` prints a JSON array whose packets start at a
line `  {` and end at a line `  }` or `  },`: each packet is parsed on its own, so memory stays
flat whatever the capture's length. Only the protocols the mapper reads are printed (`-J`),
FCS checking is on (as in our decoder) and name resolution off.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from analyzer.capture.records import CaptureInfo
from analyzer.dot11.records import Frame, Malformed
from analyzer.errors import AnalyzerError, CaptureError
from analyzer.tshark.mapper import frame_number, linktype, map_packet, ts_ns
from analyzer.tshark.tree import printable

PROTOCOLS = "frame radiotap ppi prism wlancap wlan wlan.mgt llc eapol eap eth vlan"
_DAMAGE = ("cut short", "appears to be damaged", "corrupt")


def tshark_path() -> str:
    path = shutil.which("tshark")
    if path is None:
        raise AnalyzerError("--engine tshark needs tshark on PATH (apt-get install tshark)")
    return path


def command(tshark: str, source: str) -> list[str]:
    return [
        tshark, "-r", source, "-n", "-o", "wlan.check_checksum:TRUE",
        "-T", "json", "-x", "--no-duplicate-keys", "-J", PROTOCOLS,
    ]  # fmt: skip


class TsharkCapture:
    """One capture dissected by tshark: iterate for `Frame | Malformed` items (irrelevant
    frames left out, as our decoder does); `info` fills in as it streams."""

    def __init__(self, source: str) -> None:
        self.tshark = tshark_path()
        self.source = source
        self.info = CaptureInfo(path=source, format=_format(source))

    def __iter__(self) -> Iterator[Frame | Malformed]:
        with tempfile.TemporaryFile() as errors:  # a file: a full stderr pipe would block
            proc = subprocess.Popen(
                command(self.tshark, self.source), stdout=subprocess.PIPE, stderr=errors,
                stdin=subprocess.DEVNULL if self.source != "-" else None,
            )  # fmt: skip
            assert proc.stdout is not None
            try:
                for layers in packets(proc.stdout):
                    self._note(layers)
                    item = map_packet(layers)
                    if item is not None:
                        yield item
            finally:
                proc.stdout.close()
                code = proc.wait()
            errors.seek(0)
            err = errors.read(4096).decode("utf-8", "replace")
        self._finish(code, err)

    def _note(self, layers: dict) -> None:
        info = self.info
        if info.frames == 0 and self.source == "-":  # only pcapng has sections
            frame = layers.get("frame") or {}
            info.format = "pcapng" if "frame.section_number" in frame else "pcap"
        info.frames = max(info.frames, frame_number(layers))
        ts = ts_ns(layers)
        if info.first_ts_ns is None:
            info.first_ts_ns = ts
        info.last_ts_ns = ts
        lt = linktype(layers)
        if lt is not None and lt not in info.linktypes:
            info.linktypes.append(lt)

    def _finish(self, code: int, err: str) -> None:
        lines = [printable(ln.removeprefix("tshark: ")) for ln in err.splitlines()
                 if ln and not ln.startswith("Running as user")]  # fmt: skip
        if code == 0:
            return
        if self.info.frames == 0 and not any(d in " ".join(lines) for d in _DAMAGE):
            raise CaptureError(f"{self.source}: tshark: {' '.join(lines) or f'exit {code}'}")
        self.info.truncated = True
        self.info.warnings.append(f"tshark: {' '.join(lines) or f'exit status {code}'}")


_END = b"\n  }"  # a packet's closing brace: the only `}` indented by two spaces
_CHUNK = 1 << 20


def packets(stream: IO[bytes]) -> Iterator[dict]:
    """The `_source.layers` of each packet of `tshark -T json` output, read in chunks: a
    packet ends at the first line that is `  }` (deeper lines are indented further)."""
    buf = b""
    while True:
        chunk = stream.read(_CHUNK)
        if chunk:
            buf += chunk
        pos = 0
        while (end := buf.find(_END, pos)) >= 0:
            start = buf.find(b"{", pos, end)
            if start < 0:
                break
            yield json.loads(buf[start : end + len(_END)])["_source"]["layers"]
            pos = end + len(_END)
        buf = buf[pos:]
        if not chunk:
            return


def _format(source: str) -> str:
    """pcap or pcapng by magic (gzip looked through); a missing file is the user's error.
    Standard input is told by its first packet (`_note`)."""
    if source == "-":
        return "pcap"
    path = Path(source)
    try:
        with path.open("rb") as f:
            head = f.read(4)
            if head[:2] == b"\x1f\x8b":
                f.seek(0)
                with gzip.open(f) as g:
                    head = g.read(4)
    except OSError as exc:
        raise CaptureError(f"{source}: {exc.strerror or exc}") from None
    except (EOFError, gzip.BadGzipFile):
        raise CaptureError(f"{source}: not a readable gzip file") from None
    return "pcapng" if head == b"\x0a\x0d\x0d\x0a" else "pcap"
