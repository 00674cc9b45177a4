"""The optional compiled core (Cython, `_core.pyx`): a pcap/pcapng record walk over a reused
buffer, the frame classifier (`peek`), the FCS check and the lean header fields, feeding the
unchanged Python roam engine. The pure-Python path stays the reference and the fallback: both
give the same results, byte for byte (tests/core).

Which engine runs is decided here and nowhere else: the compiled core when it was built and
`ROAM_ANALYZER_PURE` is unset or "0"; the pure path otherwise (`roam-analyzer --pure` sets the
variable, so worker processes inherit the choice).
"""

from __future__ import annotations

import os
from types import ModuleType

ENV = "ROAM_ANALYZER_PURE"

try:
    from analyzer._core import _core as _compiled
except ImportError as exc:  # not built: no compiler, no Cython, or ROAM_ANALYZER_NO_CORE=1
    _compiled = None
    _missing = f"{type(exc).__name__}: {exc}"
else:
    _missing = ""


def available() -> bool:
    """The compiled core was built and imports."""
    return _compiled is not None


def pure() -> bool:
    """The pure-Python path was asked for (ROAM_ANALYZER_PURE set and not "0")."""
    return os.environ.get(ENV, "") not in ("", "0")


def set_pure(on: bool) -> None:
    """Select the pure path (True) or the compiled core when built (False), for this process
    and the processes it starts."""
    if on:
        os.environ[ENV] = "1"
    else:
        os.environ.pop(ENV, None)


def core() -> ModuleType | None:
    """The compiled module when it is built and not switched off, else None."""
    if _compiled is None or pure():
        return None
    return _compiled


def engine() -> str:
    """One line: which engine runs, and why when it is the pure path."""
    if _compiled is None:
        return "engine: python (compiled core not built; pure-Python path)"
    if pure():
        return f"engine: python ({ENV}=1)"
    return "engine: core (compiled, Cython)"


def why_missing() -> str:
    """The import error when the compiled core is not built, else ''."""
    return _missing
