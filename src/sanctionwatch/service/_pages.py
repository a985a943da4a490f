"""The pages: server-rendered HTML in the report's style, its charts drawn inline, no script.

Each table shows a page of its rows, links to the rows and measures behind them, and
downloads whole, as filtered, as CSV or an Excel workbook.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pyarrow as pa
import pyarrow.compute as pc
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._output import json_text, tool_version
from sanctionwatch._workbook import workbook_source
from sanctionwatch.analysis import cap_running_totals
from sanctionwatch.regime import Regime
from sanctionwatch.report import gauge, key_findings, running_total
from sanctionwatch.service._access import StoreAccess
from sanctionwatch.service._datasets import DATASETS, Sources, page_bounds
from sanctionwatch.service._responses import (
    CONTENT_SECURITY_POLICY,
    csv_response,
    error_response,
    failure_response,
    failure_status,
    xlsx_response,
)

__all__ = ["Cell", "Pages", "ShownTable"]

_NOT_FILTERS = ("limit", "offset")
_FIELD_LABELS = {"hs": "HS", "min_score": "lowest score", "ingest_id": "ingest"}


@dataclass(frozen=True)
class Cell:
    text: str
    number: bool = False
    href: str | None = None


@dataclass(frozen=True)
class ShownTable:
    """One page of a table, ready for the `table` macro."""

    dataset: str
    title: str
    columns: tuple[str, ...]
    rows: list[list[Cell]]
    shown: str
    previous: str | None
    next: str | None
    csv: str
    xlsx: str


@dataclass(frozen=True)
class _Field:
    name: str
    label: str
    value: str
    multiline: bool = False


@dataclass(frozen=True)
class _Form:
    action: str
    fields: list[_Field]
    button: str


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, list | dict):
        return json_text(value, indent=None)
    return str(value)


def _links(dataset: str, row: Mapping[str, Any]) -> dict[str, str]:
    """Where a cell leads: a measure to its page, a finding or ingest to its rows."""
    links = {}
    measure = row.get("measure_id")
    if measure:
        links["measure_id"] = f"/measures/{quote(measure)}"
    ingest_id = row.get("ingest_id")
    if dataset == "findings" and ingest_id and row.get("source_row") is not None:
        links["source_row"] = "/flows?" + urlencode(
            {"ingest_id": ingest_id, "source_row": row["source_row"]}
        )
    if dataset == "ingests" and ingest_id:
        links["ingest_id"] = "/flows?" + urlencode({"ingest_id": ingest_id})
    return links


class Pages:
    """The HTML pages of one service."""

    def __init__(self, access: StoreAccess, regime: Regime) -> None:
        self.access = access
        self.regime = regime
        self.environment = Environment(
            loader=ChoiceLoader(
                [
                    PackageLoader("sanctionwatch.service", "templates"),
                    PackageLoader("sanctionwatch.report", "templates"),
                ]
            ),
            autoescape=select_autoescape(["html", "j2"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def routes(self) -> list[Route]:
        """The pages; Starlette runs each in a thread of its own, since their queries block."""
        return [
            Route("/", self.overview, methods=["GET"]),
            Route("/findings", self.findings, methods=["GET"]),
            Route("/measures", self.measures, methods=["GET"]),
            Route("/measures/{measure_id}", self.measure, methods=["GET"]),
            Route("/signals", self.signals, methods=["GET"]),
            Route("/ingests", self.ingests, methods=["GET"]),
            Route("/flows", self.flows, methods=["GET"]),
            Route("/screen", self.screen, methods=["GET"]),
            Route("/download/{dataset}.{suffix}", self.download, methods=["GET"]),
        ]

    def _page(
        self,
        request: Request,
        template: str,
        title: str,
        build: Callable[[Sources, dict[str, str]], dict[str, Any]],
    ) -> Response:
        query = dict(request.query_params)
        status = 200
        headers: dict[str, str] = {}
        try:
            with self.access.reading() as store:
                context = build(Sources(store, self.regime, self.access), query)
        except SanctionwatchError as error:
            context = {"error": str(error), "tables": []}
            status, headers = failure_status(error)
        html = self.environment.get_template(template).render(
            title=title,
            regime=self.regime,
            store=self.access.location,
            version=tool_version(),
            csp=CONTENT_SECURITY_POLICY,
            **context,
        )
        return HTMLResponse(html, status_code=status, headers=headers)

    def _table(
        self,
        sources: Sources,
        name: str,
        query: Mapping[str, str],
        path: str,
        title: str = "",
    ) -> ShownTable:
        limit, offset = page_bounds(query)
        loaded = DATASETS[name].select(sources, query, limit, offset)
        rows = loaded.rows.to_pylist()
        numbers = {
            f.name
            for f in loaded.rows.schema
            if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)
        }
        cells = []
        for row in rows:
            links = _links(name, row)
            cells.append(
                [
                    Cell(_text(value), column in numbers, links.get(column))
                    for column, value in row.items()
                ]
            )
        filters = {k: v for k, v in query.items() if k not in _NOT_FILTERS and v}

        def at(start: int) -> str:
            return f"{path}?{urlencode({**filters, 'offset': start, 'limit': limit})}"

        last = offset + loaded.rows.num_rows
        shown = f"rows {offset + 1} to {last} of {loaded.total}" if last else f"0 of {loaded.total}"
        download = urlencode(filters)
        return ShownTable(
            dataset=name,
            title=title,
            columns=tuple(loaded.rows.column_names),
            rows=cells,
            shown=shown,
            previous=at(max(offset - limit, 0)) if offset else None,
            next=at(last) if last < loaded.total else None,
            csv=f"/download/{name}.csv?{download}",
            xlsx=f"/download/{name}.xlsx?{download}",
        )

    def _filters(self, name: str, query: Mapping[str, str], action: str) -> _Form:
        fields = [
            _Field(f.param, _FIELD_LABELS.get(f.param, f.param), query.get(f.param, ""))
            for f in (*DATASETS[name].parameters, *DATASETS[name].filters)
        ]
        return _Form(action, fields, "Filter")

    def overview(self, request: Request) -> Response:
        def build(sources: Sources, query: dict[str, str]) -> dict[str, Any]:
            findings = sources.findings()
            press = sources.pressure()
            caps = DATASETS["caps"].select(sources, {}, None).rows.to_pylist()
            gauges = [
                {
                    "title": f"{c['resolution']} {c['paragraph']}, {c['cap_period']}"
                    + (f", {c['reporter']}" if c["reporter"] else ""),
                    "href": f"/measures/{quote(c['measure_id'])}",
                    "svg": Markup(
                        gauge(
                            f"gauge-{i}",
                            f"{c['measure_id']} {c['cap_period']}: "
                            f"{c['used_pct']:.1f}% of the limit used",
                            c["cap_period"],
                            c["used_pct"],
                            c["thresholds"],
                        )
                    ),
                }
                for i, c in enumerate(caps)
                if c["used_pct"] is not None
            ]
            thresholds = sorted({t for c in caps for t in c["thresholds"]})
            return {
                "key_findings": self.access.computed(
                    sources.store,
                    "key findings",
                    lambda: key_findings(
                        sources.store, self.regime, findings, press, sources.signals()
                    ),
                ),
                "gauges": gauges,
                "thresholds": ", ".join(f"{t:g}%" for t in thresholds) or "none",
                "caps": self._table(sources, "caps", query, "/", "Caps by period"),
            }

        return self._page(request, "overview.html.j2", self.regime.name, build)

    def findings(self, request: Request) -> Response:
        def build(sources: Sources, query: dict[str, str]) -> dict[str, Any]:
            return {
                "intro": DATASETS["findings"].description,
                "form": self._filters("findings", query, "/findings"),
                "tables": [self._table(sources, "findings", query, "/findings")],
            }

        return self._page(request, "tables.html.j2", "Findings", build)

    def measures(self, request: Request) -> Response:
        def build(sources: Sources, query: dict[str, str]) -> dict[str, Any]:
            table = sources.findings().table
            counts = pc.value_counts(table.column("measure_id")).to_pylist()
            found = {c["values"]: c["counts"] for c in counts}
            rows = [
                [
                    Cell(m.id, href=f"/measures/{quote(m.id)}"),
                    Cell(f"{m.resolution} {m.paragraph}"),
                    Cell(m.kind),
                    Cell(m.title),
                    Cell(m.start.isoformat()),
                    Cell(str(found.get(m.id, 0)), number=True),
                ]
                for m in self.regime.measures
            ]
            shown = ShownTable(
                dataset="measures",
                title="",
                columns=("measure", "resolution, paragraph", "kind", "title", "from", "findings"),
                rows=rows,
                shown=f"{len(rows)} measures",
                previous=None,
                next=None,
                csv="/download/findings.csv",
                xlsx="/download/findings.xlsx",
            )
            return {"intro": "Every measure of the regime, with its findings.", "tables": [shown]}

        return self._page(request, "tables.html.j2", "Measures", build)

    def measure(self, request: Request) -> Response:
        measure_id = request.path_params["measure_id"]
        try:
            measure = self.regime.measure(measure_id)
        except KeyError:
            return error_response(404, f"no measure {measure_id!r} in {self.regime.id}")

        def build(sources: Sources, query: dict[str, str]) -> dict[str, Any]:
            findings = sources.findings()
            charts = []
            if measure.cap is not None:
                totals = self.access.computed(
                    sources.store,
                    "cap running totals",
                    lambda: cap_running_totals(sources.store, self.regime, findings),
                ).to_pylist()
                periods = dict.fromkeys(
                    (s["cap_period"], s["reporter"])
                    for s in totals
                    if s["measure_id"] == measure.id
                )
                for i, (period, reporter) in enumerate(periods):
                    steps = [
                        s
                        for s in totals
                        if s["measure_id"] == measure.id
                        and s["cap_period"] == period
                        and s["reporter"] == reporter
                    ]
                    title = f"{period}: running total as % of the limit" + (
                        f" ({reporter})" if reporter else ""
                    )
                    charts.append(
                        {
                            "id": f"cap-{i}",
                            "title": title,
                            "svg": Markup(
                                running_total(
                                    f"cap-{i}",
                                    title,
                                    [s["period"] for s in steps],
                                    [s["running_pct"] for s in steps],
                                    measure.cap.thresholds,
                                )
                            ),
                        }
                    )
            scoped = {**query, "measure": measure.id}
            return {
                "measure": measure,
                "measure_end": self.regime.effective_end(measure.id),
                "charts": charts,
                "tables": [self._table(sources, "findings", scoped, request.url.path, "Findings")],
            }

        return self._page(request, "tables.html.j2", f"{measure.id}: {measure.title}", build)

    def signals(self, request: Request) -> Response:
        def build(sources: Sources, query: dict[str, str]) -> dict[str, Any]:
            return {
                "intro": DATASETS["signals"].description,
                "form": self._filters("signals", query, "/signals"),
                "tables": [self._table(sources, "signals", query, "/signals")],
            }

        return self._page(request, "tables.html.j2", "Evasion signals", build)

    def ingests(self, request: Request) -> Response:
        def build(sources: Sources, query: dict[str, str]) -> dict[str, Any]:
            return {
                "form": self._filters("rejects", query, "/ingests"),
                "tables": [
                    self._table(sources, "ingests", {}, "/ingests", "Ingests"),
                    self._table(sources, "rejects", query, "/ingests", "Rejected rows"),
                ],
            }

        return self._page(request, "tables.html.j2", "Ingests and rejects", build)

    def flows(self, request: Request) -> Response:
        def build(sources: Sources, query: dict[str, str]) -> dict[str, Any]:
            return {
                "intro": DATASETS["flows"].description,
                "form": self._filters("flows", query, "/flows"),
                "tables": [self._table(sources, "flows", query, "/flows")],
            }

        return self._page(request, "tables.html.j2", "Flows", build)

    def screen(self, request: Request) -> Response:
        def build(sources: Sources, query: dict[str, str]) -> dict[str, Any]:
            form = _Form(
                "/screen",
                [
                    _Field("name", "names, one a line", query.get("name", ""), multiline=True),
                    _Field("threshold", "lowest score", query.get("threshold", "")),
                    _Field("lists", "lists", query.get("lists", "")),
                ],
                "Screen",
            )
            tables = []
            if query.get("name", "").strip():
                tables.append(self._table(sources, "screening", query, "/screen", "Matches"))
            return {
                "intro": "Screen names against the stored UN and OFAC lists.",
                "form": form,
                "tables": tables,
            }

        return self._page(request, "tables.html.j2", "Screening", build)

    def download(self, request: Request) -> Response:
        name, suffix = request.path_params["dataset"], request.path_params["suffix"]
        dataset = DATASETS.get(name)
        if dataset is None or suffix not in ("csv", "xlsx"):
            return error_response(404, f"no table {name}.{suffix}")
        query = dict(request.query_params)
        try:
            with self.access.reading() as store:
                sources = Sources(store, self.regime, self.access)
                table = dataset.select(sources, query, None).rows
                if suffix == "csv":
                    return csv_response(name, table)
                facts = [(k, v) for k, v in query.items() if v]
                source = workbook_source(store, regime=self.regime, facts=facts)
                return xlsx_response(name, table, source)
        except SanctionwatchError as error:
            return failure_response(error)
