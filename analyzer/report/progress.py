"""A progress display on stderr for long runs: only on a terminal, only after ~2 s."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

DELAY_S = 2.0
EVERY = 4096


def progress_sink(quiet: bool = False) -> Callable[[int, Any], None] | None:
    """A frame sink that shows frames decoded so far, or None when there is no terminal."""
    if quiet or not sys.stderr.isatty():
        return None
    start = time.monotonic()
    state: dict[str, Any] = {"n": 0, "bar": None, "task": None}

    def sink(_capture: int, _frame: Any) -> None:
        state["n"] += 1
        if state["n"] % EVERY:
            return
        if state["bar"] is None:
            if time.monotonic() - start < DELAY_S:
                return
            # rich only once a bar is due: `analyze` starts without it (start-up time)
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.completed:,} relevant frames"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task("decode", total=None)
        state["bar"].update(state["task"], completed=state["n"])

    return sink
