"""Wi-Fi roam analyzer: per-station roam timelines, PMKSA-cache verdicts and latency from
monitor-mode captures. The notebook face is `load()`; the command line is `roam-analyzer`.

`analyzer.api` (and the DataFrame schemas it brings) is imported on first use of these names,
so that the command line starts without it."""

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

if _TYPE_CHECKING:
    from analyzer.api import Analysis, Roam, load  # noqa: F401

__all__ = ["Analysis", "Roam", "load"]


def __getattr__(name: str) -> _Any:
    if name in __all__:
        from analyzer import api

        return getattr(api, name)
    raise AttributeError(f"module 'analyzer' has no attribute {name!r}")
