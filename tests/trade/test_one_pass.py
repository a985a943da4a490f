"""Files DuckDB reads itself go into the store in one pass, with the same result as batches.

The one pass numbers rows by their place in the file, which is right only when no blank line
or multi-line value sits between rows; a count of the file's lines tells, and a file it does
not vouch for is read in batches. Either way the store ends the same, which the properties
here check on random and damaged files against the batch path alone. Each comparison says
which path each side took: the one pass must have read every file an oracle of its own finds
plain (see `_plain_rows`), or the comparison would be of the batches with themselves.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from tests.trade.test_readers_properties import (
    BACI_HEADER,
    BULK_HEADER,
    FAST,
    _mutate,
    bulk_files,
    delimited_files,
)

import sanctionwatch.trade._ingest as ingest_module
from sanctionwatch import SanctionwatchError, Store, ingest, list_ingests
from sanctionwatch.trade._ingest import BATCHES, ONE_PASS
from sanctionwatch.trade.readers._text import _SPLIT_CHUNK, LineCount, split_lines

EXAMPLE = Path(__file__).parent / "data" / "comtrade-bulk-example.txt"
# The bulk columns ingest reads: all but the commodity's description.
_READ_BULK_COLUMNS = tuple(name for name in BULK_HEADER if name != "cmdDesc")
# Rows enough for a file of several chunks, which is read as two parts.
_MANY = 40_000


FORCED = "forced by the test"


def _batches_only(*args: object, **kwargs: object) -> ingest_module.IngestReport:
    raise ingest_module._NotAsRead(FORCED)


def _one_pass_only(*args: object, **kwargs: object) -> ingest_module.IngestReport:
    raise AssertionError("the file was read in batches")


@pytest.fixture
def one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest_module, "_ingest_in_batches", _one_pass_only)


def _outcome(path: Path, *, batches: bool) -> tuple[dict[str, Any] | str, str | None]:
    """What ingesting `path` into a new store leaves: the report's counts, the flows and the
    rejects, or the error's message; and the path the rows were read by (None after an
    error). With `batches`, the one pass is refused, and the report must say so."""
    patch = pytest.MonkeyPatch()
    if batches:
        patch.setattr(ingest_module, "_ingest_in_one_pass", _batches_only)
    try:
        with Store.open(":memory:") as store:
            try:
                report = ingest(store, path)
            except SanctionwatchError as error:
                return str(error), None
            flows = store.flows.to_pyarrow().sort_by("source_row").to_pylist()
            rejects = store.rejects.to_pyarrow().sort_by("source_row").to_pylist()
            listed = list_ingests(store).to_pylist()
    finally:
        patch.undo()
    assert [(row["read_path"], row["fallback"]) for row in listed] == [
        (report.read_path, report.fallback)
    ]
    if batches:
        assert report.read_path == BATCHES
        assert report.fallback in {FORCED, ""}
    for row in rejects:
        row["record"] = json.loads(row["record"])
    counts = (report.rows_read, report.rows_accepted, report.rows_rejected, report.rows_duplicate)
    return {"counts": counts, "flows": flows, "rejects": rejects}, report.read_path


def _compared(path: Path) -> dict[str, Any]:
    """The outcome of `path`, read in one pass, the same as in batches."""
    read, taken = _outcome(path, batches=False)
    assert taken == ONE_PASS
    assert isinstance(read, dict)
    assert read == _outcome(path, batches=True)[0]
    return read


def _same_either_way(path: Path, plain: bool) -> None:
    """`path` ends the same read either way; read in one pass where the file is `plain`."""
    read, taken = _outcome(path, batches=False)
    assert read == _outcome(path, batches=True)[0]
    if plain:
        assert taken == ONE_PASS, read
    event(f"plain: {plain}, read: {taken}")


def _lines(header: str, *rows: str) -> str:
    return "\n".join([header, *rows]) + "\n"


@pytest.fixture
def example() -> tuple[str, list[str]]:
    header, *rows = EXAMPLE.read_text(encoding="utf-8").splitlines()
    return header, rows


def test_a_gzipped_bulk_file_goes_in_one_pass(
    store: Store, tmp_path: Path, one_pass: None, example: tuple[str, list[str]]
) -> None:
    header, rows = example
    path = tmp_path / "bulk.txt.gz"
    path.write_bytes(gzip.compress(_lines(header, *rows, rows[0], rows[1]).encode()))
    report = ingest(store, path)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (7, 5, 2)
    assert report.rows_duplicate == 2
    flows = store.flows.to_pyarrow().sort_by("source_row")
    assert flows["source_row"].to_pylist() == [2, 3, 4, 5, 6]
    rejects = store.rejects.to_pyarrow().sort_by("source_row").to_pylist()
    assert [(r["source_row"], r["reason"]) for r in rejects] == [
        (7, "duplicate of row 2 (same keys and figures)"),
        (8, "duplicate of row 3 (same keys and figures)"),
    ]
    assert json.loads(rejects[0]["record"])["cmdDesc"] == (
        "Wigs, false beards, eyebrows and eyelashes"
    )


def test_rejects_and_conflicts_match_the_batches(
    tmp_path: Path, example: tuple[str, list[str]]
) -> None:
    header, rows = example
    columns = header.split("\t")
    changed = rows[0].split("\t")
    changed[columns.index("primaryValue")] = "12"
    unknown = rows[1].split("\t")
    unknown[columns.index("partnerCode")] = "999"
    path = tmp_path / "mixed.txt"
    path.write_text(
        _lines(header, *rows, "\t".join(changed), "\t".join(unknown), rows[2]), encoding="utf-8"
    )
    outcome = _compared(path)
    reasons = {r["source_row"]: r["reason"] for r in outcome["rejects"]}
    assert reasons == {
        2: "conflicting duplicate: rows 2, 7 have the same reporter, partner, flow, period and "
        "HS code with different figures",
        7: "conflicting duplicate: rows 2, 7 have the same reporter, partner, flow, period and "
        "HS code with different figures",
        8: 'partnerCode "999" is not a known country or area',
        9: "duplicate of row 4 (same keys and figures)",
    }


def test_blank_lines_between_rows_send_the_file_to_the_batches(
    store: Store,
    tmp_path: Path,
    example: tuple[str, list[str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    header, rows = example
    path = tmp_path / "gaps.txt"
    path.write_text(f"{header}\n\n{rows[0]}\n\n\n{rows[1]}\n\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="sanctionwatch.trade._ingest"):
        report = ingest(store, path)
    assert (report.rows_read, report.rows_accepted) == (2, 2)
    assert sorted(store.flows.to_pyarrow()["source_row"].to_pylist()) == [3, 6]
    reason = (
        "its lines promise 5 rows, DuckDB read 2 (a blank line between rows, a value over "
        "several lines, or a row with text only in columns ingest does not use)"
    )
    assert (report.read_path, report.fallback) == (BATCHES, reason)
    assert [record.getMessage() for record in caplog.records] == [
        f"{path}: read in batches, not in one pass: {reason}"
    ]
    listed = list_ingests(store).to_pylist()
    assert [(row["read_path"], row["fallback"]) for row in listed] == [(BATCHES, reason)]


def test_blank_lines_after_the_last_row_keep_the_one_pass(
    store: Store, tmp_path: Path, one_pass: None, example: tuple[str, list[str]]
) -> None:
    header, rows = example
    path = tmp_path / "tail.txt"
    path.write_text(_lines(header, *rows) + "\n\n", encoding="utf-8")
    assert ingest(store, path).rows_accepted == len(rows)


def test_progress_runs_from_start_to_end(
    store: Store, tmp_path: Path, one_pass: None, example: tuple[str, list[str]]
) -> None:
    header, rows = example
    path = tmp_path / "bulk.txt.gz"
    path.write_bytes(gzip.compress(_lines(header, *rows).encode()))
    seen: list[tuple[int, int]] = []
    ingest(store, path, progress=lambda done, total: seen.append((done, total)))
    # The file is read twice: copied into parts, then the parts by DuckDB.
    total = 2 * path.stat().st_size
    assert seen[0] == (0, total)
    assert seen[-1] == (total, total)
    assert {all for _, all in seen} == {total}
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_a_broken_line_is_rejected_with_its_line_as_in_the_batches(
    store: Store, tmp_path: Path, example: tuple[str, list[str]]
) -> None:
    header, rows = example
    path = tmp_path / "broken.txt.gz"
    path.write_bytes(gzip.compress(_lines(header, rows[0], rows[1].rsplit("\t", 3)[0]).encode()))
    report = ingest(store, path)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 1, 1)
    reject = store.rejects.to_pyarrow().to_pylist()[0]
    assert (reject["source_row"], reject["reason"]) == (
        3,
        "expected 47 fields separated by tabs, as in the header on line 1; found 44",
    )


@FAST
@given(file=bulk_files(), gzipped=st.booleans(), data=st.data(), damage=st.booleans())
def test_bulk_files_end_the_same_either_way(
    tmp_path_factory: pytest.TempPathFactory,
    file: tuple[bytes, int],
    gzipped: bool,
    data: st.DataObject,
    damage: bool,
) -> None:
    content = _mutate(file[0], data.draw) if damage else file[0]
    path = tmp_path_factory.mktemp("bulk") / ("bulk.txt.gz" if gzipped else "bulk.txt")
    path.write_bytes(gzip.compress(content) if gzipped else content)
    rows = _plain_rows(content, BULK_HEADER, "\t", used=_READ_BULK_COLUMNS)
    _same_either_way(path, plain=bool(rows))


@FAST
@given(file=delimited_files(BACI_HEADER, ",", "utf-8"), data=st.data(), damage=st.booleans())
def test_baci_files_end_the_same_either_way(
    tmp_path_factory: pytest.TempPathFactory,
    file: tuple[bytes, int],
    data: st.DataObject,
    damage: bool,
) -> None:
    content = _mutate(file[0], data.draw) if damage else file[0]
    path = tmp_path_factory.mktemp("baci") / "BACI_HS17_Y2019_V202401.csv"
    path.write_bytes(content)
    rows = _plain_rows(content, BACI_HEADER, ",", used=BACI_HEADER, quoted=True)
    _same_either_way(path, plain=bool(rows))
    if not damage:
        assert rows == file[1]


def _plain_rows(
    content: bytes,
    header: tuple[str, ...],
    delimiter: str,
    *,
    used: tuple[str, ...],
    quoted: bool = False,
) -> int:
    """How many rows a file has that the one pass must read itself, by its own rules; 0 when
    it need not: the file is not UTF-8, ends a line with a bare carriage return, has a line
    of another width than the header (a value over several lines, for quoted files), a blank
    line before its last row, or a row with text only in columns ingest does not read."""
    try:
        text = content.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return 0
    if text.replace("\r\n", "\n").count("\r"):
        return 0
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    quoting = csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE
    try:
        cells = [
            next(csv.reader([line], delimiter=delimiter, quoting=quoting, strict=True), [])
            for line in lines
        ]
    except csv.Error:
        return 0
    if not cells or tuple(cells[0]) != header:
        return 0
    reads = [header.index(name) for name in used]
    for row in cells[1:]:
        if len(row) != len(header) or not any(row[i] for i in reads):
            return 0
    return len(cells) - 1


def _many_rows(header: str, rows: list[str], count: int) -> list[str]:
    """`count` distinct rows made from the example's by changing the month, the HS code and
    the value."""
    columns = header.split("\t")
    period, value = columns.index("period"), columns.index("primaryValue")
    frequency, code = columns.index("freqCode"), columns.index("cmdCode")
    made = []
    for n in range(count):
        fields = rows[n % len(rows)].split("\t")
        fields[frequency] = "M"
        fields[period] = f"{2000 + n // 12 % 20}{n % 12 + 1:02d}"
        fields[code] = f"{100000 + n // 240:06d}"
        fields[value] = str(1000 + n)
        made.append("\t".join(fields))
    return made


def test_a_file_in_several_parts_is_numbered_as_one(
    tmp_path: Path, example: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of some megabytes is read as two parts, one per thread; rows rejected in either
    part, and repeats across the cut, carry their lines in the file."""
    monkeypatch.setattr(Store, "threads", lambda store: 2)
    header, rows = example
    many = _many_rows(header, rows, _MANY)
    columns = header.split("\t")
    broken = many[-2].split("\t")
    broken[columns.index("partnerCode")] = "999"
    many[-2] = "\t".join(broken)
    many.append(many[3])  # row 5 again, in the last part
    path = tmp_path / "large.txt"
    path.write_text(_lines(header, *many), encoding="utf-8")
    assert path.stat().st_size > 2 * _SPLIT_CHUNK
    outcome = _compared(path)
    assert outcome["counts"] == (_MANY + 1, _MANY - 1, 2, 1)
    reasons = {r["source_row"]: r["reason"] for r in outcome["rejects"]}
    assert reasons == {
        _MANY: 'partnerCode "999" is not a known country or area',
        _MANY + 2: "duplicate of row 5 (same keys and figures)",
    }


