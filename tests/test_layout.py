"""The layout: one package per stage, imports flowing one way, alerts never reaching into monitor.

The table below is the direction of every arrow. A change that turns one around (the store
importing the pipeline, a source importing the digest) fails here, and so does an import cycle
between any two modules, inside a package or across.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import REPO

# Shared leaves at the top of monitor/: anything may import them.
LEAVES = {"errors", "units", "logs", "metrics", "secrets"}

# package -> the packages (besides the leaves) it may import.
MAY_IMPORT: dict[str, set[str]] = {
    "rules": set(),
    "config": {"rules"},
    "extract": set(),
    "sources": {"extract"},
    "stories": {"sources", "extract"},
    "store": {"stories", "rules"},
    "pipeline": {"sources", "extract", "stories", "store", "rules", "config"},
    "digest": {"store", "rules", "config"},
    "service": {"pipeline", "digest", "sources", "extract", "stories", "store", "rules", "config"},
    "cli": {"service", "pipeline", "digest", "sources", "stories", "store", "rules", "config"},
}
MAX_LOOSE_MODULES = 8


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from monitor import metrics` names a module too
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def monitor_modules() -> dict[str, set[str]]:
    known = {module_name(p) for p in (REPO / "monitor").rglob("*.py")}
    return {
        module_name(p): {m for m in imported_modules(p) if m in known}
        for p in (REPO / "monitor").rglob("*.py")
    }


def stage(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def test_alerts_imports_nothing_from_monitor() -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(
            m for m in imported_modules(path) if m.split(".")[0] == "monitor"
        )
        for path in (REPO / "alerts").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_every_package_is_in_the_direction_table() -> None:
    packages = {p.parent.name for p in (REPO / "monitor").glob("*/__init__.py")}
    assert packages == set(MAY_IMPORT)


def test_imports_flow_one_way() -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in monitor_modules().items()
        for target in targets
        if stage(module)
        and target != "monitor"
        and stage(target) != stage(module)
        and stage(target) not in LEAVES
        and stage(target) not in MAY_IMPORT[stage(module)]
    )
    assert wrong == []


def test_leaves_import_no_stage() -> None:
    graph = monitor_modules()
    wrong = sorted(
        f"monitor.{leaf} imports {target}"
        for leaf in LEAVES
        for target in graph[f"monitor.{leaf}"]
        if stage(target) not in LEAVES
    )
    assert wrong == []


def test_no_import_cycles() -> None:
    graph = monitor_modules()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if target == module or target.startswith(module + "."):
                continue  # a package's __init__ re-exporting its own modules
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_few_loose_modules_and_each_package_says_what_it_owns() -> None:
    loose = [p.name for p in (REPO / "monitor").glob("*.py") if p.name != "__init__.py"]
    assert len(loose) <= MAX_LOOSE_MODULES, loose
    undocumented = [
        str(init.relative_to(REPO))
        for init in (REPO / "monitor").rglob("__init__.py")
        if not ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
    ]
    assert undocumented == []


def test_each_package_docstring_names_what_it_may_import() -> None:
    vague = [
        name
        for name in MAY_IMPORT
        if "May import" not in (REPO / "monitor" / name / "__init__.py").read_text()
    ]
    assert vague == []


# A SQL statement as a string literal starts: the store's modules are the only place for one.
SQL_STATEMENT = re.compile(r'"""?\s*(SELECT|INSERT INTO|DELETE FROM|UPDATE \w+ SET|WITH \w+ AS)\s')


def test_every_sql_statement_lives_in_the_store() -> None:
    outside = sorted(
        f"{path.relative_to(REPO)}:{text[: found.start()].count(chr(10)) + 1}"
        for root in ("monitor", "alerts")
        for path in (REPO / root).rglob("*.py")
        if REPO / "monitor" / "store" not in path.parents
        for text in [path.read_text(encoding="utf-8")]
        for found in SQL_STATEMENT.finditer(text)
    )
    assert outside == []


# The benchmark and the shared test servers ---------------------------------------------------


def tree_modules(*roots: str) -> dict[str, set[str]]:
    """Each module under ``roots`` -> the modules it imports (at any depth), by dotted name."""
    paths = [p for root in roots for p in (REPO / root).rglob("*.py")]
    return {module_name(p): imported_modules(p) for p in paths}


def private_names_imported(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]


def cycles_in(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if target not in graph or target == module:
                continue
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return found


def test_bench_has_no_import_cycle() -> None:
    assert cycles_in(tree_modules("bench")) == []


def test_bench_and_testsupport_import_no_private_names() -> None:
    wrong = {
        str(p.relative_to(REPO)): private_names_imported(p)
        for root in ("bench", "testsupport")
        for p in (REPO / root).rglob("*.py")
    }
    assert {k: v for k, v in wrong.items() if v} == {}


def test_tests_do_not_import_the_bench_and_testsupport_imports_neither() -> None:
    """The shared servers live in testsupport/, which bench may import; the tests import
    bench only where they test the bench itself (tests/test_bench*.py)."""
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in tree_modules("tests", "testsupport").items()
        if not module.startswith("tests.test_bench")
        for target in targets
        if target.split(".")[0] == "bench"
        or (module.startswith("testsupport") and target.split(".")[0] == "tests")
    )
    assert wrong == []
