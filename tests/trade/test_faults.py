"""Nothing lost, nothing doubled: an ingest killed at any stage leaves all or nothing; writers
take turns."""

from __future__ import annotations

import csv
import gzip
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sanctionwatch import SanctionwatchError, Store, ingest, list_ingests
from sanctionwatch.trade._ingest import BATCHES, ONE_PASS, PAUSE_AT

ROWS = 120_000
HEADER = [
    "freqCode",
    "period",
    "reporterCode",
    "reporterISO",
    "partnerCode",
    "partnerISO",
    "flowCode",
    "classificationCode",
    "cmdCode",
    "primaryValue",
    "netWgt",
]


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Monthly HS6 imports of one reporter from the DPRK, every row distinct."""
    return _write(tmp_path_factory.mktemp("faults") / "big.csv", _rows(ROWS))


def ingest_in_subprocess(
    store: Path, file: Path, *, pause_at: str | None = None
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    if pause_at is not None:
        env[PAUSE_AT] = pause_at
    return subprocess.Popen(
        [sys.executable, "-m", "sanctionwatch.cli", "ingest", str(file), "--store", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if pause_at is not None else subprocess.DEVNULL,
        env=env,
    )


def counts(store_path: Path) -> tuple[int, int, int]:
    with Store.open(store_path) as store:
        return (
            int(store.flows.count().execute()),
            int(store.rejects.count().execute()),
            int(store.ingests.count().execute()),
        )


# Every stage each path passes, in order (see `PAUSE_AT`).
ONE_PASS_STAGES = ("copying", "loading", "loaded", "repeats", "replacing", "rejects")
BATCH_STAGES = ("staging", "loading", "loaded", "repeats", "replacing", "rejects")
LAST_STAGES = ("listing", "committed")
EARLIER = 6_000
LATER = 30_000
REVISED = 2_000  # the first rows of the earlier file come again with other figures


def _later_rows() -> list[list[object]]:
    """The later file: the earlier file's flows, the first `REVISED` with other figures, and
    new ones; a duplicate row and one of an unknown partner."""
    rows = _rows(LATER, revised=REVISED)
    rows.append(list(rows[EARLIER + 1]))
    unknown = list(rows[EARLIER + 2])
    unknown[4], unknown[5], unknown[9] = 999, "", 12345
    rows.append(unknown)
    return rows


def _rows(count: int, *, revised: int = 0) -> list[list[object]]:
    """Monthly HS6 imports of one reporter from the DPRK, every row a flow of its own; the
    first `revised` with other values than the same rows of another file."""
    made: list[list[object]] = []
    for n in range(count):
        year, rest = divmod(n, 12 * 9000)
        month, code = divmod(rest, 9000)
        value = n % 9973 + 1 + (100 if n < revised else 0)
        period, hs_code = f"{2012 + year}{month + 1:02d}", f"{100000 + code * 97:06d}"
        made.append(["M", period, 156, "CHN", 408, "PRK", "M", "H4", hs_code, value, n % 101])
    return made


def _write(path: Path, rows: list[list[object]]) -> Path:
    """`rows` as a Comtrade CSV, Comtrade JSON (read in batches) or a gzipped bulk file (read
    in one pass)."""
    if path.suffix == ".json":
        records = [dict(zip(HEADER, row, strict=True)) for row in rows]
        path.write_text(json.dumps({"data": records}), encoding="utf-8")
        return path
    if path.suffix == ".gz":
        lines = ["\t".join(str(cell) for cell in row) for row in [HEADER, *rows]]
        path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
        return path
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


@pytest.fixture(scope="module")
def earlier_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding one ingest, whose flows the later files revise or repeat."""
    folder = tmp_path_factory.mktemp("earlier")
    path = folder / "store.duckdb"
    with Store.open(path) as store:
        report = ingest(store, _write(folder / "earlier.csv", _rows(EARLIER)))
    assert (report.rows_accepted, report.rows_rejected) == (EARLIER, 0)
    return path


@pytest.fixture(scope="module")
def later_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("later")
    rows = _later_rows()
    return {
        ONE_PASS: _write(folder / "later.txt.gz", rows),
        BATCHES: _write(folder / "later.json", rows),
    }


