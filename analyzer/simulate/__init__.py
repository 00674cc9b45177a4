"""Scenario builder: cryptographically valid monitor-mode captures from a short description.

It shares no code with ``analyzer.dot11`` or ``analyzer.roam`` (it is their test oracle) and
uses only ``analyzer.crypto`` and ``analyzer.capture.writer``.
"""

from .bench import bench_mix
from .library import BUILDERS, SCENARIOS, simulate
from .scenario import Scenario

__all__ = ["BUILDERS", "SCENARIOS", "Scenario", "bench_mix", "simulate"]
