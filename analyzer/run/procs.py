"""Worker processes that end with their parent, and a parent that ends cleanly on a signal.

`bind_to_parent` is the first thing every worker process runs (`--jobs` decoders, the batch
pool, Dask-local workers): on Linux it asks the kernel (prctl PR_SET_PDEATHSIG) to kill the
worker when its parent goes, however the parent goes (SIGTERM, SIGHUP, SIGKILL, a crash), and
exits at once if the parent is already gone; it restores the default SIGTERM/SIGHUP action the
worker inherited from the parent's handlers and ignores SIGINT (a Ctrl-C reaches the whole
process group: the parent stops the workers itself). Elsewhere a thread watches the parent's
pid instead.

`Stopped` is what the command line raises on SIGTERM and SIGHUP (`stop_on_signals`), so that
`finally` blocks run (temporary outputs removed, workers stopped) and the exit code is 128 +
the signal number.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

PR_SET_PDEATHSIG = 1
WATCH_S = 1.0


class Stopped(BaseException):
    """SIGTERM or SIGHUP reached the command line."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_stopped(signum: int, _frame: object) -> None:
    raise Stopped(signum)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Inside the block, SIGTERM and SIGHUP raise `Stopped` in the main thread (nothing
    changes when entered from another thread); the old handlers are back after it."""
    old: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is not None:
                old[sig] = signal.signal(sig, _raise_stopped)
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


_STOPS = tuple(s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None), signal.SIGINT)
               if s is not None)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Starting worker processes: a stop signal waits until they are started (raised inside
    `fork`'s own hooks, its exception would be printed and lost); the workers unblock it."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def bind_to_parent(parent: int | None = None) -> None:
    """Run first in a worker process: die with the parent (`parent`: its pid, by default the
    current parent's)."""
    parent = os.getppid() if parent is None else parent
    if not _pdeathsig():
        threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent went before the kernel could be asked
        os._exit(1)
    with contextlib.suppress(ValueError):  # signal handlers: from the main thread only
        for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is not None:
                signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)


def _pdeathsig() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_S)
    os._exit(1)
