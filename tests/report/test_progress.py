"""The progress display shows bytes, percent and time left for files, and always ends with the
cursor shown again: after a run, on an error, on Ctrl-C."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from rich.console import Console

from analyzer.report.progress import FileProgress
from analyzer.run.dispatch import run

ROOT = Path(__file__).resolve().parents[2]
CAPTURE = str(ROOT / "pcaps" / "eap-pmksa-roam.pcapng")
HIDE, SHOW = "\x1b[?25l", "\x1b[?25h"


def _terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=120, color_system=None), out


def _cursor_shown_at_the_end(text: str) -> bool:
    return HIDE in text and text.rfind(SHOW) > text.rfind(HIDE)


def _shown(progress: FileProgress) -> FileProgress:
    """`progress` started, once its display is open (delay 0: at once)."""
    progress.start()
    deadline = time.monotonic() + 10
    while progress.bar is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert progress.bar is not None
    return progress


def test_file_progress_shows_bytes_percent_and_time_left_and_restores_the_cursor() -> None:
    console, out = _terminal()
    progress = FileProgress([CAPTURE], console, delay_s=0, interval_s=0.001)
    positions: list[int] = []

    def reading(_c: int, _f: object) -> None:  # the display opens while the file is read
        if progress.bar is None:
            _shown(progress)
        positions.append(progress.bytes_read())

    try:
        run([CAPTURE], sinks=[reading])
        assert positions and 0 < max(positions) <= Path(CAPTURE).stat().st_size
        assert progress.total == Path(CAPTURE).stat().st_size
        progress.update()
        progress.bar.refresh()  # type: ignore[union-attr]
    finally:
        progress.close()
    text = out.getvalue()
    assert "kB" in text and "%" in text and "reading" in text
    assert _cursor_shown_at_the_end(text)


@pytest.mark.parametrize("stop", [RuntimeError("boom"), KeyboardInterrupt()])
def test_progress_is_stopped_with_the_cursor_shown_on_errors_and_ctrl_c(
    stop: BaseException,
) -> None:
    console, out = _terminal()
    progress = _shown(FileProgress([CAPTURE], console, delay_s=0, interval_s=0.001))
    seen = 0

    def interrupt(_capture: int, _frame: object) -> None:
        nonlocal seen
        seen += 1
        if seen == 20:
            raise stop

    with pytest.raises(type(stop)):
        try:
            run([CAPTURE], sinks=[interrupt])
        finally:
            progress.close()
    assert progress.bar is None and not progress._thread.is_alive()  # type: ignore[union-attr]
    assert _cursor_shown_at_the_end(out.getvalue())


def test_cli_closes_the_progress_before_printing_on_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tty run that fails mid-capture: the display is closed, the cursor shown again."""
    import analyzer.report.progress as progress_module
    import analyzer.run.dispatch as dispatch
    from analyzer.cli import main

    console, out = _terminal()
    made: list[FileProgress] = []

    def display(quiet: bool = False, sources: tuple[str, ...] = ()) -> FileProgress:
        made.append(_shown(FileProgress(sources, console, delay_s=0, interval_s=0.001)))
        return made[-1]

    real_run = dispatch.run

    def failing_run(*args: object, **kwargs: object) -> object:
        def explode(_c: int, _f: object, n: list[int] = [0]) -> None:  # noqa: B006
            n[0] += 1
            if n[0] == 30:
                raise KeyboardInterrupt

        kwargs["sinks"] = [*kwargs["sinks"], explode]  # type: ignore[list-item]
        return real_run(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(progress_module, "progress_display", display)
    monkeypatch.setattr(dispatch, "run", failing_run)
    assert main(["analyze", CAPTURE, "--jobs", "1"]) == 130
    assert made and made[0].bar is None
    assert _cursor_shown_at_the_end(out.getvalue())


def test_the_progress_display_is_no_frame_sink_so_the_lean_path_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a terminal the engine keeps its lean path (and the compiled core its per-frame
    tables): the display reads the file offsets, it is not handed the frames."""
    import analyzer.report.progress as progress_module
    import analyzer.run.dispatch as dispatch
    from analyzer.cli import main

    console, _ = _terminal()
    monkeypatch.setattr(progress_module, "progress_display",
                        lambda quiet=False, sources=(): FileProgress(sources, console).start())
    given: list[object] = []
    real_run = dispatch.run

    def recording_run(*args: object, **kwargs: object) -> object:
        given.append(kwargs["sinks"])
        return real_run(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dispatch, "run", recording_run)
    assert main(["analyze", CAPTURE, "--format", "json"]) == 0
    assert given == [[]]


def test_one_capture_runs_in_one_process_with_the_compiled_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the compiled core one process whatever `--jobs` says (its loop is faster than
    feeding workers' results through Python), with a note when more were asked for one
    capture; on the pure path as given, else the cores."""
    from argparse import Namespace

    from analyzer import _core
    from analyzer.cli import _capture_jobs

    def asked(jobs: int | None, captures: int = 1, engine: str = "python") -> Namespace:
        return Namespace(jobs=jobs, captures=["c.pcap"] * captures, engine=engine)

    monkeypatch.setattr(_core, "core", lambda: object())
    assert _capture_jobs(asked(None)) == (1, None)
    assert _capture_jobs(asked(1)) == (1, None)
    jobs, note = _capture_jobs(asked(3))
    assert jobs == 1 and note is not None and note.startswith("--jobs 3: the compiled core")
    assert _capture_jobs(asked(3, captures=2)) == (1, None)  # sensors: never split anyway
    assert _capture_jobs(asked(3, engine="tshark")) == (1, None)
    monkeypatch.setattr(_core, "core", lambda: None)
    assert _capture_jobs(asked(3)) == (3, None) and _capture_jobs(asked(0)) == (1, None)
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    assert _capture_jobs(asked(None)) == (4, None)
