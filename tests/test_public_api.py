"""The public surface is exactly what `__all__` says, and every module keeps its own list."""

from __future__ import annotations

import importlib
import pkgutil

import sanctionwatch


def test_all_names_the_public_api() -> None:
    public = {name for name in dir(sanctionwatch) if not name.startswith("_")}
    modules = {
        "analysis",
        "cli",
        "engine",
        "hs",
        "regime",
        "report",
        "screening",
        "service",
        "store",
        "synth",
        "trade",
    }
    assert public - modules == set(sanctionwatch.__all__)


def test_every_module_declares_all() -> None:
    missing = []
    for info in pkgutil.walk_packages(sanctionwatch.__path__, "sanctionwatch."):
        module = importlib.import_module(info.name)
        if not hasattr(module, "__all__") and not info.name.endswith(("catalog", "readers")):
            missing.append(info.name)
    assert missing == []
