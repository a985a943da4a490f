"""Figures written for people: the same wording in the CLI, the report and explanations."""

from __future__ import annotations

__all__ = ["counted", "usd"]


def usd(value: float | None) -> str:
    """US$ for reading: 2.54bn, 410.4m, 18,972."""
    if value is None:
        return "-"
    size = abs(value)
    if size >= 1e9:
        return f"US${value / 1e9:,.2f}bn"
    if size >= 1e6:
        return f"US${value / 1e6:,.1f}m"
    return f"US${value:,.0f}"


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """A count with its noun in the right number: 1 finding, 2 findings, 1,204 entries."""
    noun = singular if count == 1 else (plural or f"{singular}s")
    return f"{count:,} {noun}"
