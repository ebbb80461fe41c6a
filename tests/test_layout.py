"""The one-way flow: the delivery side (alerts) never reaches into the ingest side (monitor)."""

from __future__ import annotations

import ast

from conftest import REPO


def imported_modules(path) -> set[str]:  # noqa: ANN001
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_alerts_imports_nothing_from_monitor() -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(
            m for m in imported_modules(path) if m.split(".")[0] == "monitor"
        )
        for path in (REPO / "alerts").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
