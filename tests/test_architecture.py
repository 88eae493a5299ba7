"""The core (models, services, matching, database) must work without Textual, and the
services and the command line import without cycles."""

from __future__ import annotations

import subprocess
import sys

import grimp


def test_core_imports_no_textual() -> None:
    code = (
        "import sys, casework.db, casework.models, casework.services, casework.refdata, "
        "casework.synthetic.demo; "
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_engine_is_built_at_import_time() -> None:
    code = (
        "import sqlalchemy.engine.create as c; calls = []; orig = c.create_engine; "
        "import sqlalchemy; sqlalchemy.create_engine = lambda *a, **k: calls.append(a); "
        "import casework.app, casework.cli, casework.services; print(len(calls))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """The import cycles among ``modules``: strongly connected components of more than
    one module (Tarjan), each sorted."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & modules) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in edges[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return sorted(found)


def test_no_import_cycles_in_casework() -> None:
    """No module of casework imports, even inside a function or for typing only, one that
    imports it back: shared pieces live in the lower module they belong to. (import-linter's
    acyclic_siblings contract checks siblings; this also catches a package and its own
    submodule, e.g. casework.cli and casework.cli.init.)"""
    graph = grimp.build_graph("casework")
    assert _cycles(graph, set(graph.modules)) == []