def test_split_lines_cuts_at_line_ends_and_counts_them(
    tmp_path: Path, example: tuple[str, list[str]]
) -> None:
    header, rows = example
    many = _many_rows(header, rows, _MANY)
    text = _lines(header, *many)
    path = tmp_path / "large.txt.gz"
    path.write_bytes(gzip.compress(text.encode()))
    plain = tmp_path / "large.txt"
    plain.write_text(text, encoding="utf-8")
    for source in (path, plain):
        folder = tmp_path / source.name.replace(".", "-")
        folder.mkdir()
        parts = split_lines(source, folder, 2, skip=1)
        assert parts is not None
        assert parts.count == LineCount(lines=_MANY + 1, trailing_blank=0)
        assert len(parts.files) == 2
        pieces = [part.read_text(encoding="utf-8") for part in parts.files]
        assert "".join(pieces) == text.split("\n", 1)[1]
        assert all(piece.endswith("\n") for piece in pieces)
        assert parts.first_lines[0] == 2
        for first, piece in zip(parts.first_lines, pieces, strict=True):
            assert piece.split("\n", 1)[0] == many[first - 2]


def test_the_parts_go_when_done_or_when_the_store_next_opens(
    tmp_path: Path, example: tuple[str, list[str]]
) -> None:
    header, rows = example
    path = tmp_path / "bulk.txt"
    path.write_text(_lines(header, *rows), encoding="utf-8")
    scratch = tmp_path / ".trade.duckdb.scratch"
    with Store.open(tmp_path / "trade.duckdb") as store:
        assert store.scratch_folder == scratch
        ingest(store, path)
        assert not scratch.exists()
        # What an ingest killed while reading leaves behind.
        (scratch / "ingest-left").mkdir(parents=True)
        (scratch / "ingest-left" / "part-0.txt").write_text(rows[0], encoding="utf-8")
    with Store.open(tmp_path / "trade.duckdb") as store:
        assert not scratch.exists()
        assert store.flows.count().execute() == len(rows)
