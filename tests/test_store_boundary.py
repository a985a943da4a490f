"""Only `store/` reaches the store's connection: everything else asks `Store` for what it needs."""

from __future__ import annotations

import ast
from pathlib import Path

import sanctionwatch

SOURCE = Path(sanctionwatch.__file__).parent
# The connection under an Ibis backend, and the backend's own way of running SQL text.
CONNECTION = {"con", "raw_sql"}


def reaches_connection(tree: ast.AST) -> list[int]:
    """Lines where `backend.con` or `backend.raw_sql` is read, whatever holds the backend."""
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in CONNECTION
        and isinstance(node.value, ast.Attribute | ast.Name)
        and (node.value.attr if isinstance(node.value, ast.Attribute) else node.value.id)
        in ("backend", "_backend")
    )


def test_the_check_finds_a_reach_into_the_connection() -> None:
    code = (
        "def f(store):\n"
        "    store.backend.con.execute('DELETE FROM rejects')\n"
        "    backend = store.backend\n"
        "    backend.raw_sql('DROP TABLE flows')\n"
        "    return store.backend.table('flows')\n"
    )
    assert reaches_connection(ast.parse(code)) == [2, 4]


def test_no_module_outside_the_store_reaches_its_connection() -> None:
    reaching = {
        f"{path.relative_to(SOURCE)}:{line}"
        for path in sorted(SOURCE.rglob("*.py"))
        if "store" not in path.relative_to(SOURCE).parts[:1]
        for line in reaches_connection(ast.parse(path.read_text(encoding="utf-8")))
    }
    assert reaching == set()
