"""The layering of analyzer/run/ read from the source (every import, function-level and
TYPE_CHECKING ones included): the engine imports no runner, the decode and roam stages import
nothing of analyzer.run, and the runners import each other without a cycle."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "analyzer"
ENGINE = "analyzer.run.engine"
RUN = "analyzer.run"
STAGES = ("analyzer.capture", "analyzer.dot11", "analyzer.tshark", "analyzer.crypto",
          "analyzer.config", "analyzer.logs", "analyzer.roam", "analyzer.decrypt",
          "analyzer.reinstall", "analyzer.prove")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imported(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The analyzer modules `name` imports: `from P import m` names module P.m when it is one."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base


def _imports() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: {m for m in _imported(name, path, known) if m.startswith("analyzer")}
            for name, path in modules.items()}


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _runner_cycle(imports: dict[str, set[str]]) -> list[str] | None:
    graph = {m: {d for d in deps if _in(d, RUN) and d != m}
             for m, deps in imports.items() if _in(m, RUN)}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module):], module]
        if module in done:
            return None
        for dep in sorted(graph.get(module, ())):
            if cycle := visit(dep, [*path, module]):
                return cycle
        done.add(module)
        return None

    return next((c for m in sorted(graph) if (c := visit(m, []))), None)


def test_the_runners_live_in_analyzer_run() -> None:
    imports = _imports()
    for runner in ("dispatch", "jobs", "partitions", "dask", "many", "sensors", "live",
                   "live_sensors", "procs"):
        assert f"{RUN}.{runner}" in imports
    assert ENGINE in imports["analyzer.run.jobs"]  # the scan sees imports
    old = {"pipeline", "parallel", "bystation", "daskrun", "many", "merge", "live",
           "live_sensors", "procs"}
    assert not {f"analyzer.{m}" for m in old} & set(imports)


def test_the_engine_imports_no_runner() -> None:
    runners = {m for m in _imports()[ENGINE] if _in(m, RUN)}
    assert runners <= {RUN}, sorted(runners)


def test_the_compiled_core_imports_only_the_engine_of_analyzer_run() -> None:
    for path in (PACKAGE / "_core").glob("*.pyx"):
        found = set(re.findall(r"(?:from|import)\s+(analyzer\.run[\w.]*)", path.read_text()))
        assert found <= {ENGINE}, (path.name, sorted(found))


def test_no_decode_or_roam_stage_imports_a_runner() -> None:
    offenders = {m: sorted(d for d in deps if _in(d, RUN))
                 for m, deps in _imports().items()
                 if any(_in(m, stage) for stage in STAGES)}
    assert "analyzer.roam.tracker" in offenders  # the stages were scanned
    assert not {m: d for m, d in offenders.items() if d}


def test_the_runners_import_each_other_without_a_cycle() -> None:
    assert _runner_cycle(_imports()) is None


def test_a_cycle_among_runners_is_found() -> None:
    imports = {"analyzer.run.a": {"analyzer.run.b"}, "analyzer.run.b": {"analyzer.run.c"},
               "analyzer.run.c": {"analyzer.run.a", ENGINE}, ENGINE: set()}
    assert _runner_cycle(imports) == ["analyzer.run.a", "analyzer.run.b", "analyzer.run.c",
                                      "analyzer.run.a"]
