"""The one exception family users see: a message that stands on its own line."""

from __future__ import annotations

__all__ = ["SanctionwatchError", "StoreInUse"]


class SanctionwatchError(Exception):
    """Bad input or a state the user can fix; the message says where and what was expected."""


class StoreInUse(SanctionwatchError):
    """The store is held by another process: nothing is wrong with the request, and the same
    request succeeds once that process has finished."""
