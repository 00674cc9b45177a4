"""Outputs that never destroy an input and never leave half a file under the real name.

Every file the tool writes goes through here. Before any work, `refuse_inputs` compares each
output with each input by identity (`os.stat`: device and inode, so symbolic and hard links
count) and by resolved path, and refuses with a user error (exit 2): captures are evidence.
A file is then written to a hidden temporary file in the target's directory and renamed over
the target only when it is complete (`atomic_file`, `atomic_path`); an error or an interrupt
removes the temporary file, and the old target, if any, stays. A directory of tables
(`Staged`) is written all under temporary names first, then renamed into place, and a `_SUCCESS`
marker, removed first and written last, says that the set is from one complete run.

A target that exists and is not a regular file (a FIFO, /dev/stdout) is written in place:
there is nothing to rename over.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from analyzer.errors import AnalyzerError

MARKER = "_SUCCESS"

PathLike = str | os.PathLike[str]


def _identity(path: PathLike) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _inputs(inputs: Iterable[PathLike | None]) -> list[tuple[str, tuple[int, int] | None, str]]:
    found = []
    for item in inputs:
        if item is None or os.fspath(item) in ("-", ""):
            continue
        path = os.fspath(item)
        found.append((path, _identity(path), os.path.realpath(path)))
    return found


def refuse_inputs(
    outputs: Iterable[PathLike], inputs: Iterable[PathLike | None], what: str = "output",
    made: bool = False,
) -> None:  # fmt: skip
    """A user error when an output is, or resolves to, one of the inputs (by device and
    inode, then by resolved path); unless `made` (the run creates the directory), also when
    an output's directory does not exist or the output is a directory."""
    known = _inputs(inputs)
    for out in outputs:
        target = os.fspath(out)
        ident, real = _identity(target), os.path.realpath(target)
        for path, in_ident, in_real in known:
            if (ident is not None and ident == in_ident) or real == in_real:
                same = "" if path == target else f" ({path})"
                raise AnalyzerError(
                    f"{what} {target} is an input{same}: refusing to overwrite it"
                )
        if made:
            continue
        parent = os.path.dirname(os.path.abspath(target))
        if not os.path.isdir(parent):
            raise AnalyzerError(f"{what} {target}: no such directory {parent}")
        if os.path.isdir(target):
            raise AnalyzerError(f"{what} {target}: is a directory, not a file")


def refuse_inside(
    directory: PathLike, suffixes: tuple[str, ...], inputs: Iterable[PathLike | None],
    what: str = "output directory",
) -> None:  # fmt: skip
    """A user error when an input is a file ending in one of `suffixes` inside `directory`
    (where a run writes files whose names are only known later) or is `directory` itself."""
    root = os.path.realpath(directory)
    for path, _ident, real in _inputs(inputs):
        if real == root or (
            os.path.dirname(real) == root and real.lower().endswith(suffixes)
        ):
            raise AnalyzerError(
                f"{what} {os.fspath(directory)} would overwrite the input {path}: "
                "choose another directory"
            )


def in_place(path: str) -> bool:
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def temp_name(path: str) -> str:
    directory, name = os.path.split(os.path.abspath(path))
    import tempfile  # here: `analyze` imports this module and never writes a file

    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    os.close(fd)
    return tmp


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[str]:
    """A temporary path beside `path` to write by name; renamed to `path` when the block ends
    without an exception, removed otherwise."""
    target = os.fspath(path)
    if in_place(target):
        yield target
        return
    tmp = temp_name(target)
    try:
        yield tmp
        publish(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_file(path: PathLike, mode: str = "wb", **kwargs: Any) -> Iterator[IO[Any]]:
    """`open(path, mode)` that only ever shows the complete file under `path`."""
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as f:
        yield f


def publish(tmp: str, target: PathLike) -> None:
    """The finished temporary file `tmp` under its real name `target`."""
    _keep_mode(tmp)
    os.replace(tmp, target)


def _keep_mode(tmp: str) -> None:
    """mkstemp makes 0600 files; give the output the mode `open` would (0666 & ~umask)."""
    umask = os.umask(0)
    os.umask(umask)
    with contextlib.suppress(OSError):
        os.chmod(tmp, 0o666 & ~umask)


class Staged:
    """Files of one directory written under temporary names, renamed into place together by
    `commit` (the `_SUCCESS` marker removed before and written after), or removed by `abort`."""

    def __init__(self, directory: PathLike) -> None:
        self.directory = Path(directory)
        self._staged: list[tuple[str, Path]] = []
        self.written: list[Path] = []

    def __enter__(self) -> Staged:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AnalyzerError(f"cannot create {self.directory}: {exc.strerror or exc}") from None
        return self

    def path(self, name: str) -> str:
        """Where to write the file that will be `directory/name`."""
        target = self.directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_name(str(target))
        self._staged.append((tmp, target))
        return tmp

    def commit(self) -> list[Path]:
        marker = self.directory / MARKER
        marker.unlink(missing_ok=True)
        for tmp, target in self._staged:
            publish(tmp, target)
        with atomic_file(marker, "w", encoding="utf-8") as f:
            f.writelines(f"{target.relative_to(self.directory)}\n" for _, target in self._staged)
        self.written = [target for _, target in self._staged]
        self._staged = []
        return self.written

    def abort(self) -> None:
        for tmp, _target in self._staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self._staged = []

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()
