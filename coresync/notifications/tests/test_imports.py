"""The e-mails sit below the web pages: nothing in notifications imports ``coresync.web`` (issue 9).

The manage-booking link builder they share lives in ``coresync.core.links``.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
    return found


def test_notifications_never_import_the_web_app():
    offenders = [
        f"{path.relative_to(APP)}:{line} imports {module}"
        for path in APP.rglob("*.py")
        if not {"tests", "migrations"} & set(path.relative_to(APP).parts)
        for module, line in _imports(path)
        if module == "coresync.web" or module.startswith("coresync.web.")
    ]
    assert offenders == []
