"""The hostile-input pass: feed the sanctionwatch CLI damaged, ambiguous and malicious input and
count what it gets wrong.

Every input is generated here, in a temporary folder; nothing hostile is shipped as a file. Each
attempt runs the CLI in subprocesses (`python -m sanctionwatch.cli ...`) with this environment's
PYTHONPATH, so the pass can be pointed at any checkout:

    PYTHONPATH=/path/to/checkout/src python tools/hostile_pass.py [--quick] [--json FILE]

An attempt fails when a Python traceback appears; the process dies by a signal, runs over the
timeout or over the memory ceiling; JSON output is not strict JSON (NaN, Infinity) or does not
parse; an ingest's "N read = A accepted + R rejected" does not add up, or reads fewer or more
rows than the file holds, or the rejects it lists differ from its count; a reading command
creates a file; a failed output leaves a partial file or spoils the old one; a CSV cell starts a
formula; text in the data that looks like terminal markup is not printed as written; the same
flows ingested twice (under another shape) move a cap or a total; or an error exits 0. Each
failure gets a short defect key ("traceback:MarkupError (rejects)", "json:Infinity (check)",
"created-store (check)", "timeout (lists load)", "double-count", ...), so that distinct defects
can be counted.

It prints, per class of input, the attempts, the failures and the distinct defect keys, then
`attempts N, failed F, distinct defects D`. `--json FILE` writes every attempt with its commands,
exit codes, output excerpts and defect keys. `--quick` runs a small subset.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import csv
import gzip
import io
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TIMEOUT = 30.0
# The report builds every section before it writes a byte: on two busy cores it takes a minute.
SLOW_COMMANDS = {"report": 240.0, "demo": 240.0}
MEMORY_CEILING = 3 * 1024**3
COUNTS = re.compile(r"(\d+) read = (\d+) accepted \+ (\d+) rejected")
EXCEPTION_LINE = re.compile(r"^((?:[a-z_]\w*\.)*[A-Z]\w*)(?::|$)")
MARKUP = "[bold red]"

# ---------------------------------------------------------------------------------------------
# Running the CLI


@dataclass
class Run:
    args: list[str]
    code: int | None
    out: str
    err: str
    seconds: float
    timed_out: bool = False
    over_memory: bool = False

    @property
    def command(self) -> str:
        words = [a for a in self.args[:2] if not a.startswith("-") and "/" not in a]
        if words and words[0] in {"regime", "lists", "hs"}:
            return " ".join(words[:2])
        return words[0] if words else "?"

    def excerpt(self) -> dict[str, Any]:
        return {
            "args": self.args,
            "exit": self.code,
            "seconds": round(self.seconds, 2),
            "stdout": _clip(self.out),
            "stderr": _clip(self.err),
        }


def _clip(text: str, head: int = 300, tail: int = 1200) -> str:
    """The start and the end of `text`, where a traceback names its exception."""
    if len(text) <= head + tail:
        return text
    return f"{text[:head]} ... [{len(text) - head - tail} chars] ... {text[-tail:]}"


_NOISE = random.Random(1718)


def noise(size: int) -> bytes:
    """Random bytes, the same on every run: cases are made in one order."""
    return _NOISE.randbytes(size)


def _rss(pid: int) -> int:
    try:
        pages = Path(f"/proc/{pid}/statm").read_text(encoding="ascii").split()[1]
        return int(pages) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_file_size(limit: int | None) -> Callable[[], None] | None:
    if limit is None:
        return None

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


class Runner:
    """Runs `python -m sanctionwatch.cli` with this environment's PYTHONPATH."""

    def __init__(self, cache: Path) -> None:
        self.env = {
            **os.environ,
            "COLUMNS": "400",
            "SANCTIONWATCH_CACHE": str(cache),
            "PYTHONIOENCODING": "utf-8",
        }
        self.env.pop("SANCTIONWATCH_STORE", None)

    def __call__(
        self,
        *args: str,
        cwd: Path,
        stdin: bytes = b"",
        timeout: float = TIMEOUT,
        file_size: int | None = None,
    ) -> Run:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "sanctionwatch.cli", *args],
            cwd=cwd,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_limit_file_size(file_size),
        )
        over = threading.Event()

        def watch() -> None:
            while process.poll() is None:
                if _rss(process.pid) > MEMORY_CEILING:
                    over.set()
                    _kill(process)
                    return
                time.sleep(0.1)

        threading.Thread(target=watch, daemon=True).start()
        timed_out = False
        try:
            out, err = process.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill(process)
            out, err = process.communicate()
        return Run(
            list(args),
            None if timed_out else process.returncode,
            out.decode("utf-8", "replace"),
            err.decode("utf-8", "replace"),
            time.monotonic() - started,
            timed_out=timed_out,
            over_memory=over.is_set(),
        )


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


# ---------------------------------------------------------------------------------------------
# Judging one run


def _exception_name(text: str) -> str:
    tail = text[text.rfind("Traceback (most recent call last)") :]
    names = [m.group(1) for line in tail.splitlines() if (m := EXCEPTION_LINE.match(line))]
    return names[-1] if names else "unknown"


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(constant)

    return json.loads(text, parse_constant=refuse)


def judge(
    run: Run, *, expect_error: bool = False, json_out: bool = False, must_succeed: bool = False
) -> list[str]:
    """Defect keys of one run: crashes, tracebacks, unstrict JSON, an error that exits 0."""
    where = f" ({run.command})"
    if run.over_memory:
        return ["memory" + where]
    if run.timed_out:
        return ["timeout" + where]
    assert run.code is not None
    if run.code < 0 or run.code > 128:
        number = -run.code if run.code < 0 else run.code - 128
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = str(number)
        return [f"signal:{name}{where}"]
    keys = []
    both = run.out + run.err
    if "Traceback (most recent call last)" in both:
        keys.append(f"traceback:{_exception_name(both)}{where}")
    if expect_error and run.code == 0:
        keys.append("exit0-on-error" + where)
    if must_succeed and run.code != 0 and not keys:
        keys.append("refused-valid-input" + where)
    if json_out and run.code == 0:
        try:
            _strict_json(run.out)
        except ValueError as error:
            constant = str(error)
            kind = constant if constant in ("NaN", "Infinity", "-Infinity") else "invalid"
            keys.append(f"json:{kind}{where}")
    return keys


# ---------------------------------------------------------------------------------------------
# Cases


@dataclass
class Context:
    folder: Path
    runner: Runner
    seeds: dict[str, Path]
    runs: list[Run] = field(default_factory=list)

    def cli(self, *args: str, **options: Any) -> Run:
        if args and args[0] in SLOW_COMMANDS:
            options.setdefault("timeout", SLOW_COMMANDS[args[0]])
        run = self.runner(*args, cwd=self.folder, **options)
        self.runs.append(run)
        return run

    def seed(self, name: str, target: str = "store.duckdb") -> Path:
        """A private copy of a seed store."""
        path = self.folder / target
        shutil.copyfile(self.seeds[name], path)
        return path


@dataclass
class Case:
    klass: str
    name: str
    body: Callable[[Context], list[str]]


CASES: list[Case] = []


def case(klass: str, name: str) -> Callable[[Callable[[Context], list[str]]], None]:
    def register(body: Callable[[Context], list[str]]) -> None:
        CASES.append(Case(klass, name, body))

    return register


# ---------------------------------------------------------------------------------------------
# Trade data

COMTRADE_HEADER = [
    "freqCode",
    "period",
    "reporterCode",
    "partnerCode",
    "flowCode",
    "cmdCode",
    "primaryValue",
    "cmdDesc",
]
BACI_HEADER = ["t", "i", "j", "k", "v", "q"]
MAPPING_HEADER = ["Year", "Reporter", "Partner", "HS", "Value", "Note"]
MAPPING = """\
format: {format}
delimiter: ";"
encoding: {encoding}
columns:
  period: Year
  reporterCode: Reporter
  partnerCode: Partner
  cmdCode: HS
  primaryValue: Value
  qtyUnitAbbr: Note
constants:
  freqCode: A
  flowCode: M
"""


def record(**fields: Any) -> dict[str, Any]:
    """A Comtrade API record: China's annual 2017 imports of coal from the DPRK."""
    base: dict[str, Any] = {
        "freqCode": "A",
        "period": "2017",
        "reporterCode": 156,
        "reporterISO": "CHN",
        "partnerCode": 408,
        "partnerISO": "PRK",
        "flowCode": "M",
        "classificationCode": "H5",
        "cmdCode": "2701",
        "primaryValue": 1000.0,
        "netWgt": None,
        "qty": None,
        "qtyUnitAbbr": None,
    }
    base.update(fields)
    return base


