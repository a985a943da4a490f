"""Rows read back from the store as the frozen dataclasses the API returns."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

__all__ = ["from_record"]

_Record = TypeVar("_Record")


def from_record(kind: type[_Record], record: Mapping[str, Any], **given: Any) -> _Record:
    """A `kind` (a dataclass) from the same-named fields of `record`; `given` fields win, and
    fields in neither keep their defaults."""
    assert dataclasses.is_dataclass(kind)
    names = {field.name for field in dataclasses.fields(kind)}
    values = {name: record[name] for name in names if name in record and name not in given}
    return kind(**values, **given)
