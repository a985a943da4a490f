"""Read a regime catalog from YAML, with errors that name the file, line and field."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.regime._model import Regime, RegimeConsistencyError

__all__ = ["RegimeError", "catalog_names", "load_regime", "resolve_regime"]

_CATALOG = "sanctionwatch.regime.catalog"


class RegimeError(SanctionwatchError):
    """A regime file that cannot be read or does not validate."""

    def __init__(self, path: str, line: int | None, field: str, message: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")
        self.path = path
        self.line = line
        self.field = field
        self.reason = message


def catalog_names() -> list[str]:
    """Regimes shipped with sanctionwatch, by name (the file name without .yaml)."""
    files = resources.files(_CATALOG).iterdir()
    return sorted(f.name.removesuffix(".yaml") for f in files if f.name.endswith(".yaml"))


def resolve_regime(name_or_path: str | Path) -> Regime:
    """A shipped regime by name (`un-dprk`), or a regime file by path."""
    text = str(name_or_path)
    if text in catalog_names():
        source = resources.files(_CATALOG).joinpath(f"{text}.yaml")
        return _parse(source.read_text(encoding="utf-8"), f"{text}.yaml")
    path = Path(text)
    if not path.exists():
        names = ", ".join(catalog_names())
        raise SanctionwatchError(
            f"{text}: no such regime file or shipped regime (shipped: {names})"
        )
    return load_regime(path)


def load_regime(path: str | Path) -> Regime:
    """Load and validate a regime file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RegimeError(str(path), None, "", error.strerror or str(error)) from error
    except UnicodeDecodeError as error:
        raise RegimeError(str(path), None, "", "not UTF-8 text") from error
    return _parse(text, str(path))


def _parse(text: str, label: str) -> Regime:
    yaml = YAML(typ="rt")
    try:
        document = yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise RegimeError(label, line, "", f"not valid YAML: {error.problem}") from error
    if not isinstance(document, CommentedMap):
        raise RegimeError(label, 1, "", "expected a mapping with id, name, target and measures")
    try:
        return Regime.model_validate(_plain(document))
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
    return RegimeError(label, _line_of(document, loc), _describe(document, loc), message)


def _describe(document: CommentedMap, loc: tuple[str | int, ...]) -> str:
    """A field path a person can read: measures[7] (2371-op8).grace.days"""
    text = ""
    node: Any = document
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, CommentedSeq) and part < len(node) else None
            if isinstance(node, CommentedMap) and "id" in node:
                text += f" ({node['id']})"
        else:
            text += f".{part}" if text else part
            node = node.get(part) if isinstance(node, CommentedMap) else None
    return text


def _line_of(document: CommentedMap, loc: tuple[str | int, ...]) -> int:
    """1-based line of the deepest part of `loc` present in the file."""
    line = 0
    node: Any = document
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.value(part)[0] if _is_scalar(node[part]) else node.lc.key(part)[0]
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line = node.lc.item(part)[0]
            node = node[part]
        else:
            break
    return line + 1


def _is_scalar(value: object) -> bool:
    return not isinstance(value, CommentedMap | CommentedSeq)


def _plain(node: Any) -> Any:
    """ruamel's round-trip containers as plain dicts and lists for pydantic."""
    if isinstance(node, CommentedMap):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node
