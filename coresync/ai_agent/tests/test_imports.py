"""The concierge's modules import in one direction: no module imports one that imports it back, lazily or not."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent
PACKAGE = "coresync.ai_agent"


def _modules() -> dict[str, Path]:
    found = {}
    for path in APP.rglob("*.py"):
        relative = path.relative_to(APP).with_suffix("")
        if relative.parts[0] in ("tests", "migrations"):
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        found[".".join((PACKAGE, *parts))] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every module of the app ``name`` imports, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = {f"{target}.{alias.name}" for alias in node.names} & modules.keys()
            out |= submodules or ({target} & modules.keys())
        elif isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names} & modules.keys()
    return out - {name}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target] if target in path else [*path, target]
            if state.get(target) is None and (found := visit(target, [*path, target])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if state.get(start) is None and (found := visit(start, [start])):
            return found
    return None


def test_no_import_cycles_inside_the_concierge():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert f"{PACKAGE}.tasks" not in graph[f"{PACKAGE}.services"]  # services announce events; receivers queue tasks
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))
