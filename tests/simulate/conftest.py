"""Captures written once per session by the builder, with their ground truth."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from analyzer.simulate import BUILDERS

from .extras import everything


@dataclass(frozen=True, slots=True)
class Built:
    path: Path
    truth: dict[str, Any]
    frames: list[tuple[int, bytes]]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    out = tmp_path_factory.mktemp("simulate")
    makers = {**BUILDERS, "everything": everything}
    result = {}
    for name, make in makers.items():
        sc = make("pcapng")
        path = out / f"{name}.pcapng"
        sc.write(path)
        result[name] = Built(path, sc.truth(), list(sc.frames()))
    return result


@pytest.fixture(scope="session")
def aircrack() -> str:
    path = shutil.which("aircrack-ng")
    if path is None:
        pytest.skip("aircrack-ng is not installed (apt-get install aircrack-ng)")
    return path
