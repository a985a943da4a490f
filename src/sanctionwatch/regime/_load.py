"""Read a regime catalog from YAML, with errors that name the file, line and field."""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._yamldoc import LocatedError, describe, line_of, plain, read_mapping
from sanctionwatch.regime._catalog import MEASURES, catalog_names, regime_file
from sanctionwatch.regime._model import Regime, RegimeConsistencyError

__all__ = ["RegimeError", "load_regime", "resolve_regime"]

_EXPECTED = "a mapping with id, name, target and measures"


class RegimeError(LocatedError):
    """A regime file that cannot be read or does not validate."""


def resolve_regime(name_or_path: str | Path) -> Regime:
    """A shipped regime by name (`un-dprk`), or a regime file by path."""
    text = str(name_or_path)
    if text in catalog_names():
        return _shipped(text)
    path = Path(text)
    if not path.exists():
        names = ", ".join(catalog_names())
        raise SanctionwatchError(
            f"{text}: no such regime file or shipped regime (shipped: {names})"
        )
    return load_regime(path)


def load_regime(path: str | Path) -> Regime:
    """Load and validate a regime file."""
    return _validate(read_mapping(path, RegimeError, _EXPECTED), str(path))


@functools.cache
def _shipped(name: str) -> Regime:
    """A shipped regime, read once per process: its file is part of the installed package,
    `Regime`s are frozen, and reading and validating the catalog takes about half a second,
    where an analysis may resolve it several times (relief, once per package)."""
    label = f"{name}/{MEASURES}"
    text = regime_file(name, MEASURES).read_text(encoding="utf-8")
    return _validate(read_mapping(label, RegimeError, _EXPECTED, text=text), label)


def _validate(document: CommentedMap, label: str) -> Regime:
    try:
        return Regime.model_validate(plain(document))
    except ValidationError as error:
        raise _first_error(error, document, label) from None


def _first_error(error: ValidationError, document: CommentedMap, label: str) -> RegimeError:
    detail = error.errors()[0]
    loc: tuple[str | int, ...] = tuple(detail["loc"])
    message = detail["msg"].removeprefix("Value error, ")
    cause = detail.get("ctx", {}).get("error")
    if isinstance(cause, RegimeConsistencyError):
        loc = loc + cause.loc
        message = str(cause)
    return RegimeError(label, line_of(document, loc), describe(document, loc), message)
