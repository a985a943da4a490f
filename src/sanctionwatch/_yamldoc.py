"""YAML files people write (regimes, relief packages): read with every value's line kept.

Errors point at the file, the line and the field, so a mistake can be found without reading
a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from sanctionwatch._errors import SanctionwatchError

__all__ = ["LocatedError", "describe", "line_of", "plain", "read_mapping"]


class LocatedError(SanctionwatchError):
    """A file that cannot be read or does not validate: `path:line: field: reason`."""

    def __init__(self, path: str, line: int | None, field: str, message: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")
        self.path = path
        self.line = line
        self.field = field
        self.reason = message


def read_mapping(
    source: str | Path, error: type[LocatedError], expected: str, *, text: str | None = None
) -> CommentedMap:
    """The top-level mapping of a YAML file (or of `text`, reported under `source`)."""
    label = str(source)
    if text is None:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as failure:
            raise error(label, None, "", failure.strerror or str(failure)) from failure
        except UnicodeDecodeError as failure:
            raise error(label, None, "", "not UTF-8 text") from failure
    try:
        document = YAML(typ="rt").load(text)
    except MarkedYAMLError as failure:
        mark = failure.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise error(label, line, "", f"not valid YAML: {failure.problem}") from failure
    except (YAMLError, ValueError) as failure:
        raise error(label, None, "", f"not valid YAML: {failure}") from failure
    if not isinstance(document, CommentedMap):
        raise error(label, 1, "", f"expected {expected}")
    return document


def describe(document: CommentedMap, loc: tuple[str | int, ...]) -> str:
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


def line_of(document: CommentedMap, loc: tuple[str | int, ...]) -> int:
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


def plain(node: Any) -> Any:
    """ruamel's round-trip containers as plain dicts and lists for pydantic."""
    if isinstance(node, CommentedMap):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq):
        return [plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node
