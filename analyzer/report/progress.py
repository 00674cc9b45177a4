"""A progress display on stderr for long runs: only on a terminal, only after ~2 s.

For files it shows the bytes read of all of them, the percentage and the time left, read from
the reader's file offsets by a thread every `interval_s`: it is no frame sink, so the engine
keeps its lean path (and the compiled core its per-frame tables) on a terminal too. It is
stopped (the cursor shown again) by `close()`, which the command line calls before printing any
result and on every way out, errors and Ctrl-C included."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

DELAY_S = 2.0
INTERVAL_S = 0.25


class FileProgress:
    """Shows how far the reading of `sources` has come, once `start`ed, until `close`."""

    def __init__(self, sources: Sequence[str], console: Console, delay_s: float = DELAY_S,
                 interval_s: float = INTERVAL_S) -> None:  # fmt: skip
        self.files = [os.path.realpath(s) for s in sources if s != "-" and os.path.isfile(s)]
        self.total = sum(os.path.getsize(f) for f in self.files) or None
        self.console, self.delay_s, self.interval_s = console, delay_s, interval_s
        self.bar: Progress | None = None
        self.task: Any = None
        self._fds: list[int] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> FileProgress:
        self._thread = threading.Thread(target=self._show, name="progress", daemon=True)
        self._thread.start()
        return self

    def _show(self) -> None:
        if self._stop.wait(self.delay_s):
            return
        self._open()
        assert self.bar is not None
        while not self._stop.wait(self.interval_s):
            self.update()

    def update(self) -> None:
        bar = self.bar
        if bar is not None:
            bar.update(self.task, completed=self.bytes_read())

    def _open(self) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns: list[Any] = [SpinnerColumn(), TextColumn("reading")]
        if self.total and self.bytes_read() == 0:
            self.total = None  # decoded by worker processes (or not read yet): elapsed time
        if self.total:
            columns += [BarColumn(), DownloadColumn(), TaskProgressColumn(),
                        TimeRemainingColumn()]
        else:
            columns.append(TimeElapsedColumn())
        bar = Progress(*columns, console=self.console, transient=True)
        bar.start()
        self.task = bar.add_task("read", total=self.total)
        self.bar = bar  # last: another thread that sees the bar finds its task

    def bytes_read(self) -> int:
        """Where the reader's file descriptors are in the captures (Linux /proc; else 0)."""
        if not self.total:
            return 0
        if not self._fds:  # (the reader may not have opened them yet)
            self._fds = _fds_of(self.files)
        done = 0
        for fd in self._fds:
            try:
                done += os.lseek(fd, 0, os.SEEK_CUR)
            except OSError:
                continue
        return min(done, self.total)

    def close(self) -> None:
        """Stop the display and show the cursor again (idempotent)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _fds_of(files: Sequence[str]) -> list[int]:
    wanted = set(files)
    found = []
    try:
        entries = os.listdir("/proc/self/fd")
    except OSError:
        return []
    for entry in entries:
        try:
            if os.readlink(f"/proc/self/fd/{entry}") in wanted:
                found.append(int(entry))
        except OSError:
            continue
    return found


def progress_display(quiet: bool = False, sources: Sequence[str] = ()) -> FileProgress | None:
    """The progress display for reading `sources`, or None (no terminal, or --quiet)."""
    if quiet or not sys.stderr.isatty():
        return None
    from rich.console import Console  # only on a terminal: `analyze` starts without rich

    return FileProgress(sources, Console(stderr=True)).start()
