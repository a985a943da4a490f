"""The fewest rows a synthetic world holds: below it the planted findings would be most of
it. Kept apart from the generator so that the command line can check it without loading it."""

from __future__ import annotations

__all__ = ["MIN_ROWS"]

MIN_ROWS = 10_000