def good_row(kind: str, code: str, value: str = "5", delimiter: str = ",") -> str:
    if kind == "baci":
        return delimiter.join(["2017", "156", "408", code, value, "2"])
    if kind == "mapping":
        return delimiter.join(["2017", "156", "408", code, value, "kg"])
    return delimiter.join(["A", "2017", "156", "408", "M", code, value, "coal"])


@dataclass
class TradeFile:
    name: str
    data: bytes
    rows: int | None  # data rows the file holds, None where that is a matter of reading
    args: tuple[str, ...] = ()
    mapping: str | None = None


DELIMITED = {
    "comtrade-csv": (",", COMTRADE_HEADER, "export.csv", ()),
    "comtrade-bulk": ("\t", COMTRADE_HEADER, "bulk.txt", ("--format", "comtrade-bulk")),
    "baci": (",", BACI_HEADER, "BACI_HS17_Y2019_V202401.csv", ("--format", "baci")),
    "mapping": (";", MAPPING_HEADER, "table.csv", ()),
}
CODES = ["2701", "2702", "2703", "2601", "2602", "61", "62", "03"]


def _delimited_variants(kind: str) -> list[tuple[str, list[str] | bytes, int | None]]:
    """(damage, lines or raw bytes, data rows) for one delimited format."""
    delimiter, header, _, _ = DELIMITED[kind]
    head = delimiter.join(header)
    good = [good_row(kind, code, delimiter=delimiter) for code in CODES[:4]]
    cut = good[0].rsplit(delimiter, 1)[0]

    def text(lines: list[str]) -> str:
        return "\n".join(lines) + "\n"

    variants: list[tuple[str, list[str] | bytes, int | None]] = [
        ("unclosed-quote-mid", [head, good[0], f'{cut}{delimiter}"oops', *good[1:]], 5),
        ("unclosed-quote-last", [head, *good, f'{cut}{delimiter}"oops'], 5),
        ("embedded-newline", [head, good[0], f'{cut}{delimiter}"two', 'lines"', *good[1:]], 6),
        ("quote-after-closed", [head, good[0], f'{cut}{delimiter}"closed" after', good[1]], 3),
        ("ragged-short", [head, good[0], cut, good[1]], 3),
        ("ragged-long", [head, good[0], good[1] + delimiter + "extra", good[2]], 3),
        ("ragged-mixed", [head, cut, good[0] + delimiter * 5, cut.split(delimiter)[0], good[1]], 4),
        ("duplicated-header", [head + delimiter + header[-1], good[0] + delimiter + "7"], None),
        (
            "duplicated-header-case",
            [head + delimiter + header[-2].upper(), good[0] + delimiter + "7"],
            None,
        ),
        (
            "values-nan-inf",
            [head]
            + [
                good_row(kind, "2701", v, delimiter)
                for v in ("NaN", "inf", "-inf", "1e308", "-1", "1e400")
            ],
            6,
        ),
        (
            "huge-field",
            [head, good[0], good_row(kind, "2702", "x" * 300_000, delimiter), good[1]],
            3,
        ),
        ("crlf", bytes(text([head, *good]).replace("\n", "\r\n"), "utf-8"), 4),
        (
            "nul-bytes",
            text(
                [head, good[0], good[1].replace(delimiter, "\x00" + delimiter, 1), good[2]]
            ).encode(),
            3,
        ),
        (
            "latin-1",
            text([head, *good[:2], good_row(kind, "2703", "5", delimiter) + "\xe9\xff"]).encode(
                "latin-1"
            ),
            3,
        ),
        ("utf-16-bom", text([head, *good]).encode("utf-16"), 4),
        ("utf-16-le-no-bom", text([head, *good]).encode("utf-16-le"), 4),
        ("utf-8-bom", b"\xef\xbb\xbf" + text([head, *good]).encode(), 4),
        ("header-only", [head], 0),
        ("cr-line-endings", text([head, *good]).replace("\n", "\r").encode(), 4),
        (
            "markup-and-formulas",
            [
                head,
                good_row(kind, "[/]", "5", delimiter),
                good_row(kind, "=1+1", "@SUM(A1)", delimiter),
                good[0],
            ],
            3,
        ),
    ]
    return variants


