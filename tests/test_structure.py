"""The package's shape: imports form a DAG (module and package level), the pipeline's modules stay
small, and the executors know nothing of the pipeline they run."""

from __future__ import annotations

import ast
from pathlib import Path

import cotsynth

ROOT = Path(cotsynth.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in ROOT.rglob("*.py")}


def imports_of(name: str) -> set[str]:
    """The cotsynth modules a module imports, anywhere in it (a function-level import is an edge too)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names)
    return {m for m in found if m in MODULES and m != name}


def package_of(name: str) -> str:
    """`cotsynth.pipeline.steps.teacher` -> `pipeline`; a top-level module is its own package."""
    return name.split(".")[1] if name.count(".") >= 1 else name


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


MODULE_GRAPH = {name: imports_of(name) for name in MODULES}


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_import_cycle():
    assert cycles(MODULE_GRAPH) == []


def test_no_package_import_cycle():
    packages: dict[str, set[str]] = {}
    for name, targets in MODULE_GRAPH.items():
        here = package_of(name)
        packages.setdefault(here, set()).update(package_of(t) for t in targets if package_of(t) != here)
    assert cycles(packages) == []


def test_core_is_the_bottom():
    for name, targets in MODULE_GRAPH.items():
        if name.startswith("cotsynth.core"):
            assert all(t.startswith("cotsynth.core") for t in targets), (name, targets)


def test_pipeline_modules_are_small():
    sizes = {name: len(path.read_text().splitlines()) for name, path in MODULES.items() if name.startswith("cotsynth.pipeline")}
    assert sizes and max(sizes.values()) <= 250, {n: s for n, s in sizes.items() if s > 250}


def test_executors_know_nothing_of_the_pipeline():
    """Their one import, the progress board workers report to, imports nothing of cotsynth either."""
    assert imports_of("cotsynth.pipeline.executors") <= {"cotsynth.pipeline.progress_board"}
    assert imports_of("cotsynth.pipeline.progress_board") == set()
