"""Builds the optional compiled core (analyzer/_core/_core.pyx, Cython) next to the pure package.

Everything else is in pyproject.toml. The extension is optional: without Cython or a C compiler,
or with ROAM_ANALYZER_NO_CORE=1, the install still succeeds and the pure-Python path runs
(`roam-analyzer --version` says which engine is in use).
"""

import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

NOTE = "wifi-roam-analyzer: compiled core not built ({}); the pure-Python path will run"


class OptionalBuildExt(build_ext):
    """A failed compile is a note, never a failed install."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, no Python headers, ...
            print(NOTE.format(f"{type(exc).__name__}: {exc}"), file=sys.stderr)

    def build_extension(self, ext) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            print(NOTE.format(f"{type(exc).__name__}: {exc}"), file=sys.stderr)


def extensions() -> list:
    if os.environ.get("ROAM_ANALYZER_NO_CORE", "") not in ("", "0"):
        print(NOTE.format("ROAM_ANALYZER_NO_CORE is set"), file=sys.stderr)
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        print(NOTE.format("Cython is not installed"), file=sys.stderr)
        return []
    from setuptools import Extension

    ext = Extension(
        "analyzer._core._core",
        ["analyzer/_core/_core.pyx"],
        extra_compile_args=["-O2", "-g0"] if os.name == "posix" else [],
    )
    try:
        return cythonize(
            [ext],
            language_level=3,
            compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True,
                                 "initializedcheck": False},
            quiet=True,
        )
    except Exception as exc:  # a Cython that cannot translate it: the pure path
        print(NOTE.format(f"{type(exc).__name__}: {exc}"), file=sys.stderr)
        return []


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
