"""What the tool writes for others to read: strict JSON, spreadsheet-safe CSV, whole files.

Every JSON, CSV, HTML and text output goes through here, so that each holds the same promises:
- JSON is strict (RFC 8259): a value that is not a finite number (NaN, infinity) is written as
  null, never as `NaN` or `Infinity`, so every JSON parser reads it.
- CSV text cells that a spreadsheet would run as a formula (those beginning with `=`, `+`, `-`,
  `@`, a tab or a carriage return) are written with a leading `'`; numbers are left as numbers;
  line breaks inside a cell are written as LF, so that the cell is quoted.
- A file is written whole or not at all: into a temporary file beside it, then renamed over it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sanctionwatch._errors import SanctionwatchError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "csv_text",
    "json_text",
    "spreadsheet_safe",
    "table_csv_text",
    "tool_version",
    "write_atomic",
]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def tool_version() -> str:
    """The installed version of sanctionwatch, which outputs name so a reader can tell which
    release produced them."""
    return version("sanctionwatch")


def _finite(value: Any) -> Any:
    """`value` with every non-finite float inside it replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def json_text(payload: Any, *, indent: int | None = 2) -> str:
    """`payload` as strict JSON: non-finite numbers become null; other objects their str()."""
    return json.dumps(
        _finite(payload), indent=indent, ensure_ascii=False, allow_nan=False, default=str
    )


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as written: text that would start a formula gets a
    leading `'`; numbers and everything else pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any] | Sequence[Any]]) -> str:
    """CSV with a header line, each row a mapping by column name or a sequence in column order;
    text cells are made spreadsheet-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([_csv_cell(name) for name in columns])
    for row in rows:
        cells = [row.get(name) for name in columns] if isinstance(row, Mapping) else row
        writer.writerow([_csv_cell(cell) for cell in cells])
    return buffer.getvalue()


def _csv_cell(value: Any) -> Any:
    """A spreadsheet-safe cell whose line breaks are all LF: the csv module quotes a cell
    holding LF, but not one holding a bare CR, which readers then take for a row's end."""
    value = spreadsheet_safe(value)
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def table_csv_text(table: pa.Table) -> str:
    """An Arrow table as spreadsheet-safe CSV, a header line first."""
    return csv_text(table.column_names, table.to_pylist())


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write `data` (text as UTF-8) to `path` whole: into a temporary file in the same folder,
    then renamed over `path`, so a failure leaves no partial file and any old file intact.

    A device or pipe (such as /dev/stdout) is written to directly: it cannot be replaced.
    A failure is a SanctionwatchError naming the path and the system's reason.
    """
    target = Path(path)
    content = data.encode("utf-8") if isinstance(data, str) else data
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise _cannot_write(target, error) from error
    if mode is not None and stat.S_ISDIR(mode):
        raise SanctionwatchError(f"{target}: cannot write: it is a folder; name a file")
    if mode is not None and not stat.S_ISREG(mode):
        try:
            with target.open("wb") as handle:
                handle.write(content)
        except OSError as error:
            raise _cannot_write(target, error) from error
        return target
    partial: Path | None = None
    try:
        descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        partial = Path(name)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        partial.chmod(stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
        partial.replace(target)
    except OSError as error:
        if partial is not None:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
        raise _cannot_write(target, error) from error
    return target


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _cannot_write(path: Path, error: OSError) -> SanctionwatchError:
    if isinstance(error, FileNotFoundError) and not path.parent.exists():
        reason = f"no folder {path.parent}"
    elif isinstance(error, NotADirectoryError):
        reason = "a part of the path is a file, not a folder"
    else:
        reason = error.strerror or str(error)
    return SanctionwatchError(f"{path}: cannot write: {reason}")
