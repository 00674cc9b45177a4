"""Shared fixtures: where the real captures are, and the external oracles (tshark, aircrack-ng)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PUBLIC = REPO.parent / "shared" / "pcaps" / "public"


def public_captures() -> list[Path]:
    if not PUBLIC.is_dir():
        return []
    return sorted(p for p in PUBLIC.iterdir() if p.name != "MANIFEST.tsv")


def public_capture_params() -> list:
    """`public_captures()` for parametrize, or one case skipped with the reason when absent."""
    reason = f"real captures not available: {PUBLIC} is absent"
    return public_captures() or [
        pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-public-captures")
    ]


@pytest.fixture
def public_dir() -> Path:
    if not PUBLIC.is_dir():
        pytest.skip(f"real captures not available: {PUBLIC} is absent")
    return PUBLIC


@pytest.fixture(scope="session")
def tshark() -> str:
    path = shutil.which("tshark")
    if path is None:
        pytest.skip("tshark is not installed (apt-get install tshark)")
    return path


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/*.json from the current results instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
