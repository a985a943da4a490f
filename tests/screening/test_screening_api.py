"""The screening package's public surface is exactly its `__all__`."""

from __future__ import annotations

import sanctionwatch.screening as screening


def test_all_is_the_public_surface() -> None:
    public = {name for name in dir(screening) if not name.startswith("_")}
    assert public == set(screening.__all__)
