"""Reading CSV text whose fields may be longer than the csv module allows by default."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["fields_up_to"]


@contextmanager
def fields_up_to(size: int) -> Iterator[None]:
    """Let the csv module read a field as long as `size`, then restore its limit.

    The callers pass the length of text already in memory: no field can be longer, so
    the module's default of 131,072 characters would only lose rows, never save memory.
    """
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, size + 1))
    try:
        yield
    finally:
        csv.field_size_limit(previous)
