"""The progress display shows bytes, percent and time left for files, and always ends with the
cursor shown again: after a run, on an error, on Ctrl-C."""

from __future__ import annotations

import io
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


def test_file_progress_shows_bytes_percent_and_time_left_and_restores_the_cursor() -> None:
    console, out = _terminal()
    progress = FileProgress([CAPTURE], console, delay_s=0, every=1)
    positions: list[int] = []
    try:
        run([CAPTURE], sinks=[progress, lambda _c, _f: positions.append(progress.bytes_read())])
        assert positions and 0 < max(positions) <= Path(CAPTURE).stat().st_size
        assert progress.total == Path(CAPTURE).stat().st_size
        progress.bar.refresh()  # type: ignore[union-attr]
    finally:
        progress.close()
    text = out.getvalue()
    assert "kB" in text and "%" in text and "frames" in text
    assert _cursor_shown_at_the_end(text)


@pytest.mark.parametrize("stop", [RuntimeError("boom"), KeyboardInterrupt()])
def test_progress_is_stopped_with_the_cursor_shown_on_errors_and_ctrl_c(
    stop: BaseException,
) -> None:
    console, out = _terminal()
    progress = FileProgress([CAPTURE], console, delay_s=0, every=1)
    seen = 0

    def interrupt(_capture: int, _frame: object) -> None:
        nonlocal seen
        seen += 1
        if seen == 20:
            raise stop

    with pytest.raises(type(stop)):
        try:
            run([CAPTURE], sinks=[progress, interrupt])
        finally:
            progress.close()
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

    def sink(quiet: bool = False, sources: tuple[str, ...] = ()) -> FileProgress:
        made.append(FileProgress(sources, console, delay_s=0, every=1))
        return made[-1]

    real_run = dispatch.run

    def failing_run(*args: object, **kwargs: object) -> object:
        def explode(_c: int, _f: object, n: list[int] = [0]) -> None:  # noqa: B006
            n[0] += 1
            if n[0] == 30:
                raise KeyboardInterrupt

        kwargs["sinks"] = [*kwargs["sinks"], explode]  # type: ignore[list-item]
        return real_run(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(progress_module, "progress_sink", sink)
    monkeypatch.setattr(dispatch, "run", failing_run)
    assert main(["analyze", CAPTURE, "--jobs", "1"]) == 130
    assert made and made[0].bar is None
    assert _cursor_shown_at_the_end(out.getvalue())
