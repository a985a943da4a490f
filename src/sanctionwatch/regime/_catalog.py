"""The shipped regimes: one folder each under `catalog/`, named by the regime's id.

A folder holds `measures.yaml` (the regime itself) and the data analyses of that regime use
beside the law: `neighbours.yaml` (states a target's goods can go to), `lookalikes.yaml` (codes
banned goods can be declared as) and `packages/` (example relief packages). Adding a regime
is adding a folder.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

from sanctionwatch._errors import SanctionwatchError

__all__ = ["MEASURES", "catalog_names", "regime_file", "regime_packages"]

MEASURES = "measures.yaml"
"""The file in a regime's folder that holds the regime."""

_CATALOG = "sanctionwatch.regime.catalog"
_PACKAGES = "packages"


def _folders() -> dict[str, Traversable]:
    catalog = resources.files(_CATALOG)
    return {f.name: f for f in catalog.iterdir() if f.is_dir() and f.joinpath(MEASURES).is_file()}


def catalog_names() -> list[str]:
    """Regimes shipped with sanctionwatch, by id (the name of their folder)."""
    return sorted(_folders())


def regime_file(regime_id: str, name: str) -> Traversable:
    """The file `name` in the folder of the shipped regime `regime_id`."""
    folder = _folders().get(regime_id)
    if folder is None:
        names = ", ".join(catalog_names())
        raise SanctionwatchError(f"{regime_id}: not a shipped regime (shipped: {names})")
    found = folder.joinpath(name)
    if not found.is_file():
        raise SanctionwatchError(f"{regime_id}: the shipped regime has no {name}")
    return found


def regime_packages(regime_id: str | None = None) -> dict[str, Traversable]:
    """Relief packages shipped with the regime `regime_id` (every shipped regime's when None),
    by name: the file name without .yaml."""
    folders = _folders()
    if regime_id is None:
        chosen = list(folders.values())
    else:
        chosen = [folders[regime_id]] if regime_id in folders else []
    found: dict[str, Traversable] = {}
    for folder in chosen:
        packages = folder.joinpath(_PACKAGES)
        if packages.is_dir():
            for file in packages.iterdir():
                if file.name.endswith(".yaml"):
                    found[file.name.removesuffix(".yaml")] = file
    return dict(sorted(found.items()))
