"""Packages whose public names are imported on first use.

A package lists where each of its names lives; `lazy_names` gives it the module `__getattr__`
and `__dir__` (PEP 562) that import the name's module when the name is first asked for, and
keep the name from then on. The command line then starts without the DuckDB, Ibis and pyarrow
that most of the library stands on, and a program pays for them only when it uses them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    namespace: dict[str, Any], public: Sequence[str], homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for the package whose globals are `namespace`: `homes` maps
    each name of `public` to the module it is imported from."""
    package = namespace["__name__"]
    missing = sorted(set(public) - set(homes))
    if missing:
        raise ImportError(f"{package}: no module given for {', '.join(missing)}")

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        submodules = {
            name
            for name, value in namespace.items()
            if isinstance(value, ModuleType) and value.__name__ == f"{package}.{name}"
        }
        return sorted({*public, *submodules})

    return __getattr__, __dir__