def trade_files() -> list[tuple[str, TradeFile]]:
    """(variant name, file) for every hostile trade file."""
    files: list[tuple[str, TradeFile]] = []
    for kind, (_, _, name, args) in DELIMITED.items():
        for damage, content, rows in _delimited_variants(kind):
            data = content if isinstance(content, bytes) else ("\n".join(content) + "\n").encode()
            mapping = MAPPING.format(format="csv", encoding="utf-8") if kind == "mapping" else None
            files.append((f"{kind}/{damage}", TradeFile(name, data, rows, args, mapping)))
    plain = (
        "\n".join([",".join(COMTRADE_HEADER), *[good_row("comtrade-csv", c) for c in CODES]]) + "\n"
    ).encode()
    packed = gzip.compress(plain.replace(b",", b"\t"))
    bulk = ("--format", "comtrade-bulk")
    files += [
        ("gzip/truncated-half", TradeFile("bulk.txt.gz", packed[: len(packed) // 2], None, bulk)),
        ("gzip/truncated-header", TradeFile("bulk.txt.gz", packed[:12], None, bulk)),
        (
            "gzip/garbage-after-magic",
            TradeFile("bulk.txt.gz", packed[:10] + noise(200), None, bulk),
        ),
        ("gzip/csv-truncated", TradeFile("export.csv.gz", gzip.compress(plain)[:-30], None)),
        (
            "gzip/two-members",
            TradeFile(
                "bulk.txt.gz",
                packed + gzip.compress(b"A\t2017\t156\t408\tM\t2709\t5\tcoal\n"),
                9,
                bulk,
            ),
        ),
    ]

    def as_json(payload: Any, **dump: Any) -> bytes:
        return json.dumps(payload, **dump).encode()

    good = [record(), record(cmdCode="2702"), record(cmdCode="2601", primaryValue=7.5)]
    json_variants: list[tuple[str, bytes, int | None]] = [
        ("null-record", as_json({"data": [good[0], None, good[1]]}), 3),
        ("only-null", as_json({"data": [None]}), 1),
        ("scalar-records", as_json({"data": [7, "x", [], True, good[0]]}), 5),
        ("nan-literal", as_json({"data": [record(primaryValue=float("nan")), good[1]]}), 2),
        (
            "infinity-literal",
            as_json(
                {"data": [record(primaryValue=float("inf")), record(netWgt=float("-inf")), good[2]]}
            ),
            3,
        ),
        (
            "1e308",
            as_json({"data": [record(primaryValue=1e308), record(netWgt=1e308, cmdCode="2702")]}),
            2,
        ),
        (
            "1e309-text",
            b'{"data": [' + as_json(record(primaryValue=1))[:-1] + b', "qty": 1e309}]}',
            1,
        ),
        ("negative", as_json({"data": [record(primaryValue=-1), good[1]]}), 2),
        (
            "string-numbers",
            as_json(
                {
                    "data": [
                        record(primaryValue="1e308"),
                        record(primaryValue="NaN"),
                        record(primaryValue="12,5"),
                    ]
                }
            ),
            3,
        ),
        (
            "huge-int",
            b'{"data": [' + json.dumps(record()).replace("1000.0", "9" * 5000).encode() + b"]}",
            1,
        ),
        ("truncated", as_json({"data": good})[:-40], None),
        ("empty-object", b"{}", None),
        ("data-null", b'{"data": null}', None),
        ("data-object", b'{"data": {"a": 1}}', None),
        ("top-level-list", as_json(good), None),
        ("deep-nesting", b'{"data": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}", None),
        (
            "duplicate-keys",
            b'{"data": [{"cmdCode": "2701", "cmdCode": "[/]", ' + as_json(record())[1:] + b"]}",
            1,
        ),
        ("utf-16-bom", as_json({"data": good}).decode().encode("utf-16"), 3),
        ("utf-16-le-no-bom", as_json({"data": good}).decode().encode("utf-16-le"), 3),
        (
            "latin-1-text",
            as_json({"data": [record(cmdDesc="Caf\xe9")]}, ensure_ascii=False)
            .decode()
            .encode("latin-1"),
            None,
        ),
        ("utf-8-bom", b"\xef\xbb\xbf" + as_json({"data": good}), 3),
        (
            "markup-period",
            as_json({"data": [record(period="[bold red]2017[/]"), record(cmdCode="[/]"), good[0]]}),
            3,
        ),
        (
            "many-records",
            as_json(
                {
                    "data": [
                        record(cmdCode=CODES[i % 8], period=str(2012 + i % 12))
                        for i in range(20_000)
                    ]
                }
            ),
            20_000,
        ),
    ]
    files += [(f"comtrade-json/{n}", TradeFile("response.json", d, r)) for n, d, r in json_variants]
    header = list(MAPPING_HEADER)
    row = [2017, 156, 408, "2701", 5, "kg"]
    excel = MAPPING.format(format="excel", encoding="utf-8")
    doctype_xxe = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    laughs = (
        b'<!DOCTYPE x [<!ENTITY a "'
        + b"a" * 10
        + b'">'
        + b"".join(
            b'<!ENTITY %c "%s">' % (98 + i, (b"&" + bytes([97 + i]) + b";") * 10) for i in range(9)
        )
        + b"]>"
    )
    files += [
        ("excel/plain", TradeFile("table.xlsx", xlsx(header, row), 1, mapping=excel)),
        (
            "excel/external-entity",
            TradeFile("table.xlsx", xlsx(header, row, doctype_xxe, "&e;"), None, mapping=excel),
        ),
        (
            "excel/entity-bomb",
            TradeFile("table.xlsx", xlsx(header, row, laughs, "&j;"), None, mapping=excel),
        ),
        (
            "excel/not-a-zip",
            TradeFile("table.xlsx", b"PK\x03\x04 not really a zip", None, mapping=excel),
        ),
        (
            "excel/truncated-zip",
            TradeFile("table.xlsx", xlsx(header, row)[:300], None, mapping=excel),
        ),
        (
            "excel/duplicated-header",
            TradeFile("table.xlsx", xlsx([*header, " value "], [*row, 6]), None, mapping=excel),
        ),
    ]
    return files


def _cell(value: Any, column: int, row: int) -> str:
    ref = f"{chr(65 + column)}{row}"
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def xlsx(header: list[Any], row: list[Any], doctype: bytes = b"", entity: str = "") -> bytes:
    """A minimal workbook made by hand, optionally declaring `doctype` and using `entity` in a
    cell, the way a hostile workbook would."""
    rows = [header, row]
    cells = "".join(
        f'<row r="{r + 1}">' + "".join(_cell(v, c, r + 1) for c, v in enumerate(values)) + "</row>"
        for r, values in enumerate(rows)
    )
    if entity:
        cells = cells.replace("<t>kg</t>", f"<t>{entity}</t>")
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        + doctype
        + b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + f"<sheetData>{cells}</sheetData></worksheet>".encode()
    )
    package = "http://schemas.openxmlformats.org/package/2006"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    head = '<?xml version="1.0" encoding="UTF-8"?>'

    def relationship(kind: str, target: str) -> str:
        return (
            f'{head}<Relationships xmlns="{package}/relationships">'
            f'<Relationship Id="rId1" Type="{office}/{kind}" Target="{target}"/></Relationships>'
        )

    parts = {
        "[Content_Types].xml": (
            f'{head}<Types xmlns="{package}/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{kind}.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": relationship("officeDocument", "xl/workbook.xml"),
        "xl/workbook.xml": (
            f'{head}<workbook xmlns="{main}" xmlns:r="{office}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": relationship("worksheet", "worksheets/sheet1.xml"),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def ingest_and_account(ctx: Context, path: Path, rows: int | None, *extra: str) -> list[str]:
    """Ingest `path`; the counts must add up, match the file, and match the stored rejects."""
    run = ctx.cli("ingest", str(path), "--store", "store.duckdb", *extra)
    keys = judge(run)
    if "root:x:0:0" in run.out + run.err:
        keys.append("xxe:file-read (ingest)")
    if keys or run.code != 0:
        return keys
    counts = COUNTS.search(" ".join(run.out.split()))
    if counts is None:
        return ["accounting:no-count (ingest)"]
    read, accepted, rejected = map(int, counts.groups())
    if read != accepted + rejected:
        return ["accounting:sum (ingest)"]
    if rows is not None and read < rows:
        keys.append("accounting:rows-vanish (ingest)")
    elif rows is not None and read > rows:
        keys.append("accounting:rows-invented (ingest)")
    listed = ctx.cli("rejects", "--store", "store.duckdb", "--format", "json")
    more = judge(listed, json_out=True)
    if not more and listed.code == 0:
        payload = _strict_json(listed.out)
        if isinstance(payload, list) and len(payload) != rejected:
            more.append("accounting:rejects-differ (rejects)")
        if "root:x:0:0" in listed.out:
            more.append("xxe:file-read (rejects)")
    return keys + more


def _register_trade() -> None:
    for variant, trade in trade_files():

        def body(ctx: Context, trade: TradeFile = trade) -> list[str]:
            path = ctx.folder / trade.name
            path.write_bytes(trade.data)
            extra = list(trade.args)
            if trade.mapping is not None:
                (ctx.folder / "mapping.yaml").write_text(trade.mapping, encoding="utf-8")
                extra += ["--mapping", "mapping.yaml"]
            return ingest_and_account(ctx, path, trade.rows, *extra)

        case("trade-files", variant)(body)

    def not_a_file(kind: str) -> Callable[[Context], list[str]]:
        def body(ctx: Context) -> list[str]:
            target = ctx.folder / "input.csv"
            if kind == "directory":
                target.mkdir()
            elif kind == "fifo":
                os.mkfifo(target)
            elif kind == "empty":
                target.touch()
            elif kind == "symlink-loop":
                target.symlink_to(target)
            elif kind == "devnull":
                target = Path(os.devnull)
            elif kind == "unreadable":
                target.write_text("x", encoding="utf-8")
                target.chmod(0)
            run = ctx.cli("ingest", str(target), "--store", "store.duckdb", timeout=15)
            return judge(run, expect_error=True)

        return body

    for kind in ("directory", "fifo", "devnull", "empty", "symlink-loop", "missing", "unreadable"):
        case("trade-files", f"path/{kind}")(not_a_file(kind))

    def several(ctx: Context) -> list[str]:
        first = ctx.folder / "first.json"
        first.write_text(json.dumps({"data": [record()]}), encoding="utf-8")
        broken = ctx.folder / "broken.json"
        broken.write_text('{"data": [', encoding="utf-8")
        last = ctx.folder / "last.json"
        last.write_text(json.dumps({"data": [record(cmdCode="2702")]}), encoding="utf-8")
        run = ctx.cli("ingest", str(first), str(broken), str(last), "--store", "store.duckdb")
        return judge(run, expect_error=True)

    case("trade-files", "several/one-broken")(several)


# ---------------------------------------------------------------------------------------------
# The same flows twice, in another shape


def _demo_records(ctx: Context) -> list[dict[str, Any]]:
    return json.loads(ctx.seeds["demo-json"].read_text(encoding="utf-8"))["data"]


def _cap_fingerprint(run: Run) -> Any:
    payload = _strict_json(run.out)
    caps = sorted(
        (f["measure_id"], str(f.get("period")), f.get("used"), f.get("used_pct"))
        for f in payload["findings"]
        if f.get("kind") == "cap"
    )
    return caps, payload["summary"].get("ban_value_usd_by_status")


def _reshape(shape: str, records: list[dict[str, Any]]) -> tuple[str, bytes, tuple[str, ...]]:
    fields = [
        "freqCode", "period", "reporterCode", "partnerCode", "flowCode", "classificationCode",
        "cmdCode", "primaryValue", "netWgt", "qty", "qtyUnitAbbr",
    ]  # fmt: skip

    def cell(value: Any) -> str:
        return "" if value is None else str(value)

    def table(delimiter: str, newline: str = "\n") -> str:
        lines = [delimiter.join(fields)]
        lines += [delimiter.join(cell(r.get(f)) for f in fields) for r in records]
        return newline.join(lines) + newline

    if shape == "indent-1-json":
        return "again.json", json.dumps({"data": records}, indent=1).encode(), ()
    if shape == "compact-json":
        return "compact.json", json.dumps({"data": records}, separators=(",", ":")).encode(), ()
    if shape == "reordered-json":
        return (
            "reordered.json",
            json.dumps({"data": [dict(sorted(r.items())) for r in reversed(records)]}).encode(),
            (),
        )
    if shape == "csv":
        return "same.csv", table(",").encode(), ()
    if shape == "csv-crlf":
        return "same-crlf.csv", table(",", "\r\n").encode(), ()
    if shape == "bulk-gzip":
        return "same.txt.gz", gzip.compress(table("\t").encode()), ("--format", "comtrade-bulk")
    if shape == "json-gzip-as-bulk":
        return (
            "same2.tsv.gz",
            gzip.compress(table("\t").encode(), mtime=1),
            ("--format", "comtrade-bulk"),
        )
    return "same.json", json.dumps({"data": records}, indent=4, sort_keys=True).encode(), ()


def _register_double() -> None:
    for shape in (
        "identical",
        "indent-1-json",
        "compact-json",
        "reordered-json",
        "pretty-json",
        "csv",
        "csv-crlf",
        "bulk-gzip",
        "json-gzip-as-bulk",
    ):

        def body(ctx: Context, shape: str = shape) -> list[str]:
            store = ctx.seed("demo")
            first = ctx.cli("check", "--store", store.name, "--format", "json")
            keys = judge(first, json_out=True, must_succeed=True)
            if keys or first.code != 0:
                return keys
            if shape == "identical":
                name, data, args = "again.json", ctx.seeds["demo-json"].read_bytes(), ()
            else:
                name, data, args = _reshape(shape, _demo_records(ctx))
            (ctx.folder / name).write_bytes(data)
            again = ctx.cli("ingest", name, "--store", store.name, *args)
            keys = judge(again, must_succeed=True)
            if keys or again.code != 0:
                return keys
            after = ctx.cli("check", "--store", store.name, "--format", "json")
            keys = judge(after, json_out=True, must_succeed=True)
            if keys or after.code != 0:
                return keys
            return [] if _cap_fingerprint(first) == _cap_fingerprint(after) else ["double-count"]

        case("double-ingest", shape)(body)


# ---------------------------------------------------------------------------------------------
# Regime, mapping and relief YAML

REGIME = """\
id: test
name: Test regime
target: PRK
target_code: 408
measures:
  - id: coal-cap
    title: Coal cap
    resolution: "2321"
    paragraph: OP26(b)
    citation:
      document: S/RES/2321 (2016)
      url: https://undocs.org/S/RES/2321(2016)
    direction: from_target
    scope:
      hs: ["2701"]
      hs_version: 2012
    kind: cap
    start: 2017-01-01
    end: 2017-12-31
    cap:
      limits:
        - {amount: 400870018, unit: USD}
      period: {kind: calendar_year}
  - id: coal-ban
    title: Coal ban
    resolution: "2371"
    paragraph: OP8
    citation:
      document: S/RES/2371 (2017)
      url: https://undocs.org/S/RES/2371(2017)
    direction: from_target
    scope:
      hs: ["2701", "50-63"]
      hs_version: 2017
    kind: ban
    start: 2017-08-05
    grace:
      days: 30
    supersedes:
      - {measure: coal-cap, from: 2017-08-05}
"""
QUOTA = """\
  - id: coal-quota
    title: Coal quota
    resolution: "2371"
    paragraph: OP8
    citation: {document: S/RES/2371 (2017), url: "https://undocs.org/S/RES/2371(2017)"}
    direction: from_target
    scope: {hs: ["2701"], hs_version: 2017}
    kind: ban
    start: 2017-08-05
    supersedes:
      - {measure: coal-ban, from: 2017-09-01}
"""


def alias_bomb(levels: int = 8, fan_out: int = 10) -> str:
    lines = ["a0: &a0 [" + ",".join(["lol"] * fan_out) + "]"]
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * fan_out) + "]")
    return "\n".join(lines) + "\n"


def _cycle(text: str) -> str:
    return text.replace(
        "    end: 2017-12-31\n",
        "    end: 2017-12-31\n    supersedes:\n      - {measure: coal-ban, from: 2017-08-05}\n",
    )


REGIMES: dict[str, str | bytes] = {
    "cycle-of-two": _cycle(REGIME),
    "cycle-of-three": REGIME.replace(
        "    end: 2017-12-31\n",
        "    end: 2017-12-31\n    supersedes:\n      - {measure: coal-quota, from: 2017-09-01}\n",
    )
    + QUOTA,
    "self-supersession": REGIME.replace(
        "{measure: coal-cap, from: 2017-08-05}", "{measure: coal-ban, from: 2017-08-05}"
    ),
    "supersession-before-start": REGIME.replace("from: 2017-08-05}", "from: 2016-12-31}"),
    "supersession-before-replaced-starts": REGIME.replace("start: 2017-01-01", "start: 2017-09-01"),
    "cap-inf": REGIME.replace("amount: 400870018", "amount: .inf"),
    "cap-minus-inf": REGIME.replace("amount: 400870018", "amount: -.inf"),
    "cap-nan": REGIME.replace("amount: 400870018", "amount: .nan"),
    "cap-1e999": REGIME.replace("amount: 400870018", "amount: 1e999"),
    "cap-negative": REGIME.replace("amount: 400870018", "amount: -5"),
    "grace-inf": REGIME.replace("days: 30", "days: .inf"),
    "threshold-nan": REGIME.replace(
        "      period: {kind: calendar_year}\n",
        "      period: {kind: calendar_year}\n      thresholds: [50, .nan]\n",
    ),
    "alias-bomb": alias_bomb(),
    "alias-bomb-in-measures": REGIME.replace('hs: ["2701"]', "hs: *a8").replace(
        "measures:\n", alias_bomb() + "measures:\n", 1
    ),
    "alias-loop": REGIME.replace('hs: ["2701"]', 'hs: &loop ["2701", *loop]'),
    "deep-nesting": REGIME + "notes: " + "[" * 5000 + "]" * 5000 + "\n",
    "bad-date-month": REGIME.replace("start: 2017-01-01", "start: 2017-13-45"),
    "bad-date-day": REGIME.replace("start: 2017-01-01", "start: 2017-02-30"),
    "bad-date-word": REGIME.replace("start: 2017-01-01", "start: yesterday"),
    "end-before-start": REGIME.replace("end: 2017-12-31", "end: 2016-01-01"),
    "empty-file": "",
    "top-level-list": "- 1\n- 2\n",
    "binary": noise(512),
    "utf-16": REGIME.encode("utf-16"),
    "python-tag": REGIME.replace(
        "name: Test regime", "name: !!python/object/apply:os.system ['true']"
    ),
}


def _register_regimes() -> None:
    for name, text in REGIMES.items():
        data = text if isinstance(text, bytes) else text.encode()

        def validate(ctx: Context, data: bytes = data) -> list[str]:
            (ctx.folder / "regime.yaml").write_bytes(data)
            return judge(ctx.cli("regime", "validate", "regime.yaml"), expect_error=True)

        def check(ctx: Context, data: bytes = data) -> list[str]:
            (ctx.folder / "regime.yaml").write_bytes(data)
            store = ctx.seed("demo")
            run = ctx.cli(
                "check", "--regime", "regime.yaml", "--store", store.name, "--format", "json"
            )
            return judge(run, expect_error=True, json_out=True)

        case("regime-files", f"validate/{name}")(validate)
        case("regime-files", f"check/{name}")(check)


PACKAGE = """\
name: Coal cap instead of coal ban
description: test
regime: un-dprk
commitments:
  - text: No nuclear tests
    broken_by: [nuclear-test]
relief:
  - lift: 2371-op8
    hs: ["2701", "2702"]
    from: 2019-01-01
"""


def _register_yaml() -> None:
    mappings = {
        "alias-bomb": alias_bomb(),
        "alias-bomb-9": alias_bomb(9),
        "alias-in-columns": MAPPING.format(format="csv", encoding="utf-8").replace(
            "columns:\n", "junk: " + alias_bomb().replace("\n", "\n  ").rstrip() + "\ncolumns:\n", 1
        ),
        "alias-loop": MAPPING.format(format="csv", encoding="utf-8").replace(
            "freqCode: A", "freqCode: &x [A, *x]"
        ),
        "deep-nesting": MAPPING.format(format="csv", encoding="utf-8")
        + "notes: "
        + "[" * 5000
        + "]" * 5000
        + "\n",
        "codec-rot13": MAPPING.format(format="csv", encoding="rot13"),
        "codec-zlib": MAPPING.format(format="csv", encoding="zlib_codec"),
        "codec-unknown": MAPPING.format(format="csv", encoding="klingon"),
        "delimiter-empty": MAPPING.format(format="csv", encoding="utf-8").replace(
            'delimiter: ";"', 'delimiter: ""'
        ),
        "not-a-mapping": "- just\n- a list\n",
    }
    for name, text in mappings.items():

        def body(ctx: Context, text: str = text) -> list[str]:
            (ctx.folder / "mapping.yaml").write_text(text, encoding="utf-8")
            (ctx.folder / "table.csv").write_text(
                ";".join(MAPPING_HEADER) + "\n" + good_row("mapping", "2701", delimiter=";") + "\n",
                encoding="utf-8",
            )
            run = ctx.cli(
                "ingest", "table.csv", "--mapping", "mapping.yaml", "--store", "store.duckdb"
            )
            return judge(run, expect_error=True)

        case("mapping-relief-yaml", f"mapping/{name}")(body)
    packages = {
        "alias-bomb": alias_bomb(),
        "alias-bomb-in-relief": PACKAGE.replace('hs: ["2701", "2702"]', "hs: *a8") + alias_bomb(),
        "alias-loop": PACKAGE.replace('hs: ["2701", "2702"]', 'hs: &l ["2701", *l]'),
        "deep-nesting": PACKAGE + "notes: " + "[" * 5000 + "]" * 5000 + "\n",
        "bad-date": PACKAGE.replace("from: 2019-01-01", "from: 2019-02-30"),
        "unknown-measure": PACKAGE.replace("lift: 2371-op8", "lift: 9999-op1"),
        "cap-inf": PACKAGE
        + "  - cap: 2321-op26b\n    from: 2019-01-01\n    limits: [{amount: .inf, unit: USD}]\n",
        "empty-file": "",
        "binary": "\x00\x01\x02" * 50,
    }
    for name, text in packages.items():

        def body(ctx: Context, text: str = text) -> list[str]:
            (ctx.folder / "package.yaml").write_text(text, encoding="utf-8")
            store = ctx.seed("demo")
            run = ctx.cli("relief", "package.yaml", "--store", store.name, "--format", "json")
            return judge(run, expect_error=True, json_out=True)

        case("mapping-relief-yaml", f"relief/{name}")(body)


# ---------------------------------------------------------------------------------------------
# Options


def _register_options() -> None:
    bad: list[tuple[str, list[str], bool]] = [
        (
            "check-inverted-range",
            ["check", "--from", "2018-01", "--to", "2017-01", "--format", "json"],
            True,
        ),
        ("check-month-13", ["check", "--from", "2017-13", "--format", "json"], True),
        ("check-from-garbage", ["check", "--from", "[bold]x", "--format", "json"], True),
        ("check-to-year-99999", ["check", "--to", "99999-01", "--format", "json"], True),
        ("barrels-inf", ["check", "--barrels-per-tonne", "inf", "--format", "json"], True),
        ("barrels-nan", ["check", "--barrels-per-tonne", "nan", "--format", "json"], True),
        ("barrels-negative", ["check", "--barrels-per-tonne", "-1", "--format", "json"], True),
        ("barrels-1e308", ["check", "--barrels-per-tonne", "1e308", "--format", "json"], True),
        ("as-of-unknown-ingest", ["check", "--as-of-ingest", "nope", "--format", "json"], True),
        ("signals-min-value-inf", ["signals", "--min-value", "inf", "--format", "json"], True),
        ("signals-min-value-nan", ["signals", "--min-value", "nan", "--format", "json"], True),
        ("signals-window-huge", ["signals", "--window", "100000", "--format", "json"], True),
        ("signals-top-zero", ["signals", "--top", "0", "--format", "json"], True),
        ("pressure-baseline-99999", ["pressure", "--baseline", "99999", "--format", "json"], True),
        ("pressure-as-of-bad", ["pressure", "--as-of", "2017-02-30", "--format", "json"], True),
        (
            "relief-baseline-negative",
            ["relief", "coal-cap", "--baseline", "-1", "--format", "json"],
            True,
        ),
        ("relief-unknown-package", ["relief", "no-such-package", "--format", "json"], True),
        ("ingest-hs-version-negative", ["ingest", "x.json", "--hs-version", "-2017"], True),
        ("ingest-unknown-format", ["ingest", "x.json", "--format", "klingon"], True),
        (
            "rejects-unknown-ingest",
            ["rejects", "--ingest", "[bold]nope", "--format", "json"],
            False,
        ),
        ("forget-unknown-ingest", ["forget", "nope"], True),
    ]
    for name, args, expect_error in bad:

        def body(
            ctx: Context, args: list[str] = args, expect_error: bool = expect_error
        ) -> list[str]:
            (ctx.folder / "x.json").write_text(json.dumps({"data": [record()]}), encoding="utf-8")
            store = ctx.seed("demo")
            run = ctx.cli(*args, "--store", store.name)
            return judge(run, expect_error=expect_error, json_out="json" in args)

        case("options", name)(body)
    free: list[tuple[str, list[str]]] = [
        ("synth-seed-negative", ["synth", "--rows", "10000", "--out", "w", "--seed", "-1"]),
        ("synth-seed-2-32", ["synth", "--rows", "10000", "--out", "w", "--seed", str(2**32)]),
        ("synth-rows-zero", ["synth", "--rows", "0", "--out", "w"]),
        ("synth-rows-huge", ["synth", "--rows", "100000000000000", "--out", "w"]),
        ("screen-threshold-nan", ["screen", "names.csv", "--threshold", "nan"]),
        ("hs-map-version-5", ["hs", "map", "61", "--from-version", "5", "--to-version", "2017"]),
        (
            "events-inverted",
            ["events", "events.csv", "--since", "2020-01-02", "--until", "2020-01-01"],
        ),
        ("events-bad-date", ["events", "events.csv", "--since", "2020-02-30"]),
        ("events-unknown-type", ["events", "events.csv", "--types", "nuke"]),
        ("regime-show-as-of-bad", ["regime", "show", "--as-of", "2017-13-01"]),
        ("lists-load-published-bad", ["lists", "load", "list.xml", "--published", "2020-02-30"]),
    ]
    for name, args in free:

        def body(ctx: Context, args: list[str] = args) -> list[str]:
            (ctx.folder / "names.csv").write_text("name\nKIM\n", encoding="utf-8")
            (ctx.folder / "events.csv").write_text(
                "date,type,event\n2017-09-03,Nuclear Provocation,Test\n", encoding="utf-8"
            )
            shutil.copyfile(ctx.seeds["un-xml"], ctx.folder / "list.xml")
            return judge(
                ctx.cli(*args, "--store", "s.duckdb")
                if args[0] in {"screen", "hs", "lists"}
                else ctx.cli(*args),
                expect_error=True,
            )

        case("options", name)(body)
    reading = [
        ["check"], ["ingests"], ["rejects"], ["aggregates"], ["pressure"], ["signals"],
        ["lists", "show"], ["screen", "names.csv"], ["revisions"], ["report", "--out", "r.html"],
        ["relief", "coal-cap"],
        ["hs", "map", "61", "--from-version", "2017", "--to-version", "2012"],
    ]  # fmt: skip
    for args in reading:

        def body(ctx: Context, args: list[str] = args) -> list[str]:
            (ctx.folder / "names.csv").write_text("name\nKIM\n", encoding="utf-8")
            before = sorted(p.name for p in ctx.folder.iterdir())
            run = ctx.cli(*args, "--store", "typo.duckdb")
            keys = judge(run, expect_error=True)
            made = sorted({p.name for p in ctx.folder.iterdir()} - set(before))
            if made:
                keys.append(f"created-store ({run.command})")
            return keys

        case("options", "typo-store/" + "-".join(args[:2]).replace(".", ""))(body)
    outputs: list[tuple[str, list[str], str]] = [
        ("check-into-folder", ["check", "--format", "csv", "--output"], "folder"),
        ("check-missing-folder", ["check", "--format", "csv", "--output"], "missing"),
        ("check-file-as-folder", ["check", "--format", "csv", "--output"], "file-as-folder"),
        ("check-dev-full", ["check", "--format", "csv", "--output"], "/dev/full"),
        ("check-json-into-folder", ["check", "--format", "json", "--output"], "folder"),
        ("report-into-folder", ["report", "--out"], "folder"),
        ("report-missing-folder", ["report", "--out"], "missing"),
        ("report-dev-full", ["report", "--out"], "/dev/full"),
        (
            "screen-missing-folder",
            ["screen", "names.csv", "--format", "csv", "--output"],
            "missing",
        ),
        ("screen-ftm-dev-full", ["screen", "names.csv", "--ftm"], "/dev/full"),
        ("lists-export-missing-folder", ["lists", "export", "--output"], "missing"),
        ("lists-export-dev-full", ["lists", "export", "--output"], "/dev/full"),
        ("demo-out-file", ["demo", "--out"], "file-as-folder"),
    ]
    for name, args, where in outputs:

        def body(ctx: Context, args: list[str] = args, where: str = where) -> list[str]:
            (ctx.folder / "names.csv").write_text("name\nKIM JONG UN\n", encoding="utf-8")
            (ctx.folder / "blocker").write_text("mine", encoding="utf-8")
            (ctx.folder / "out").mkdir()
            seed = "lists" if args[0] in {"screen", "lists"} else "demo"
            store = ctx.seed(seed)
            target = {
                "folder": "out",
                "missing": "nowhere/out.csv",
                "file-as-folder": "blocker/out.csv" if args[0] != "demo" else "blocker",
                "/dev/full": "/dev/full",
            }[where]
            before = _listing(ctx.folder)
            run = ctx.cli(*args, target, "--store", store.name)
            keys = judge(run, expect_error=True)
            after = _listing(ctx.folder)
            if {k: v for k, v in after.items() if not k.endswith((".wal", ".closed"))} != {
                k: v for k, v in before.items() if not k.endswith((".wal", ".closed"))
            } and not any(k.endswith(".duckdb") for k in set(after) ^ set(before)):
                keys.append(f"partial-output ({run.command})")
            return keys

        case("options", f"output/{name}")(body)
    for name, args in (
        ("check-json", ["check", "--format", "json", "--output", "old.json"]),
        ("check-csv", ["check", "--format", "csv", "--output", "old.json"]),
        ("report", ["report", "--out", "old.json"]),
    ):

        def full_disk(ctx: Context, args: list[str] = args) -> list[str]:
            store = ctx.seed("demo")
            (ctx.folder / "old.json").write_text('{"old": true}', encoding="utf-8")
            run = ctx.cli(*args, "--store", store.name, file_size=1024)
            keys = judge(run, expect_error=True)
            if (ctx.folder / "old.json").read_text(encoding="utf-8") != '{"old": true}':
                keys.append(f"partial-output ({run.command})")
            leftovers = [
                p.name
                for p in ctx.folder.iterdir()
                if p.name not in {"old.json", store.name} and not p.name.startswith(".")
            ]
            if leftovers:
                keys.append(f"partial-output ({run.command})")
            return sorted(set(keys))

        case("options", f"output/full-disk-{name}")(full_disk)


def _listing(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size if p.is_file() else -1)
        for p in folder.rglob("*")
        if "cache" not in p.parts
    }


# ---------------------------------------------------------------------------------------------
# Markup and formulas in data


def _markup_store(ctx: Context, name: str = "[bold red]flows.json") -> tuple[Run, list[str]]:
    path = ctx.folder / name
    path.write_text(
        json.dumps(
            {
                "data": [
                    record(period="2018", cmdCode="61", primaryValue=9771),
                    record(period="2018", cmdCode="[/]"),
                    record(period="2018", cmdCode="[bold red]27[/]"),
                    record(period="[bold red]2018"),
                ]
            }
        ),
        encoding="utf-8",
    )
    run = ctx.cli("ingest", str(path), "--store", "store.duckdb")
    return run, judge(run, must_succeed=True)


def _shown(run: Run, text: str = MARKUP) -> list[str]:
    if run.code == 0 and text not in run.out + run.err:
        return [f"markup-eaten ({run.command})"]
    return []


def _register_markup() -> None:
    def ingest(ctx: Context) -> list[str]:
        run, keys = _markup_store(ctx)
        return keys + _shown(run)

    case("markup", "ingest-file-name")(ingest)
    for command in (
        ["rejects"],
        ["ingests"],
        ["rejects", "--reason", "[/]"],
        ["check"],
        ["aggregates"],
    ):

        def body(ctx: Context, command: list[str] = command) -> list[str]:
            _, keys = _markup_store(ctx)
            if keys:
                return keys
            run = ctx.cli(*command, "--store", "store.duckdb")
            keys = judge(run, must_succeed=True)
            if command[0] in {"rejects", "ingests"}:
                keys += _shown(run)
            return keys

        case("markup", "-".join(command).replace("[/]", "close-tag"))(body)
    errors = [
        ("regime-show-missing", ["regime", "show", "[bold red]regime[/].yaml"]),
        ("regime-validate-missing", ["regime", "validate", "[bold red]regime[/].yaml"]),
        (
            "check-regime-missing",
            ["check", "--regime", "[bold red]regime[/].yaml", "--store", "store.duckdb"],
        ),
        ("ingest-missing", ["ingest", "[bold red]gone[/].json", "--store", "store.duckdb"]),
        ("events-missing", ["events", "[bold red]gone[/].csv"]),
        ("screen-missing", ["screen", "[bold red]gone[/].csv", "--store", "store.duckdb"]),
        ("store-missing", ["ingests", "--store", "[bold red]gone[/].duckdb"]),
    ]
    for name, args in errors:

        def body(ctx: Context, args: list[str] = args) -> list[str]:
            if "store.duckdb" in args:
                ctx.seed("lists" if args[0] == "screen" else "demo")
            run = ctx.cli(*args)
            return judge(run, expect_error=True) + _shown(run)

        case("markup", f"error/{name}")(body)

    def regime_text(ctx: Context) -> list[str]:
        (ctx.folder / "regime.yaml").write_text(
            REGIME.replace("title: Coal cap", "title: '[bold red]Coal[/] cap'").replace(
                "Test regime", "'[bold red]Test[/]'"
            ),
            encoding="utf-8",
        )
        run = ctx.cli("regime", "show", "regime.yaml")
        return judge(run, must_succeed=True) + _shown(run)

    case("markup", "regime-show-titles")(regime_text)

    def events(ctx: Context) -> list[str]:
        (ctx.folder / "events.csv").write_text(
            "date,type,event\n"
            "2017-09-03,Nuclear Provocation,[bold red]Test[/]\n"
            "2017-09-04,Missile Provocation,[/]\n",
            encoding="utf-8",
        )
        run = ctx.cli("events", "events.csv")
        return judge(run, must_succeed=True) + _shown(run)

    case("markup", "events-labels")(events)

    def screen(ctx: Context) -> list[str]:
        store = ctx.seed("lists")
        (ctx.folder / "names.csv").write_text(
            "name\n[bold red]KIM JONG UN\n[/]\n", encoding="utf-8"
        )
        run = ctx.cli("screen", "names.csv", "--store", store.name, "--threshold", "0.5")
        return judge(run, must_succeed=True) + _shown(run)

    case("markup", "screen-names")(screen)


def _formula_cells(text: str) -> bool:
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell[:1] in ("=", "+", "@"):
                return True
            if cell[:1] == "-" and len(cell) > 1:
                try:
                    float(cell)
                except ValueError:
                    return True
    return False


FORMULA_NAME = "=HYPERLINK(1).json"


def _formula_store(ctx: Context) -> list[str]:
    (ctx.folder / FORMULA_NAME).write_text(
        json.dumps(
            {
                "data": [
                    record(period="2018", cmdCode="61", primaryValue=9771),
                    record(period="2018", cmdCode="=1+1"),
                    record(period="2018", cmdCode="@SUM(A1)"),
                    record(period="2018", cmdCode="+1"),
                    record(period="2018", cmdCode="-x"),
                ]
            }
        ),
        encoding="utf-8",
    )
    return judge(ctx.cli("ingest", FORMULA_NAME, "--store", "store.duckdb"), must_succeed=True)


def _register_formulas() -> None:
    commands = [
        ["rejects", "--format", "csv"],
        ["ingests", "--format", "csv"],
        ["check", "--format", "csv"],
        ["revisions", "--format", "csv", "--unchanged"],
        ["aggregates", "--format", "csv"],
    ]
    for command in commands:

        def body(ctx: Context, command: list[str] = command) -> list[str]:
            keys = _formula_store(ctx)
            if keys:
                return keys
            run = ctx.cli(*command, "--store", "store.duckdb")
            keys = judge(run)
            if run.code == 0 and _formula_cells(run.out):
                keys.append(f"csv-formula ({run.command})")
            return keys

        case("formulas", command[0])(body)

    def check_output(ctx: Context) -> list[str]:
        keys = _formula_store(ctx)
        if keys:
            return keys
        run = ctx.cli(
            "check", "--store", "store.duckdb", "--format", "csv", "--output", "findings.csv"
        )
        keys = judge(run)
        written = ctx.folder / "findings.csv"
        if (
            run.code == 0
            and written.exists()
            and _formula_cells(written.read_text(encoding="utf-8"))
        ):
            keys.append("csv-formula (check --output)")
        return keys

    case("formulas", "check-output-file")(check_output)
    for name, names in (
        ("screen-names", "name\n=cmd|' /C calc'!A0\n@SUM(1)\n+KIM\n-KIM JONG UN\nKIM JONG UN\n"),
        ("screen-countries", "name,country\nKIM JONG UN,=1+1\nRI SU,@x\n"),
    ):

        def screen(ctx: Context, names: str = names) -> list[str]:
            store = ctx.seed("lists")
            (ctx.folder / "names.csv").write_text(names, encoding="utf-8")
            run = ctx.cli(
                "screen", "names.csv", "--store", store.name, "--format", "csv", "--threshold", "0"
            )
            keys = judge(run)
            if run.code == 0 and _formula_cells(run.out):
                keys.append("csv-formula (screen)")
            return keys

        case("formulas", name)(screen)

    def regime_csv(ctx: Context) -> list[str]:
        (ctx.folder / "regime.yaml").write_text(
            REGIME.replace("title: Coal cap", "title: '=HYPERLINK(1)'").replace(
                "paragraph: OP8", "paragraph: '+OP8'"
            ),
            encoding="utf-8",
        )
        run = ctx.cli("regime", "show", "regime.yaml", "--format", "csv")
        keys = judge(run)
        if run.code == 0 and _formula_cells(run.out):
            keys.append("csv-formula (regime show)")
        return keys

    case("formulas", "regime-show")(regime_csv)

    def events_csv(ctx: Context) -> list[str]:
        (ctx.folder / "events.csv").write_text(
            "date,type,event\n"
            "2017-09-03,Nuclear Provocation,=1+1\n"
            "2017-09-04,Missile Provocation,@SUM(A1)\n",
            encoding="utf-8",
        )
        run = ctx.cli("events", "events.csv", "--format", "csv")
        keys = judge(run)
        if run.code == 0 and _formula_cells(run.out):
            keys.append("csv-formula (events)")
        return keys

    case("formulas", "events")(events_csv)


# ---------------------------------------------------------------------------------------------
# Damaged stores


def _damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how.startswith("truncate-"):
        keep = {
            "truncate-half": len(data) // 2,
            "truncate-4096": 4096,
            "truncate-12300": 12300,
            "truncate-minus-1": len(data) - 1,
        }[how]
        path.write_bytes(bytes(data[:keep]))
    elif how.startswith("flip-"):
        at = how.removeprefix("flip-")
        offset = {
            "mid": len(data) // 2,
            "end": len(data) - 200,
            "last-block": len(data) - 262_000,
        }.get(at)
        position = offset if offset is not None else int(at)
        position = max(0, min(position, len(data) - 8))
        for i in range(position, position + 8):
            data[i] ^= 0xFF
        path.write_bytes(bytes(data))
    elif how == "text-file":
        path.write_text("this is not a database\n", encoding="utf-8")
    elif how == "sqlite":
        path.write_bytes(b"SQLite format 3\x00" + bytes(4080))
    elif how == "zip":
        path.write_bytes(xlsx(["a"], [1]))
    elif how == "random":
        path.write_bytes(noise(65_536))
    elif how == "duckdb-magic-only":
        path.write_bytes(bytes(8) + b"DUCK" + bytes(4084))


STORE_DAMAGE = [
    "truncate-half", "truncate-4096", "truncate-12300", "truncate-minus-1",
    "flip-8", "flip-4200", "flip-8300", "flip-12400", "flip-20000", "flip-mid", "flip-end",
    "flip-last-block", "text-file", "sqlite", "zip", "random", "duckdb-magic-only",
]  # fmt: skip


def _register_stores() -> None:
    commands = {
        "ingest": ["ingest", "new.json"],
        "ingests": ["ingests", "--format", "json"],
        "check": ["check", "--format", "json"],
    }
    for damage in STORE_DAMAGE:
        for label, command in commands.items():

            def body(ctx: Context, damage: str = damage, command: list[str] = command) -> list[str]:
                store = ctx.seed("demo")
                _damage(store, damage)
                (ctx.folder / "new.json").write_text(
                    json.dumps({"data": [record(cmdCode="2702")]}), encoding="utf-8"
                )
                run = ctx.cli(*command, "--store", store.name)
                return judge(run, json_out="json" in command)

            case("damaged-stores", f"{damage}/{label}")(body)


# ---------------------------------------------------------------------------------------------
# Screening


def _individual(ref: str, name: str) -> str:
    return (
        f"<INDIVIDUAL><DATAID>{ref}</DATAID><FIRST_NAME>{name}</FIRST_NAME>"
        f"<UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>{ref}</REFERENCE_NUMBER>"
        "</INDIVIDUAL>"
    )


UN_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<CONSOLIDATED_LIST dateGenerated="2020-03-20T00:00:00"><INDIVIDUALS>'
)
UN_TAIL = "</INDIVIDUALS></CONSOLIDATED_LIST>"


def un_list(names: list[str]) -> str:
    return UN_HEAD + "".join(_individual(f"KPi.{i:03d}", n) for i, n in enumerate(names)) + UN_TAIL


def _register_screening() -> None:
    unclosed = "<INDIVIDUAL><REFERENCE_NUMBER>KPi.X</REFERENCE_NUMBER><FIRST_NAME>LOST"
    good = "".join(_individual(f"KPi.{i:03d}", f"KIM {i}") for i in range(5))
    entity_bomb = (
        '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
        + "]>"
    )
    lists: dict[str, str | bytes] = {
        "unclosed-20k-closed": UN_HEAD + good + unclosed * 20_000 + UN_TAIL,
        "unclosed-20k-cut": UN_HEAD + good + unclosed * 20_000,
        "unclosed-interleaved": UN_HEAD
        + "".join(unclosed + _individual(f"KPi.{i:03d}", f"KIM {i}") for i in range(2000))
        + UN_TAIL,
        "external-entity": UN_HEAD.replace(
            "<CONSOLIDATED_LIST",
            '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><CONSOLIDATED_LIST',
        )
        + _individual("KPi.001", "&e;")
        + UN_TAIL,
        "entity-bomb": UN_HEAD.replace("<CONSOLIDATED_LIST", entity_bomb + "<CONSOLIDATED_LIST")
        + _individual("KPi.001", "&j;")
        + UN_TAIL,
        "truncated": un_list(["KIM JONG UN", "RI SU"])[:-60],
        "empty": "",
        "utf-16": un_list(["KIM JONG UN"])
        .replace('encoding="UTF-8"', 'encoding="UTF-16"')
        .encode("utf-16"),
        "no-date": un_list(["KIM"]).replace(' dateGenerated="2020-03-20T00:00:00"', ""),
        "bad-date": un_list(["KIM"]).replace("2020-03-20T00:00:00", "2020-02-30T00:00:00"),
        "junk": noise(2048),
        "cr-in-first-line": b"not a list\rat all\n",
        "cr-line-endings": un_list(["KIM JONG UN"]).replace("><", ">\r<").encode(),
        "wrong-root": "<html><body>not a list</body></html>",
        "ofac-long-remarks": '1,"KIM, Chol","individual","DPRK",'
        + ",".join(['"-0-"'] * 7)
        + ',"'
        + "a.k.a. 'OPEN " * 20_000
        + '"\n',
    }
    for name, content in lists.items():

        def load(ctx: Context, content: str | bytes = content, name: str = name) -> list[str]:
            filename = "sdn_2024-05-03.csv" if name.startswith("ofac") else "list.xml"
            data = content if isinstance(content, bytes) else content.encode()
            (ctx.folder / filename).write_bytes(data)
            run = ctx.cli("lists", "load", filename, "--store", "store.duckdb")
            keys = judge(run)
            if "root:x:0:0" in run.out + run.err:
                keys.append("xxe:file-read (lists load)")
            return keys

        case("screening", f"lists-load/{name}")(load)
    names: dict[str, bytes] = {
        "duplicated-name-column": b"name,name\nKIM JONG UN,RI SU\n",
        "duplicated-country-column": b"name,country,country\nKIM JONG UN,PRK,KOR\n",
        "utf-16-bom": "name\nKIM JONG UN\n".encode("utf-16"),
        "utf-16-le-no-bom": "name\nKIM JONG UN\n".encode("utf-16-le"),
        "name-100k": ("name\n" + "KIM " * 25_000 + "\nRI SU\n").encode(),
        "empty-file": b"",
        "header-only": b"name\n",
        "no-name-column": b"who\nKIM\n",
        "latin-1": "name\nKIM J\xd6NG UN\n".encode("latin-1"),
        "nul-bytes": b"name\nKIM\x00JONG\n",
        "unclosed-quote": b'name\n"KIM JONG UN\nRI SU\n',
        "bad-birth-date": b"name,birth_date\nKIM JONG UN,1984-02-30\n",
        "imo-garbage": b"name,imo\nSHIP,IMO [bold]\n",
        "cr-line-endings": b"name\rKIM JONG UN\rRI SU\r",
    }
    for name, data in names.items():
        for fmt in ("table", "json"):

            def screen(ctx: Context, data: bytes = data, fmt: str = fmt) -> list[str]:
                store = ctx.seed("lists")
                (ctx.folder / "names.csv").write_bytes(data)
                run = ctx.cli("screen", "names.csv", "--store", store.name, "--format", fmt)
                return judge(run, json_out=fmt == "json")

            case("screening", f"screen/{name}/{fmt}")(screen)


# ---------------------------------------------------------------------------------------------
# Events


def lines(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def _register_events() -> None:
    long = "x" * 140_000
    files: dict[str, bytes] = {
        "csis-long-event": lines(
            "date,type,event",
            f'2017-09-03,Nuclear Provocation,"{long}"',
            "2017-09-04,Missile Provocation,Cruise missile launch",
        ),
        "csis-long-description": lines(
            "date,type,event,description", f'2017-09-03,Nuclear Provocation,Nuclear test,"{long}"'
        ),
        "cns-long-note": lines(
            "Date,Missile Type,Additional Information", f'4-Jul-17,ICBM,"{long}"', "5-Jul-17,SRBM,"
        ),
        "cns-long-unquoted": lines(
            "Date,Missile Type,Additional Information", f"4-Jul-17,ICBM,{long}"
        ),
        "cp1252": "date,type,event\n2017-09-03,Nuclear Provocation,Test \u2019six\u2019\n".encode(
            "cp1252"
        ),
        "utf-16": "date,type,event\n2017-09-03,Nuclear Provocation,Test\n".encode("utf-16"),
        "unclosed-quote": lines(
            "date,type,event",
            '2017-09-03,Nuclear Provocation,"left open',
            "2017-09-04,Missile Provocation,x",
        ),
        "empty": b"",
        "bad-dates": lines(
            "date,type,event",
            "2017-02-30,Nuclear Provocation,x",
            "yesterday,Missile Provocation,y",
        ),
        "mixed-dates": b"Date,Missile Type\n4-Jul-17,ICBM\n2017-07-05,SRBM\n07/06/2017,IRBM\n",
        "nul-bytes": b"date,type,event\n2017-09-03,Nuclear\x00 Provocation,x\n",
        "cr-line-endings": b"date,type,event\r2017-09-03,Nuclear Provocation,x\r",
    }
    for name, data in files.items():
        for fmt in ("table", "json"):

            def body(ctx: Context, data: bytes = data, fmt: str = fmt) -> list[str]:
                (ctx.folder / "events.csv").write_bytes(data)
                run = ctx.cli("events", "events.csv", "--format", fmt)
                return judge(run, json_out=fmt == "json")

            case("events", f"{name}/{fmt}")(body)

    def directory(ctx: Context) -> list[str]:
        (ctx.folder / "events").mkdir()
        return judge(ctx.cli("events", "events"), expect_error=True)

    case("events", "directory")(directory)


# ---------------------------------------------------------------------------------------------
# Seeds, running, reporting


def make_seeds(folder: Path, runner: Runner) -> dict[str, Path]:
    """Stores every attempt copies: the demo figures, and a UN list for screening."""
    code = (
        "import importlib.resources as r, sys; "
        "sys.stdout.write(r.files('sanctionwatch._demo').joinpath('published_figures.json').read_text())"
    )
    figures = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=runner.env, check=True
    )
    seeds = {"demo-json": folder / "published_figures.json", "un-xml": folder / "un.xml"}
    seeds["demo-json"].write_text(figures.stdout, encoding="utf-8")
    seeds["un-xml"].write_text(
        un_list(["KIM JONG UN", "RI SU YONG", "CHOE RYONG HAE", "PAK PONG JU"]), encoding="utf-8"
    )
    for name, args in (
        ("demo", ["ingest", str(seeds["demo-json"])]),
        ("lists", ["lists", "load", str(seeds["un-xml"])]),
    ):
        store = folder / f"{name}.duckdb"
        run = runner(*args, "--store", str(store), cwd=folder, timeout=120)
        if run.code != 0:
            raise SystemExit(f"cannot make the {name} seed store: {run.err or run.out}")
        seeds[name] = store
    return seeds


def register() -> None:
    _register_trade()
    _register_double()
    _register_regimes()
    _register_yaml()
    _register_options()
    _register_markup()
    _register_formulas()
    _register_stores()
    _register_screening()
    _register_events()


def run_case(
    item: Case, root: Path, runner: Runner, seeds: dict[str, Path], index: int
) -> dict[str, Any]:
    folder = root / f"case-{index:04d}"
    folder.mkdir()
    ctx = Context(folder, runner, seeds)
    started = time.monotonic()
    try:
        keys = sorted(set(item.body(ctx)))
    except Exception as error:  # the pass itself must not stop on one attempt
        keys = [f"pass-error:{type(error).__name__}"]
    finally:
        for path in folder.rglob("*"):
            with contextlib.suppress(OSError):
                path.chmod(0o700)
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "class": item.klass,
        "name": item.name,
        "failed": bool(keys),
        "defects": keys,
        "seconds": round(time.monotonic() - started, 2),
        "runs": [run.excerpt() for run in ctx.runs],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a small subset: two attempts per class"
    )
    parser.add_argument("--json", type=Path, help="write every attempt's details here")
    parser.add_argument("--jobs", type=int, default=2, help="attempts run side by side (default 2)")
    parser.add_argument("--only", help="only attempts whose class/name contains this text")
    parser.add_argument("--verbose", action="store_true", help="print each failure as it is found")
    options = parser.parse_args()
    register()
    cases = CASES
    if options.only:
        cases = [c for c in cases if options.only in f"{c.klass}/{c.name}"]
    if options.quick:
        seen: dict[str, int] = {}
        picked = []
        for item in cases:
            seen[item.klass] = seen.get(item.klass, 0) + 1
            if seen[item.klass] <= 2:
                picked.append(item)
        cases = picked
    with tempfile.TemporaryDirectory(prefix="hostile-pass-") as temporary:
        root = Path(temporary)
        runner = Runner(root / "cache")
        (root / "seeds").mkdir()
        seeds = make_seeds(root / "seeds", runner)
        started = time.monotonic()
        results: list[dict[str, Any]] = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=options.jobs) as pool:
            futures = [
                pool.submit(run_case, item, root, runner, seeds, i) for i, item in enumerate(cases)
            ]
            for future in concurrent.futures.as_completed(futures):
                result = future.result()
                results.append(result)
                if options.verbose and result["failed"]:
                    print(
                        f"FAIL {result['class']}/{result['name']}: {', '.join(result['defects'])}",
                        flush=True,
                    )
        elapsed = time.monotonic() - started
    results.sort(key=lambda r: (r["class"], r["name"]))
    print(f"{'class':<22} {'attempts':>8} {'failed':>7} {'defects':>8}  defect keys")
    classes = list(dict.fromkeys(c.klass for c in cases))
    for klass in classes:
        mine = [r for r in results if r["class"] == klass]
        failed = [r for r in mine if r["failed"]]
        keys = sorted({k for r in failed for k in r["defects"]})
        print(f"{klass:<22} {len(mine):>8} {len(failed):>7} {len(keys):>8}  {'; '.join(keys)}")
    failed = [r for r in results if r["failed"]]
    distinct = sorted({k for r in failed for k in r["defects"]})
    print(
        f"attempts {len(results)}, failed {len(failed)}, distinct defects {len(distinct)}"
        f" ({elapsed:.0f} s)"
    )
    if options.json:
        options.json.write_text(
            json.dumps(
                {
                    "pythonpath": os.environ.get("PYTHONPATH", ""),
                    "attempts": len(results),
                    "failed": len(failed),
                    "distinct_defects": distinct,
                    "seconds": round(elapsed, 1),
                    "results": results,
                },
                indent=1,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
