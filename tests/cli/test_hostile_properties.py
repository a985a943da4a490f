"""The CLI under hostile bytes: whatever a trade file holds, `ingest` ends in one line, or in
rows read = accepted + rejected, and every command reading the store after it writes strict
JSON and no traceback."""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from tests.conftest import comtrade_record
from typer.testing import CliRunner

from sanctionwatch.cli import app

pytestmark = pytest.mark.slow

_runner = CliRunner()
_COUNTS = re.compile(r": (\d+) read = (\d+) accepted \+ (\d+) rejected")
_FIELDS = ("freqCode", "period", "reporterCode", "partnerCode", "flowCode", "cmdCode", "qty")


def _strict(text: str) -> Any:
    """JSON as a strict parser reads it: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def _run(*args: str) -> tuple[int, str, str]:
    result = _runner.invoke(app, list(args), env={"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{args}: {result.exception!r}") from result.exception
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def _json_file(records: list[Any]) -> bytes:
    return json.dumps({"data": records}).encode()


def _csv_file(records: list[dict[str, Any]], delimiter: str) -> bytes:
    lines = [delimiter.join((*_FIELDS, "primaryValue"))]
    lines += [
        delimiter.join(str(record.get(name, "")) for name in (*_FIELDS, "primaryValue"))
        for record in records
    ]
    return ("\n".join(lines) + "\n").encode()


_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
    st.sampled_from(["1e308", "-1", "=cmd|' /C calc'!A0", "[bold]x[/]", "", None]),
    st.text(max_size=8),
)
_records = st.builds(
    lambda value, code, period: comtrade_record(primaryValue=value, cmdCode=code, period=period),
    _values,
    st.sampled_from(["2701", "2601", "62", "TOTAL", "[/]", "@SUM(1)", "27011"]),
    st.sampled_from(["2017", "2018", "201713", "", "2017\n"]),
)


@st.composite
def _hostile(draw: st.DrawFn) -> tuple[str, bytes]:
    records = draw(st.lists(_records, max_size=6))
    kind = draw(st.sampled_from(["json", "csv", "tsv", "bytes"]))
    if kind == "json":
        data = _json_file(records)
        name = "flows.json"
    elif kind == "bytes":
        data = draw(st.binary(max_size=200))
        name = draw(st.sampled_from(["flows.json", "flows.csv", "flows.txt"]))
    else:
        data = _csv_file(records, "," if kind == "csv" else "\t")
        name = f"flows.{kind}"
    damage = draw(st.sampled_from(["none", "cut", "quote", "nul", "utf16", "latin1"]))
    if damage == "cut" and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif damage == "quote":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b'"oops' + data[at:]
    elif damage == "nul":
        data = data.replace(b",", b"\x00,", 1)
    elif damage == "utf16":
        data = data.decode("utf-8", "replace").encode("utf-16")
    elif damage == "latin1":
        data = data.decode("utf-8", "replace").encode("latin-1", "replace") + b"\xe9\n"
    return name, data


@settings(
    max_examples=60,
    deadline=None,
    # Each example runs four commands: shrinking a failure would take minutes; the example
    # is printed as found.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(_hostile())
def test_hostile_trade_files_through_the_cli(case: tuple[str, bytes]) -> None:
    name, data = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        store = str(Path(folder) / "store.duckdb")
        code, out, err = _run("ingest", str(path), "--store", store)
        if code != 0:
            assert code == 1
            assert err.startswith("error: ")
            assert err.count("\n") == 1
            return
        counts = _COUNTS.search(out.replace("\n", " "))
        assert counts is not None, out
        read, accepted, rejected = map(int, counts.groups())
        assert read == accepted + rejected

        (listed,) = _strict(_run("ingests", "--store", store, "--format", "json")[1])
        assert (listed["rows_read"], listed["rows_accepted"]) == (read, accepted)
        rejects = _strict(_run("rejects", "--store", store, "--format", "json")[1])
        assert len(rejects) == rejected

        code, out, _ = _run("check", "--store", store, "--format", "json")
        assert code == 0
        findings = _strict(out)["findings"]
        assert all(row["value_usd"] is None or abs(row["value_usd"]) < 1e300 for row in findings)
        for command in ("rejects", "ingests"):
            code, out, _ = _run(command, "--store", store, "--format", "csv")
            assert code == 0
            cells = [cell for row in list(csv.reader(io.StringIO(out)))[1:] for cell in row]
            assert not any(cell[:1] in ("=", "+", "@") for cell in cells)
