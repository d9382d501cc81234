"""Layers without cycles: every app imports only apps on its own floor or below, and no two apps import each other.

The house, ground floor first (docs/architecture.md):

    core                                   errors, snapshots, on-commit helpers: imports no app
    accounts, integrations, outbox         beside core: people, the outside world, the outbox
    catalog                                what is sold, where (knows nothing of who works or who is a member)
    memberships, technicians               tiers and members; who works when (the scheduling read model)
    bookings                               combines catalog + schedules + tiers; the booking services
    notifications, ai_agent, web           the channels people see
    privacy                                a customer's data exported or erased across every app
    demo                                   the demo spa's seeding and ``runall``: may import every app

Every ``import`` and ``from ... import`` of each ``coresync.<app>`` package counts,
at module level and inside functions alike, and so do ``import_module`` /
``import_string`` calls with a literal ``"coresync.<app>..."`` path; tests and
migrations are left out. The project's frame (``settings``, ``urls``, ``celery``,
``asgi``) sits outside the floors and may wire every app together.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "coresync"
FLOORS: dict[str, int] = {
    "core": 0,
    "accounts": 1,
    "audit": 1,  # the security log: written by every floor above, imports only core
    "integrations": 1,
    "outbox": 1,
    "catalog": 2,
    "memberships": 3,
    "technicians": 3,
    "bookings": 4,
    "notifications": 5,
    "payments": 5,  # beside notifications (sends its mails through them), below nothing it imports; web may show payments
    "ai_agent": 5,
    "web": 5,
    "calendars": 5,  # the diary outside CoreSync (feeds, Google Calendar): reads bookings, beside the channels
    "sheets": 5,  # the owner's Google Sheets (prices in; hours and the outbox queue out): reads bookings and work logs
    "staff": 5,
    "analytics": 5,
    "waitlist": 5,
    "accounting": 5,  # the books (QuickBooks receipts, reconcile): reads bookings and payments, mails through notifications
    "privacy": 6,  # a customer's data across every app: exported or anonymised in one place
    "demo": 7,
}
# Known edges being removed by their owners, each with its reason: (importer, imported).
# Empty: add an entry only with a comment naming the work that removes it.
ALLOWED: set[tuple[str, str]] = set()
SKIPPED_DIRS = {"tests", "migrations", "__pycache__"}
DYNAMIC_IMPORTERS = {"import_module", "import_string"}


def apps() -> list[str]:
    return sorted(p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists())


def _module_name(path: Path) -> list[str]:
    parts = ["coresync", *path.relative_to(ROOT).with_suffix("").parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imported_modules(path: Path) -> list[tuple[str, int]]:
    """Every module ``path`` imports, absolute, with its line number."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path)[:-1]
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - (node.level - 1)] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            # ``from coresync import bookings`` names the app in the imported names
            found += [(f"{module}.{alias.name}", node.lineno) for alias in node.names] if module == "coresync" else [(module, node.lineno)]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in DYNAMIC_IMPORTERS:
                found.append((node.args[0].value, node.lineno))
    return found


def import_graph() -> dict[tuple[str, str], list[str]]:
    """``{(importer app, imported app): ["path:line", ...]}`` for every import between two apps."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    known = set(apps())
    for app in known:
        for path in sorted((ROOT / app).rglob("*.py")):
            if SKIPPED_DIRS & set(path.relative_to(ROOT).parts):
                continue
            for module, line in _imported_modules(path):
                parts = module.split(".")
                if len(parts) > 1 and parts[0] == "coresync" and parts[1] in known and parts[1] != app:
                    edges[(app, parts[1])].append(f"{path.relative_to(ROOT.parent)}:{line}")
    return dict(edges)


def cycles(edges) -> list[list[str]]:
    """The strongly connected groups of more than one app (Tarjan), each sorted."""
    graph: dict[str, set[str]] = defaultdict(set)
    for importer, imported in edges:
        graph[importer].add(imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_every_app_has_a_floor():
    assert [app for app in apps() if app not in FLOORS] == [], "place each new coresync app on a floor in FLOORS"


def test_no_app_imports_an_app_on_a_higher_floor():
    upward = {
        edge: where
        for edge, where in import_graph().items()
        if edge not in ALLOWED and FLOORS.get(edge[0], 99) < FLOORS.get(edge[1], 99)
    }
    assert upward == {}, "\n".join(f"{a} (floor {FLOORS[a]}) imports {b} (floor {FLOORS[b]}): {', '.join(w)}" for (a, b), w in upward.items())


def test_no_import_cycle_between_apps():
    edges = {edge: where for edge, where in import_graph().items() if edge not in ALLOWED}
    found = cycles(edges)
    detail = [f"{a} -> {b}: {', '.join(w)}" for (a, b), w in sorted(edges.items()) if any({a, b} <= set(g) for g in found)]
    assert found == [], "import cycles between apps:\n" + "\n".join(detail)


def test_the_walk_sees_function_level_relative_and_dynamic_imports(tmp_path, monkeypatch):
    """The detector itself: a cycle hidden in a function, a relative import and an import_string are all found."""
    for app, source in {
        "low": "def f():\n    from coresync.high.models import X\n",
        "high": "from ..low import models\n",
        "side": "from django.utils.module_loading import import_string\nimport_string('coresync.low.thing')\n",
    }.items():
        (tmp_path / app).mkdir()
        (tmp_path / app / "__init__.py").write_text("")
        (tmp_path / app / "mod.py").write_text(source)
    (tmp_path / "low" / "tests").mkdir()
    (tmp_path / "low" / "tests" / "test_x.py").write_text("import coresync.side\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)

    edges = import_graph()

    assert set(edges) == {("low", "high"), ("high", "low"), ("side", "low")}
    assert cycles(edges) == [["high", "low"]]
