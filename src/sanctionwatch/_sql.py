"""Text quoted into SQL: the one rule every statement built in Python follows.

A quote inside is doubled. A NUL character is refused: SQL text cannot hold one, and cutting or
replacing it here would make the statement say something its caller did not ask for. Callers
that show file text with a NUL in it (a header name, say) replace it themselves first.
"""

from __future__ import annotations

from collections.abc import Iterable

from sanctionwatch._errors import SanctionwatchError

__all__ = ["identifier", "literal", "literals"]


def _without_nul(text: str) -> str:
    if "\0" in text:
        raise SanctionwatchError(f"SQL text cannot hold a NUL character: {text!r}")
    return text


def identifier(name: str) -> str:
    """`name` as an SQL identifier, between double quotes."""
    return '"' + _without_nul(name).replace('"', '""') + '"'


def literal(value: str) -> str:
    """`value` as an SQL string literal, between single quotes."""
    return "'" + _without_nul(value).replace("'", "''") + "'"


def literals(values: Iterable[str]) -> str:
    """`values` as string literals separated by commas, for `IN (...)` or an enum."""
    return ", ".join(literal(value) for value in values)
