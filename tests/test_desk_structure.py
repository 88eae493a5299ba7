"""The desk's structure: only the app imports the screens, and widgets stand below the
screens (grimp counts TYPE_CHECKING imports too; cycles: tests/test_architecture.py)."""

from __future__ import annotations

import grimp
import pytest


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("casework", include_external_packages=True, cache_dir=None)


def test_screens_never_import_the_app(graph: grimp.ImportGraph) -> None:
    chain = graph.find_shortest_chain(importer="casework.screens", imported="casework.app")
    assert chain is None, chain
    for module in graph.find_children("casework.screens"):
        assert graph.find_shortest_chain(importer=module, imported="casework.app") is None


def test_widgets_stand_below_screens_and_app(graph: grimp.ImportGraph) -> None:
    for upper in ("casework.screens", "casework.app", "casework.cli", "casework.services"):
        chain = graph.find_shortest_chain(importer="casework.widgets", imported=upper)
        assert chain is None, chain


def test_formats_need_no_textual(graph: grimp.ImportGraph) -> None:
    chain = graph.find_shortest_chain(importer="casework.widgets.formats", imported="textual")
    assert chain is None, chain
