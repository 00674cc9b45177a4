"""Start-up: `analyze FILE --format json` imports only what that run uses (issue 18 item 5).
The set of modules is asserted, never a time: `python -X importtime` names every import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

CAPTURE = sorted((REPO / "pcaps").glob("*.pcap*"))[0]

# Never needed to analyse one uncompressed capture into JSON without keys or expectations:
# the notebook and plotting stacks, Dask, the progress bar (quiet when not a terminal), the
# AEAD/CMAC library (only keys check MICs or decrypt), the process pools (--jobs, directories),
# TOML (an expectations file), gzip (a compressed capture), the several-sensors engine.
NOT_IMPORTED = (
    "pandas",
    "matplotlib",
    "dask",
    "distributed",
    "numpy",
    "rich",
    "cryptography",
    "multiprocessing",
    "concurrent.futures",
    "tomllib",
    "gzip",
    "analyzer.api",
    "analyzer.crypto.ccmp",
    "analyzer.run.sensors",
    "analyzer.roam.sensors",
    "analyzer.simulate",
)


def imported_modules(*argv: str | Path) -> set[str]:
    """Every module `python -X importtime -m analyzer ARGV` imports (this checkout's)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "analyzer",
                           *map(str, argv)], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=120)  # fmt: skip
    assert proc.returncode in (0, 3), proc.stderr[-2000:]
    return {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
            if line.startswith("import time:") and "|" in line}  # fmt: skip


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.fixture(scope="module")
def analyze_imports() -> set[str]:
    return imported_modules("analyze", CAPTURE, "--format", "json")


def test_analyze_json_imports_nothing_it_does_not_use(analyze_imports: set[str]) -> None:
    unused = sorted(m for m in analyze_imports for p in NOT_IMPORTED if _under(m, p))
    assert unused == []


def test_analyze_json_imports_the_engine_it_runs(analyze_imports: set[str]) -> None:
    """The measurement sees the run's own modules (the assertion above is not vacuous)."""
    assert {"analyzer.run.engine", "analyzer.roam.tracker", "analyzer.report.jsonout",
            "analyzer.crypto.keys"} <= analyze_imports  # fmt: skip


def test_crypto_package_loads_its_modules_on_first_use() -> None:
    code = ("import sys, analyzer.crypto as c\n"
            "assert 'cryptography' not in sys.modules\n"
            "assert all(getattr(c, name) for name in c.__all__)\n"
            "assert 'analyzer.crypto.ccmp' in sys.modules\n"
            "assert not hasattr(c, 'no_such_name')\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)
