"""Opening a store: missing, damaged, read only, or on a disk that fills mid-write."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from sanctionwatch import SanctionwatchError, Store
from sanctionwatch.cli import app
from tests.conftest import cli_commands, comtrade_record

SOURCE = Path(__file__).resolve().parents[1] / "src"


def copy_of(store: Path, folder: Path, data: bytes | None = None) -> Path:
    """The store (or `data` in its place) in `folder`, as a user's copy would be."""
    folder.mkdir(exist_ok=True)
    target = folder / "store.duckdb"
    target.write_bytes(store.read_bytes() if data is None else data)
    return target


def sanctionwatch(
    *args: str, cwd: Path, preexec_fn: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own: a crash there is an exit by signal, seen here."""
    env = {**os.environ, "PYTHONPATH": str(SOURCE), "COLUMNS": "200"}
    env.pop("SANCTIONWATCH_STORE", None)
    return subprocess.run(
        [sys.executable, "-m", "sanctionwatch.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=preexec_fn,
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in done.stdout + done.stderr
    for text in expected:
        assert text in lines[0]
    return lines[0]


def files_in(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under `folder` by name, with its content's hash and modification time."""
    return {
        str(path.relative_to(folder)): (
            hashlib.sha256(path.read_bytes()).hexdigest(),
            path.stat().st_mtime_ns,
        )
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# A missing store -------------------------------------------------------------------------


# The commands that make a store where there is none: each loads data into it.
MAKING_COMMANDS = {"ingest", "fetch comtrade", "hs load-concordance", "lists load", "lists fetch"}
# What each other command taking --store needs besides it; every one of them must be here.
NEEDING_A_STORE = {
    "check": ["--output", "findings.xlsx"],
    "runs": [],
    "diff": [],
    "watch": ["--once"],
    "serve": [],
    "fetch clear": [],
    "ingests": [],
    "rejects": [],
    "revisions": [],
    "forget": ["440f2928884716e6"],
    "aggregates": [],
    "pressure": ["--output", "pressure.json"],
    "relief": ["lift-textiles", "--output", "relief.csv"],
    "signals": ["--output", "signals.json"],
    "report": [],
    "export": ["warehouse"],
    "lists show": [],
    "lists diff": ["2024-01-01", "2024-06-01"],
    "lists export": [],
    "screen": ["names.csv", "--output", "screened.csv"],
    "hs map": ["2701", "--from-version", "2017", "--to-version", "2012"],
}


def test_every_command_taking_a_store_either_makes_one_or_needs_one() -> None:
    taking_a_store = {
        path.removeprefix("sanctionwatch ")
        for path, command in cli_commands(typer.main.get_command(app))
        if any("--store" in getattr(param, "opts", []) for param in command.params)
    }
    assert taking_a_store == MAKING_COMMANDS | NEEDING_A_STORE.keys()


@pytest.mark.parametrize("command", NEEDING_A_STORE, ids=str)
def test_a_command_needing_a_store_refuses_a_missing_one_and_makes_no_file(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not the store, nor its marks beside it, nor the command's own output."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "names.csv").write_text("name\nKim\n", encoding="utf-8")
    before = files_in(tmp_path)
    typo = tmp_path / "typo.duckdb"
    args = [*command.split(), *NEEDING_A_STORE[command], "--store", str(typo)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {typo}: no store there; name an existing one with --store or "
        "SANCTIONWATCH_STORE (`sanctionwatch ingest` makes a new one)"
    ]
    assert files_in(tmp_path) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["names.csv"]


def test_the_default_store_is_not_made_by_reading_either(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SANCTIONWATCH_STORE", raising=False)
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 1
    assert "sanctionwatch.duckdb: no store there" in result.stderr
    monkeypatch.setenv("SANCTIONWATCH_STORE", str(tmp_path / "from-env.duckdb"))
    result = CliRunner().invoke(app, ["ingests"])
    assert result.exit_code == 1
    assert f"{tmp_path / 'from-env.duckdb'}: no store there" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_library_opens_a_missing_store_read_only_as_an_error(tmp_path: Path) -> None:
    with pytest.raises(SanctionwatchError, match="no store there"):
        Store.open(tmp_path / "typo.duckdb", read_only=True)
    with pytest.raises(SanctionwatchError, match="no store there"):
        Store.open(tmp_path / "typo.duckdb", create=False)
    assert list(tmp_path.iterdir()) == []


# A damaged store -------------------------------------------------------------------------


def _flipped(data: bytes, *offsets: int) -> bytes:
    damaged = bytearray(data)
    for offset in offsets:
        for index in range(offset, min(offset + 256, len(damaged))):
            damaged[index] ^= 0xFF
    return bytes(damaged)


# Each makes a damaged store from a clean one's bytes. The offsets land in DuckDB's file
# header, its first block (the tables' metadata and small columns: DuckDB crashed reading
# them) and its last block.
DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "truncated to half": lambda data: data[: len(data) // 2],
    "truncated to its header": lambda data: data[:4096],
    "flipped in the header": lambda data: _flipped(data, 16),
    "flipped in the middle": lambda data: _flipped(data, 20000, 81920, 114688),
    "flipped at the end": lambda data: _flipped(data, len(data) - 300),
    "a text file": lambda data: b"reporter,partner,value\nCHN,PRK,1\n",
    "zero bytes": lambda data: b"",
}


@pytest.mark.slow
@pytest.mark.parametrize("damage", DAMAGES, ids=str)
def test_a_damaged_store_is_one_line_from_every_command(
    damage: str, demo_file: Path, tmp_path: Path
) -> None:
    store = copy_of(demo_file, tmp_path / "store", DAMAGES[damage](demo_file.read_bytes()))
    trade = tmp_path / "trade.json"
    trade.write_text('{"data": []}', encoding="utf-8")
    for command in (["ingest", str(trade)], ["ingests"], ["check"]):
        done = sanctionwatch(*command, "--store", str(store), cwd=tmp_path)
        assert_one_line_error(done, f"{store}: the store cannot be read (")
    assert not (tmp_path / "store" / ".store.duckdb.closed").exists()


def test_a_damaged_store_is_an_error_in_the_library_not_a_crash(
    demo_file: Path, tmp_path: Path
) -> None:
    damaged = _flipped(demo_file.read_bytes(), 20000, 81920, 114688)
    store = copy_of(demo_file, tmp_path / "store", damaged)
    for read_only in (True, False):
        with pytest.raises(SanctionwatchError, match="the store cannot be read"):
            Store.open(store, read_only=read_only)
    assert store.read_bytes() == damaged


def test_a_sound_copy_is_read_whole_once_then_opens_as_it_is(
    demo_file: Path, tmp_path: Path
) -> None:
    store = copy_of(demo_file, tmp_path / "store")
    record = store.with_name(".store.duckdb.closed")
    assert not record.exists()
    with Store.open(store, read_only=True) as opened:
        assert opened.ingests.count().execute() == 1
    assert not record.exists()
    with Store.open(store) as opened:
        assert opened.ingests.count().execute() == 1
    assert record.exists()
    # Changed behind the store's back after a clean close: read whole again, and refused.
    store.write_bytes(_flipped(store.read_bytes(), 20000, 81920, 114688))
    with pytest.raises(SanctionwatchError, match="the store cannot be read"):
        Store.open(store, read_only=True)


def test_opening_a_cleanly_closed_store_costs_little(demo_file: Path, tmp_path: Path) -> None:
    store = copy_of(demo_file, tmp_path / "store")
    with Store.open(store):
        pass
    started = time.perf_counter()
    with Store.open(store, read_only=True):
        pass
    trusted = time.perf_counter() - started
    started = time.perf_counter()
    store.with_name(".store.duckdb.closed").unlink()
    with Store.open(store, read_only=True):
        pass
    probed = time.perf_counter() - started
    # No child process on a clean store: far below the cost of starting one.
    assert trusted < probed


# A read-only store -----------------------------------------------------------------------


def test_reading_commands_write_nothing_to_the_store_or_its_folder(
    demo_file: Path, tmp_path: Path
) -> None:
    store = copy_of(demo_file, tmp_path / "store")
    with Store.open(store):
        pass
    before = files_in(tmp_path / "store")
    (tmp_path / "names.csv").write_text("name\nKim\n", encoding="utf-8")
    for command in (["ingests"], ["check", "--no-record"], ["lists", "show"], ["rejects"]):
        done = sanctionwatch(*command, "--store", str(store), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert files_in(tmp_path / "store") == before


def test_reading_commands_share_the_store_with_another_reader(
    demo_file: Path, tmp_path: Path
) -> None:
    """Works as root too: a reader holding the file keeps out any writer, never a reader."""
    store = copy_of(demo_file, tmp_path / "store")
    with duckdb.connect(str(store), read_only=True):
        done = sanctionwatch("ingests", "--format", "csv", "--store", str(store), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "comtrade-json,69,69,0,0" in done.stdout


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root reads and writes past file modes: chmod proves nothing"
)
def test_reading_commands_serve_a_store_in_a_read_only_folder(
    demo_file: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "store"
    store = copy_of(demo_file, folder)
    store.chmod(0o444)
    folder.chmod(0o555)
    try:
        done = sanctionwatch("ingests", "--format", "csv", "--store", str(store), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "comtrade-json,69,69,0,0" in done.stdout
        done = sanctionwatch("check", "--no-record", "--store", str(store), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        done = sanctionwatch("runs", "--store", str(store), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    finally:
        folder.chmod(0o755)
        store.chmod(0o644)


def test_a_store_that_must_be_brought_up_to_date_is_written_once_then_read(
    demo_file: Path, tmp_path: Path
) -> None:
    """An ingest that died between its two transactions left rows no ingest lists."""
    store = copy_of(demo_file, tmp_path / "store")
    with duckdb.connect(str(store)) as con:
        con.execute("INSERT INTO _ingest_keys VALUES (99, 'gone', 'gone.json', false)")
        con.execute(
            "INSERT INTO _flow_rows SELECT * REPLACE (99 AS ingest_key) FROM _flow_rows LIMIT 5"
        )
    with Store.open(store, read_only=True) as opened:
        assert not opened.writable
        assert opened.flows.filter(opened.flows.ingest_id == "gone").count().execute() == 0


def test_a_duckdb_file_of_another_tool_is_not_made_a_store_by_reading(tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE something (a INTEGER)")
    before = other.read_bytes()
    with pytest.raises(SanctionwatchError, match="not a sanctionwatch store"):
        Store.open(other, read_only=True)
    assert other.read_bytes() == before


# A full disk -----------------------------------------------------------------------------


def _disk_full_at(size: int) -> Callable[[], None]:
    """For the child: writes past `size` bytes in any file fail (EFBIG) as on a full disk."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


@pytest.mark.slow
def test_a_full_disk_mid_ingest_leaves_the_store_as_it_was(demo_file: Path, tmp_path: Path) -> None:
    store = copy_of(demo_file, tmp_path / "store")
    records = [
        comtrade_record(period=str(2000 + n % 20), cmdCode=f"{2701 + n % 90}", primaryValue=n)
        for n in range(3000)
    ]
    trade = tmp_path / "trade.json"
    trade.write_text(json.dumps({"data": records}), encoding="utf-8")
    with Store.open(store, read_only=True) as opened:
        ingests_before = opened.ingests.to_pyarrow()
        flows_before = opened.flows.order_by(opened.flows.columns).to_pyarrow()

    done = sanctionwatch(
        "ingest", str(trade), "--store", str(store), cwd=tmp_path, preexec_fn=_disk_full_at(65536)
    )
    assert_one_line_error(done, f"{store}: nothing written", "File too large")

    with Store.open(store, read_only=True) as opened:
        assert opened.ingests.to_pyarrow().equals(ingests_before)
        assert opened.flows.order_by(opened.flows.columns).to_pyarrow().equals(flows_before)


def test_a_store_open_in_this_process_is_shared_as_it_is_held(
    demo_file: Path, tmp_path: Path
) -> None:
    store = copy_of(demo_file, tmp_path / "store")
    with Store.open(store) as writing, Store.open(store, read_only=True) as reading:
        assert writing.writable
        assert not reading.writable
        assert reading.ingests.count().execute() == 1
    with (
        Store.open(store, read_only=True),
        pytest.raises(SanctionwatchError, match="open read only in this process"),
    ):
        Store.open(store)
