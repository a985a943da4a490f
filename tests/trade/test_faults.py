"""Nothing lost, nothing doubled: a killed ingest leaves all or nothing; writers take turns."""

from __future__ import annotations

import csv
import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sanctionwatch import SanctionwatchError, Store, ingest, list_ingests

ROWS = 120_000


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Monthly HS6 imports of one reporter from the DPRK, every row distinct."""
    path = tmp_path_factory.mktemp("faults") / "big.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
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
        )
        for n in range(ROWS):
            year, rest = divmod(n, 12 * 9000)
            month, code = divmod(rest, 9000)
            writer.writerow(
                [
                    "M",
                    f"{2012 + year}{month + 1:02d}",
                    156,
                    "CHN",
                    408,
                    "PRK",
                    "M",
                    "H4",
                    f"{100000 + code * 97:06d}",
                    n % 9973 + 1,
                    n % 101,
                ]
            )
    return path


@pytest.fixture(scope="module")
def big_bulk_file(big_file: Path) -> Path:
    """The same rows as a gzipped Comtrade bulk file, which goes into the store in one pass."""
    path = big_file.with_name("big.txt.gz")
    with big_file.open(newline="", encoding="utf-8") as rows, gzip.open(path, "wt") as out:
        for row in csv.reader(rows):
            out.write("\t".join(row) + "\n")
    return path


def ingest_in_subprocess(store: Path, file: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "sanctionwatch.cli", "ingest", str(file), "--store", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def counts(store_path: Path) -> tuple[int, int, int]:
    with Store.open(store_path) as store:
        return (
            int(store.flows.count().execute()),
            int(store.rejects.count().execute()),
            int(store.ingests.count().execute()),
        )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "moment"),
    [("csv", 0.5), ("csv", 2.0), ("csv", 5.0), ("bulk", 4.0), ("bulk", 6.0)],
)
def test_kill_9_mid_ingest_leaves_all_or_nothing(
    request: pytest.FixtureRequest, tmp_path: Path, kind: str, moment: float
) -> None:
    big_file: Path = request.getfixturevalue("big_file" if kind == "csv" else "big_bulk_file")
    store_path = tmp_path / "store.duckdb"
    process = ingest_in_subprocess(store_path, big_file)
    time.sleep(moment)
    finished = process.poll() is not None
    if not finished:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()

    flows, rejects, ingests = counts(store_path)
    assert (flows + rejects, ingests) in {(0, 0), (ROWS, 1)}, (moment, finished)

    with Store.open(store_path) as store:
        report = ingest(store, big_file)
        assert report.rows_read == ROWS
        assert report.rows_accepted + report.rows_rejected == ROWS
    assert counts(store_path) == (report.rows_accepted, report.rows_rejected, 1)


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
