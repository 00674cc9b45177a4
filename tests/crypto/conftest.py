"""Make ``analyzer`` importable when the package is not installed.

Stop-gap for the crypto tests only: drop this file once pyproject sets
``[tool.pytest.ini_options] pythonpath = ["."]`` or the venv has ``pip install -e .``.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
