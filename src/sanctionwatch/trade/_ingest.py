"""Trade files into the store: validated inside the engine, all or nothing, never twice."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._records import from_record
from sanctionwatch.store import Store
from sanctionwatch.store._countries import country_codes
from sanctionwatch.store._schema import INGESTS
from sanctionwatch.trade._validate import COUNTRY_CODES_VIEW, DUPLICATE, PERIODS_VIEW, periods
from sanctionwatch.trade._validate import judged as judged_sql
from sanctionwatch.trade._validate import repeats as repeats_sql
from sanctionwatch.trade.readers import (
    READERS,
    RECONCILED,
    ReaderOptions,
    ShapedText,
    detect_format,
    detect_frame_format,
    require_trade_file,
)
from sanctionwatch.trade.readers._frame import FrameText, arrow_table
from sanctionwatch.trade.readers._raw import RAW_SCHEMA, RawBatch
from sanctionwatch.trade.readers._text import DelimitedText, Parts, text_size

__all__ = [
    "BATCHES",
    "ONE_PASS",
    "PAUSE_AT",
    "IngestReport",
    "ProgressCallback",
    "ingest",
    "ingest_frame",
    "ingest_row",
    "sha256",
]

ONE_PASS = "one-pass"
BATCHES = "batches"
PAUSE_AT = "SANCTIONWATCH_PAUSE_AT"
"""An environment variable for tests of a process killed mid-ingest: set to a stage, the
ingest writes `paused at STAGE` on stderr when it gets there and waits to be killed. The
stages, in order: `copying` (one pass: some rows copied into parts), `staging` (batches: the
first batch staged), `loading` (valid rows inserted, not yet committed), `loaded` (committed,
not yet listed), `repeats` (repeats taken out), `replacing` (earlier ingests' rows of the same
flows moved to the history), `rejects` (rejects written), `listing` (the ingest's row written,
not yet committed), `committed` (all committed)."""

_log = logging.getLogger(__name__)

_RAW_VIEW = "_ingest_raw"
_RAW_COLUMNS_VIEW = "_ingest_raw_columns"
_STAGING = "_ingest_staging"
_REPEATS = "_ingest_repeats"
_PROGRESS_EVERY = 0.25  # seconds

ProgressCallback = Callable[[int, int], None]
"""Called with (work done, work in all) as a file is read, counted in bytes read."""


@dataclass(frozen=True)
class IngestReport:
    """What one ingest did. `already` is set when the same content was in the store before.

    `rows_duplicate` counts rows repeating another row of the same file (rejected);
    `rows_unchanged` and `rows_revised` count accepted rows repeating a flow an earlier ingest
    stored, with the same figures and with others: this ingest's row counts, and the earlier
    one is kept in the store's history (`list_revisions`).

    `read_path` says how the rows were read: `ONE_PASS` (DuckDB read the file itself) or
    `BATCHES` (through the format's reader); `fallback` why a file that could have been read
    in one pass was read in batches, empty when it was not.
    """

    ingest_id: str
    source_file: str
    format: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rows_duplicate: int = 0
    rows_unchanged: int = 0
    rows_revised: int = 0
    read_path: str = ""
    fallback: str = ""
    already: bool = False


@dataclass(frozen=True)
class _Source:
    """What is ingested: `name` is what the ledger and rejects record (a file's path)."""

    name: str
    format: str
    digest: str

    @property
    def ingest_id(self) -> str:
        return self.digest[:16]


class _NotAsRead(Exception):
    """DuckDB's one pass cannot read a file as numbered (a blank line between rows, a value
    over several lines, ...; the message says which): the file is read in batches."""


def ingest(
    store: Store,
    path: str | Path,
    *,
    format: str = "auto",
    options: ReaderOptions | None = None,
    progress: ProgressCallback | None = None,
    source_name: str | None = None,
) -> IngestReport:
    """Load one trade file. Every row ends in `flows` or in `rejects` with its reason.

    Files DuckDB can read itself are read, checked and stored in one pass; others, and files
    that pass cannot number line by line, in batches through their reader. `source_name` is
    what the ingest is listed as when the file stands in for another source (an API's
    answer saved to a file); the path otherwise.
    """
    path = Path(path)
    store.require_writable("ingest")
    require_trade_file(path)
    _require_known(format)
    options = options or ReaderOptions()
    chosen = detect_format(path, options) if format == "auto" else format
    source = _Source(source_name or str(path), chosen, sha256(path))
    earlier = _earlier(store, source)
    if earlier is not None:
        return earlier

    reader = READERS[chosen]
    shaped = reader.shape(path, options) if reader.shape is not None else None
    fallback = ""
    if shaped is not None and _scannable(shaped):
        try:
            return _ingest_in_one_pass(store, source, shaped, progress)
        except _NotAsRead as error:
            fallback = str(error)
        except duckdb.Error as error:
            fallback = f"DuckDB's reader refused it ({_duckdb_reason(error)})"
        _log.warning("%s: read in batches, not in one pass: %s", path, fallback)
    batches = shaped.batches() if shaped is not None else reader.read(path, options)
    return _ingest_in_batches(store, source, batches, progress, fallback)


def ingest_frame(
    store: Store,
    frame: Any,
    *,
    format: str = "auto",
    label: str = "data frame",
    options: ReaderOptions | None = None,
) -> IngestReport:
    """Load a pandas DataFrame or a pyarrow Table shaped like one of the formats' files.

    Comtrade's columns (as `comtradeapicall` returns an API response), BACI's (`t,i,j,k,v,q`,
    with `options.hs_version`), or any columns with `options.mapping`. Its cells are read as
    the text a CSV of the frame would hold, then checked, stored, rejected and revised as a
    file's rows are; `label` stands for the file's name in the ingest ledger and the rejects.
    Rows are numbered from 1; a row with no value at all is no row, as a blank line is not.
    The same content ingested again is found by its digest, as a file's is.
    """
    store.require_writable("ingest")
    _require_known(format)
    options = options or ReaderOptions()
    table = arrow_table(frame, label)
    header = tuple(table.column_names)
    chosen = detect_frame_format(header, label, options) if format == "auto" else format
    source = _Source(label, chosen, FrameText(table, label).digest())
    earlier = _earlier(store, source)
    if earlier is not None:
        return earlier
    shaped = READERS[chosen].shape_frame(table, label, options)
    return _ingest_in_batches(store, source, shaped.batches(), None, "")


def _require_known(format: str) -> None:
    if format != "auto" and format not in READERS:
        known = ", ".join(["auto", *READERS])
        raise SanctionwatchError(f"unknown format {format!r} (expected one of {known})")


def _earlier(store: Store, source: _Source) -> IngestReport | None:
    """The report of the ingest that stored the same content before, if one did."""
    earlier = store.ingests.filter(store.ingests.content_sha256 == source.digest).to_pyarrow()
    if earlier.num_rows:
        return from_record(IngestReport, earlier.to_pylist()[0], already=True)
    return None


def _ingest_in_one_pass(
    store: Store, source: _Source, shaped: ShapedText, progress: ProgressCallback | None
) -> IngestReport:
    """DuckDB reads the file itself, from plain copies of its rows cut into one part for each
    of its threads, kept in memory where they fit; the lines counted while copying vouch for
    the line numbers."""
    path = shaped.source.path
    size = path.stat().st_size
    copying = _pausing(
        None if progress is None else _scaled(progress, 0, size, 2 * size), "copying"
    )
    for place in store.scratch_places(text_size(path)):
        with contextlib.ExitStack() as stack:
            if copying is not None:
                copying(0, size)
            try:
                folder = stack.enter_context(store.scratch(place))
                parts = shaped.split(folder, store.threads(), copying)
            except OSError:  # the place cannot be written, or is full
                continue
            if parts is None:
                raise _NotAsRead(
                    "its lines cannot be counted (a line ends in a bare carriage return, or "
                    "the text is unreadable to its end)"
                )
            return _load_parts(store, source, shaped, parts, stack, progress)
    raise _NotAsRead("no scratch place could hold a plain copy of its rows")


def _scannable(shaped: ShapedText) -> bool:
    """Whether the one pass is for `shaped`: delimited text, in an encoding DuckDB decodes,
    with rows after the header. Others (Excel sheets, cp1252 tables, a header alone) are read
    in batches by design, not as a fallback."""
    return isinstance(shaped.source, DelimitedText) and shaped.source.scannable


def _load_parts(
    store: Store,
    source: _Source,
    shaped: ShapedText,
    parts: Parts,
    stack: contextlib.ExitStack,
    progress: ProgressCallback | None,
) -> IngestReport:
    """The rows of `parts` (`shaped`'s file) checked and stored by DuckDB; what it registers
    is undone by `stack`."""
    size = shaped.source.path.stat().st_size
    stack.enter_context(store.registered(shaped.tables))
    stack.enter_context(
        store.temporary_views(
            {
                _RAW_VIEW: shaped.query(parts),
                _RAW_COLUMNS_VIEW: shaped.query(parts, with_columns=True),
            }
        )
    )

    def rows_read() -> int:
        return parts.count.lines - shaped.source.header_line - parts.count.trailing_blank

    if progress is not None:
        stack.enter_context(_reading(parts.files, _scaled(progress, size, size, 2 * size)))
    raw = _Raw(_RAW_VIEW, _RAW_COLUMNS_VIEW, tuple(shaped.columns), shaped.record(), ONE_PASS)
    return _load(store, source, raw, rows_read)


def _scaled(progress: ProgressCallback, start: int, span: int, total: int) -> ProgressCallback:
    """`progress` for one stage of the work: `done` of `all` fills `span` from `start`."""

    def report(done: int, all: int) -> None:
        progress(start + (span * done // all if all else span), total)

    return report


def _ingest_in_batches(
    store: Store,
    source: _Source,
    batches: Iterator[RawBatch],
    progress: ProgressCallback | None,
    fallback: str,
) -> IngestReport:
    with store.temporary_table(_STAGING, RAW_SCHEMA):
        for batch in batches:
            if batch.table.num_rows:
                store.append(_STAGING, batch.table)
                _pause("staging")
            if progress is not None:
                progress(batch.bytes_done, batch.bytes_total)
        return _load(
            store,
            source,
            _Raw(_STAGING, _STAGING, ("record",), "record", BATCHES, fallback),
            lambda: store.count(_STAGING),
        )


@dataclass(frozen=True)
class _Raw:
    """Where the raw rows are: `fields` has the Comtrade fields; `rows` has them too, and the
    `columns` that `record` (SQL) builds a rejected row's record from; how they were read
    (`IngestReport.read_path`, `fallback`)."""

    fields: str
    rows: str
    columns: tuple[str, ...]
    record: str
    read_path: str
    fallback: str = ""


def _load(store: Store, source: _Source, raw: _Raw, rows_read: Callable[[], int]) -> IngestReport:
    """Raw rows into the stored flows and `rejects`, all or nothing.

    Valid rows are stored straight away, ordered by partner: a check reads one target's
    trade, a small part of the world's, and the engine then skips the blocks of the others.
    Repeats are found among them once they are committed (DuckDB reads a transaction's own
    new rows on one core) and moved to `rejects` with the rows failing a check, if the counts
    say some did, and the ingest's row in `ingests`, in a second transaction. Stored rows
    that no ingest lists are an ingest that did not finish: they go when it fails, or when
    the store next opens. Read in one pass, `rows_read` gives what the file's lines
    promise, and any other count means the rows were not read as numbered.
    """
    tables = {COUNTRY_CODES_VIEW: country_codes(), PERIODS_VIEW: periods()}
    with store.registered(tables):
        try:
            with store.transaction():
                key = store.new_ingest(
                    source.ingest_id, source.name, reconciled=source.format in RECONCILED
                )
                store.add_flow_rows(key, judged_sql(raw.fields, passing=True))
                _pause("loading")
            _pause("loaded")
            try:
                with store.transaction():
                    report = _settle(store, source, raw, key, rows_read)
            except BaseException:
                with store.transaction():
                    store.drop_unfinished()
                raise
            _pause("committed")
            return report
        finally:
            store.drop_temporary(_REPEATS)


def _settle(
    store: Store,
    source: _Source,
    raw: _Raw,
    key: int,
    rows_read: Callable[[], int],
) -> IngestReport:
    """Repeats and failed rows of the ingest stored under `key` into `rejects`, the counts
    checked, and the ingest listed: see `_load`."""
    ingest_id = source.ingest_id
    removed = store.set_aside(key, repeats_sql, _REPEATS)
    _pause("repeats")
    unchanged, revised = store.replace_earlier(key)
    _pause("replacing")
    accepted = store.count_flow_rows(key)
    read = rows_read()
    if removed or accepted + removed != read:
        # The record is built above the filter: only for the rows rejected.
        store.add_rejects(
            ingest_id,
            source.name,
            "SELECT source_row, coalesce(_reason, _repeat) AS reason, "
            f"{raw.record} AS record FROM ({judged_sql(raw.rows, carry=raw.columns)}) "
            f"LEFT JOIN {_REPEATS} USING (source_row) WHERE NOT _ok OR _repeat IS NOT NULL",
        )
    _pause("rejects")
    rejected = store.count_rejects(ingest_id)
    duplicates = store.count(
        f"(SELECT 1 FROM {_REPEATS} WHERE starts_with(_repeat, '{DUPLICATE}'))"
    )
    if read != accepted + rejected:
        if raw.read_path == ONE_PASS:
            raise _NotAsRead(
                f"its lines promise {read} rows, DuckDB read {accepted + rejected} (a blank "
                "line between rows, a value over several lines, or a row with text only in "
                "columns ingest does not use)"
            )
        raise SanctionwatchError(
            f"{source.name}: row accounting failed ({read} read, {accepted} accepted, "
            f"{rejected} rejected); nothing was stored"
        )
    report = IngestReport(
        ingest_id=ingest_id,
        source_file=source.name,
        format=source.format,
        rows_read=read,
        rows_accepted=accepted,
        rows_rejected=rejected,
        rows_duplicate=duplicates,
        rows_unchanged=unchanged,
        rows_revised=revised,
        read_path=raw.read_path,
        fallback=raw.fallback,
    )
    store.list_ingest(ingest_row(report, source.digest))
    _pause("listing")
    return report


def _pause(stage: str) -> None:
    """With `PAUSE_AT` set to `stage`, say so on stderr and wait to be killed."""
    if os.environ.get(PAUSE_AT) == stage:
        sys.stderr.write(f"paused at {stage}\n")
        sys.stderr.flush()
        while True:
            time.sleep(60)


def _pausing(progress: ProgressCallback | None, stage: str) -> ProgressCallback | None:
    """`progress`, and a `_pause` at `stage` once some of the work is done, when `PAUSE_AT`
    names it."""
    if os.environ.get(PAUSE_AT) != stage:
        return progress

    def report(done: int, all: int) -> None:
        if progress is not None:
            progress(done, all)
        if done:
            _pause(stage)

    return report


def _duckdb_reason(error: duckdb.Error) -> str:
    """What DuckDB found wrong, without the line numbers it counts within a part."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    found = [line for line in lines[1:] if line.startswith(("Expected Number", "Invalid"))]
    return (found or lines or [type(error).__name__])[0]


@contextmanager
def _reading(paths: Sequence[Path], progress: ProgressCallback) -> Iterator[None]:
    """Reports how far DuckDB has read into `paths`, where the system tells (Linux does), and
    the end once it is done."""
    size = sum(path.stat().st_size for path in paths)
    progress(0, size)
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(_PROGRESS_EVERY):
            position = _read_position(paths)
            if position is not None:
                progress(min(position, size), size)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
    progress(size, size)


def _read_position(paths: Sequence[Path]) -> int | None:
    """How far this process has read into `paths` together, from Linux's /proc; None
    elsewhere."""
    descriptors = Path("/proc/self/fd")
    targets = {str(path.resolve()) for path in paths}
    furthest: dict[str, int] = {}
    try:
        entries = list(descriptors.iterdir())
    except OSError:
        return None
    for entry in entries:
        try:
            target = str(entry.readlink())
            if target not in targets:
                continue
            info = Path("/proc/self/fdinfo", entry.name).read_text()
        except OSError:
            continue
        for line in info.splitlines():
            if line.startswith("pos:"):
                furthest[target] = max(furthest.get(target, 0), int(line.split()[1]))
    return sum(furthest.values()) if furthest else None


def sha256(path: Path) -> str:
    """The file's SHA-256, in hex: what tells the same content under any name."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def ingest_row(report: IngestReport, digest: str) -> pa.Table:
    """The store's `ingests` row for `report`, of a file with SHA-256 `digest`."""
    return pa.Table.from_pylist(
        [
            {
                "ingest_id": report.ingest_id,
                "source_file": report.source_file,
                "content_sha256": digest,
                "format": report.format,
                "rows_read": report.rows_read,
                "rows_accepted": report.rows_accepted,
                "rows_rejected": report.rows_rejected,
                "rows_duplicate": report.rows_duplicate,
                "rows_unchanged": report.rows_unchanged,
                "rows_revised": report.rows_revised,
                "read_path": report.read_path,
                "fallback": report.fallback,
                "ingested_at": dt.datetime.now(dt.UTC),
            }
        ],
        schema=INGESTS,
    )
