"""YAML files people write (regimes, relief packages, column mappings): read with every
value's line kept, and every YAML file sanctionwatch reads goes through `read_mapping`.

Errors point at the file, the line and the field, so a mistake can be found without reading
a traceback. A file is untrusted input: aliases that would repeat more than a bounded number of
values, and nesting deeper than any real file needs, are refused before anything is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer, MaxDepthExceededError
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from sanctionwatch._errors import SanctionwatchError

__all__ = [
    "MAX_DEPTH",
    "MAX_REPEATED_VALUES",
    "LocatedError",
    "describe",
    "line_of",
    "plain",
    "read_mapping",
]

MAX_REPEATED_VALUES = 10_000
"""How many values aliases may repeat in one file: far more than anchors for shared citations
need, far fewer than the billions a few hundred bytes of nested aliases expand to."""

MAX_DEPTH = 64
"""How deeply collections may nest; a regime nests about eight levels deep."""


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
        document = _reader().load(text)
    except _RefusedError as failure:
        raise error(label, failure.problem_mark.line + 1, "", str(failure.problem)) from failure
    except MaxDepthExceededError as failure:
        line = failure.problem_mark.line + 1
        raise error(label, line, "", f"nested more than {MAX_DEPTH} levels deep") from failure
    except MarkedYAMLError as failure:
        mark = failure.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise error(label, line, "", f"not valid YAML: {failure.problem}") from failure
    except (YAMLError, ValueError) as failure:
        raise error(label, None, "", f"not valid YAML: {failure}") from failure
    if not isinstance(document, CommentedMap):
        raise error(label, 1, "", f"expected {expected}")
    return document


def _reader() -> YAML:
    reader = YAML(typ="rt")
    reader.Composer = _BoundedComposer
    reader.Constructor = _Constructor
    reader.max_depth = MAX_DEPTH
    return reader


class _RefusedError(MarkedYAMLError):
    """Well-formed YAML that is not read: its `problem` says why, at `problem_mark`."""


class _BoundedComposer(Composer):
    """Composes the node graph as usual (an alias is one shared node, so composing is cheap)
    while totting up how many values the aliases would repeat once expanded, and refuses the
    file at the alias that passes `MAX_REPEATED_VALUES`, or at an alias inside its own anchor,
    which would expand without end."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.warn_double_anchors = False
        self._sizes: dict[int, int] = {}
        self._repeated = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        node = super().compose_node(parent, index)
        if isinstance(event, AliasEvent):
            size = self._sizes.get(id(node))
            if size is None:
                raise _RefusedError(
                    problem=f"alias *{event.anchor} lies inside its own anchor, so it never ends",
                    problem_mark=event.start_mark,
                )
            self._repeated += size
            if self._repeated > MAX_REPEATED_VALUES:
                raise _RefusedError(
                    problem=(
                        f"aliases repeat more than {MAX_REPEATED_VALUES} values by here "
                        "(nested aliases expand exponentially); write the values out"
                    ),
                    problem_mark=event.start_mark,
                )
        else:
            self._sizes[id(node)] = 1 + sum(self._sizes[id(child)] for child in _children(node))
        return node


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


class _Constructor(RoundTripConstructor):
    """Leaves a date YAML cannot build (2017-13-45) as its text, so the model that expects a
    date refuses it with the file, line and field instead of the parser failing with none."""

    def construct_date_or_text(self, node: Node) -> Any:
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_date_or_text)


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
