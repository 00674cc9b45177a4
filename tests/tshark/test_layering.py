"""The tshark engine sits at the decode stage: it may use capture/, dot11/ and errors, never a
stage to its right (roam/, crypto/, report/, pipeline, api, cli)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

ALLOWED = ("analyzer.capture", "analyzer.dot11", "analyzer.errors", "analyzer.tshark")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_the_tshark_engine_imports_no_stage_to_its_right() -> None:
    modules = sorted((REPO / "analyzer" / "tshark").glob("*.py"))
    assert modules
    for path in modules:
        ours = {n for n in _imports(path) if n.startswith("analyzer")}
        assert all(n.startswith(ALLOWED) for n in ours), f"{path.name}: {sorted(ours)}"
