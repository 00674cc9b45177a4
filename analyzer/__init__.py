"""Wi-Fi roam analyzer: per-station roam timelines, PMKSA-cache verdicts and latency from
monitor-mode captures. The notebook face is `load()`; the command line is `roam-analyzer`."""

from analyzer.api import Analysis, Roam, load

__all__ = ["Analysis", "Roam", "load"]
