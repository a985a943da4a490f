"""The lists screened by default and the score a match must reach: kept apart from the
matcher so that the command line can show them without loading it."""

from __future__ import annotations

__all__ = ["DEFAULT_THRESHOLD", "LIST_SOURCES"]

LIST_SOURCES = ("un", "ofac")

DEFAULT_THRESHOLD = 0.9
"""Chosen on the labelled evaluation set (`sanctionwatch.screening.evaluate`)."""