def _state(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Everything the store at `path` holds once opened (which drops the rows of an ingest
    that did not finish and any scratch files it left): flows, their history, rejects,
    ingests (but the time) and the ingests' keys."""
    with Store.open(path) as store:
        for folder in (store.scratch_folder, store.memory_scratch_folder):
            assert folder is None or not folder.exists()
        connection = store.backend.con
        return {
            table: sorted(connection.execute(query).fetchall(), key=repr)
            for table, query in {
                "flows": "SELECT * FROM flows",
                "history": "SELECT * FROM _flow_history",
                "rejects": "SELECT * FROM rejects",
                "ingests": "SELECT * EXCLUDE (ingested_at) FROM ingests",
                "keys": "SELECT * FROM _ingest_keys",
            }.items()
        }


@pytest.fixture(scope="module")
def after(
    earlier_store: Path, later_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """The store once each later file is ingested whole, by the path its name says."""
    states = {}
    for path_taken, file in later_files.items():
        store_path = tmp_path_factory.mktemp("after") / "store.duckdb"
        shutil.copy(earlier_store, store_path)
        with Store.open(store_path) as store:
            report = ingest(store, file)
        assert (report.read_path, report.fallback) == (path_taken, "")
        assert (report.rows_revised, report.rows_unchanged) == (REVISED, EARLIER - REVISED)
        assert (report.rows_duplicate, report.rows_rejected) == (1, 2)
        states[path_taken] = _state(store_path)
    return states


def _paused(process: subprocess.Popen[bytes], stage: str) -> bool:
    """Whether `process` says it paused at `stage` within two minutes."""
    assert process.stderr is not None
    deadline = time.monotonic() + 120
    said = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=deadline - time.monotonic()):
                break
            chunk = os.read(process.stderr.fileno(), 1 << 16)
            if not chunk:
                break
            said += chunk
            if f"paused at {stage}\n".encode() in said:
                return True
    return False


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path_taken", "stage"),
    [(ONE_PASS, stage) for stage in ONE_PASS_STAGES + LAST_STAGES]
    + [(BATCHES, stage) for stage in BATCH_STAGES + LAST_STAGES],
)
def test_kill_9_at_each_stage_leaves_the_store_as_before_or_as_after(
    earlier_store: Path,
    later_files: dict[str, Path],
    after: dict[str, dict[str, list[tuple[Any, ...]]]],
    tmp_path: Path,
    path_taken: str,
    stage: str,
) -> None:
    """An ingest that revises an earlier one's flows, killed at each stage: until its last
    commit the store is as it was before, history and all; after it, as after the ingest."""
    store_path = tmp_path / "store.duckdb"
    shutil.copy(earlier_store, store_path)
    before = _state(store_path)
    process = ingest_in_subprocess(store_path, later_files[path_taken], pause_at=stage)
    try:
        assert _paused(process, stage), f"the ingest never reached {stage}"
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    expected = after[path_taken] if stage == "committed" else before
    assert _state(store_path) == expected
    assert before != after[path_taken]

    # The file goes in whole afterwards, or is already there.
    with Store.open(store_path) as store:
        report = ingest(store, later_files[path_taken])
    assert report.already == (stage == "committed")
    assert _state(store_path) == after[path_taken]


@pytest.mark.slow
def test_a_second_writer_waits_its_turn_or_says_why(big_file: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "store.duckdb"
    first = ingest_in_subprocess(store_path, big_file)
    refusal = None
    deadline = time.monotonic() + 30
    while refusal is None and first.poll() is None and time.monotonic() < deadline:
        try:
            Store.open(store_path, wait_seconds=0).close()
            time.sleep(0.1)
        except SanctionwatchError as error:
            refusal = str(error)
    assert refusal == (
        f"{store_path}: store is in use by another sanctionwatch process; "
        "waited 0s, try again when it has finished"
    )
    with Store.open(store_path, wait_seconds=120) as store:
        assert len(list_ingests(store)) == 1
    assert first.wait() == 0
    assert counts(store_path)[2] == 1
