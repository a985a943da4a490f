"""`signals`: run the registered detectors over the regime's trade, rank, explain and trace.

Every score is `evidence x weight`: evidence is how far past its threshold the signal is on a
log scale (1 at the threshold), weight is log10(1 + US$ at stake / minimum value), so a
signal just past its thresholds with the minimum value at stake scores about 0.3, and one
ten times past them with a hundred times the minimum scores about 20.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch.analysis.evasion._model import (
    HIGH_SCORE,
    SERIES,
    SIGNALS,
    Candidate,
    Signals,
)
from sanctionwatch.analysis.evasion._params import SignalKind, SignalParams
from sanctionwatch.analysis.evasion._registry import DETECTORS
from sanctionwatch.analysis.evasion._trade import RegimeTrade
from sanctionwatch.engine.flows import country_name, trade_of
from sanctionwatch.regime import Regime
from sanctionwatch.store import Store

__all__ = ["signals"]

_LEAST_BUDGET, _MOST_BUDGET = 512 * 1024**2, 2 * 1024**3
_BUDGET_PER_ROW = 20
"""DuckDB's working memory while the signals are found, by the store's rows: counting the
trade between other states once takes hash tables of several times a store's size, which
DuckDB spills to disk past the budget, so that ten million rows need under a gigabyte; but
some of its work cannot spill, and grows with the store, so the budget grows with it, up to
2 GB (a hundred million rows)."""


def _memory_budget(store: Store) -> int:
    rows = store.flow_count()
    return min(max(rows * _BUDGET_PER_ROW, _LEAST_BUDGET), _MOST_BUDGET)


_WHAT_COLUMNS = (
    "kind: substitution, relabelling, diversion, unit-value or mirror-gap; expected_usd: the "
    "yearly value before the measure (substitution, relabelling, diversion), the value at the "
    "median unit value (unit-value) or the exporter's value plus the CIF margin (mirror-gap); "
    "observed_usd: the yearly value after, the declared value, or the importer's value"
)
_KEYS = pa.schema(
    [
        ("rank", pa.int64()),
        ("reporter", pa.string()),
        ("partner", pa.string()),
        ("trade", pa.string()),
        ("prefix", pa.string()),
        ("chapter", pa.string()),
        ("year", pa.int32()),
    ]
)
_LINES = pa.schema(
    [
        ("rank", pa.int64()),
        ("series", pa.string()),
        ("reporter", pa.string()),
        ("partner", pa.string()),
        ("trade", pa.string()),
        ("prefix", pa.string()),
        ("chapter", pa.string()),
        ("factor", pa.float64()),
    ]
)


def signals(
    store: Store,
    regime: Regime,
    *,
    kinds: Iterable[SignalKind | str] | None = None,
    params: SignalParams | None = None,
    top: int | None = None,
) -> Signals:
    """Evasion signals in `store` around the measures of `regime`, best first.

    Only trade that concerns the regime is read: the target's, its neighbours' and its
    counterparts', in codes its measures or their look-alikes name (`RegimeTrade`).
    `kinds`: which detectors run (default all). `params`: thresholds (see `SignalParams`).
    `top`: keep only the best `top` signals.
    """
    chosen = set(DETECTORS) if kinds is None else {SignalKind(kind) for kind in kinds}
    chosen_params = params or SignalParams()
    with (
        store.memory_budget(_memory_budget(store)),
        RegimeTrade(store, regime, chosen_params) as trade,
    ):
        found = [
            {**candidate, "kind": kind.value}
            for kind, detect in DETECTORS.items()
            if kind in chosen
            for candidate in detect(trade)
        ]
        found = _ranked(_without_relabelled(found), top)
        sources = _sources(trade, found)
        series = _series(trade, found)
    rows = [
        {
            **{name: signal.get(name) for name in SIGNALS.names},
            "sources": "; ".join(
                f"{ref['source_file']}: {_spans(ref['rows'])}"
                for ref in sources.get(signal["rank"], [])
            ),
        }
        for signal in found
    ]
    return Signals(
        regime=regime.id,
        target=regime.target,
        params=chosen_params,
        table=pa.Table.from_pylist(rows, schema=SIGNALS),
        series=pa.Table.from_pylist(series, schema=SERIES),
        flows=sources,
        notes=(
            _WHAT_COLUMNS,
            "scores are evidence x weight: evidence is 1 at a signal's thresholds and grows "
            "with the log of how far past them it is; weight is log10(1 + US$ at stake / "
            f"US${chosen_params.min_value_usd:,.0f}); {HIGH_SCORE:g} or more is a high score",
        ),
    )


def _without_relabelled(found: list[Candidate]) -> list[Candidate]:
    """A code that is a relabelling is not also a substitution for the same reporter."""
    relabelled = {(s["reporter"], s["hs_code"]) for s in found if s["kind"] == "relabelling"}
    return [
        s
        for s in found
        if s["kind"] != "substitution" or (s["reporter"], s["hs_code"]) not in relabelled
    ]


def _ranked(found: list[Candidate], top: int | None) -> list[Candidate]:
    found = sorted(
        found, key=lambda s: (-s["score"], s["kind"], s["reporter"] or "", s["hs_code"] or "")
    )
    found = found[:top] if top is not None else found
    return [dict(signal, rank=rank) for rank, signal in enumerate(found, start=1)]


def _spans(rows: list[int]) -> str:
    """Row numbers as ranges: rows 1-3,7."""
    spans: list[list[int]] = []
    for row in sorted(set(rows)):
        if spans and spans[-1][1] == row - 1:
            spans[-1][1] = row
        else:
            spans.append([row, row])
    return "rows " + ",".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _sources(trade: RegimeTrade, found: list[Candidate]) -> dict[int, list[dict[str, Any]]]:
    """The stored rows behind each signal, by rank: file and row numbers.

    Each signal's key is spread over its years, and a key naming codes joins on their chapter
    too, so that the join is hashed on equalities and the prefix tests run only on the few
    candidate pairs, and the store is read only in the years the keys span.
    """
    keys = [
        dict(key, rank=s["rank"], year=year, chapter=key["prefix"][:2])
        for s in found
        for key in s["keys"]
        for year in range(key["first_year"], key["last_year"] + 1)
    ]
    if not keys:
        return {}
    wanted = ibis.memtable(pa.Table.from_pylist(keys, schema=_KEYS))
    flows = trade.store.flows
    flows = flows.filter(
        flows.hs_level > 0,
        flows.period_start >= dt.date(min(k["year"] for k in keys), 1, 1),
        flows.period_start < dt.date(max(k["year"] for k in keys) + 1, 1, 1),
    )
    flows = flows.select(
        "source_file",
        "source_row",
        "hs_code",
        reporter=country_name(flows.reporter_iso3, flows.reporter_code),
        partner=country_name(flows.partner_iso3, flows.partner_code),
        trade=trade_of(flows.flow),
        year=flows.period_start.year().cast("int32"),
        chapter=flows.hs_code.substr(0, 2),
    )
    target = [trade.target, str(trade.regime.target_code)]

    def joined(wanted: ir.Table, on: list[str]) -> ir.Table:
        rows = flows.join(
            wanted,
            [
                *on,
                ibis.ifelse(
                    wanted.partner == "*",
                    ~flows.partner.isin(target),
                    flows.partner == wanted.partner,
                ),
            ],
        )
        return rows.select("rank", "source_file", "source_row")

    coded = wanted.filter(wanted.prefix != "")
    behind = joined(
        coded,
        [
            "reporter",
            "trade",
            "year",
            "chapter",
            flows.hs_code.startswith(coded.prefix) | coded.prefix.startswith(flows.hs_code),
        ],
    ).union(joined(wanted.filter(wanted.prefix == ""), ["reporter", "trade", "year"]))
    rows = (
        behind.group_by("rank", "source_file")
        .aggregate(rows=behind.source_row.collect(distinct=True))
        .order_by("rank", "source_file")
        .to_pyarrow()
        .to_pylist()
    )
    by_rank: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_rank.setdefault(row["rank"], []).append(
            {"source_file": row["source_file"], "rows": sorted(row["rows"])}
        )
    return by_rank


def _series(trade: RegimeTrade, found: list[Candidate]) -> list[dict[str, Any]]:
    """What each signal's chart draws: yearly values of its flows, or unit values."""
    points = [dict(point, rank=s["rank"]) for s in found for point in s.get("points", [])]
    lines = [dict(line, rank=s["rank"]) for s in found for line in s.get("lines", [])]
    if not lines:
        return points
    wanted = ibis.memtable(
        pa.Table.from_pylist(
            [dict(line, chapter=line["prefix"][:2]) for line in lines], schema=_LINES
        )
    )
    years = trade.years()
    years = years.mutate(chapter=years.hs_code.substr(0, 2))

    def drawn_by(wanted: ir.Table, on: list[Any]) -> ir.Table:
        partner = ibis.ifelse(
            wanted.partner == "*", ~years.with_target, years.partner == wanted.partner
        )
        rows = years.join(wanted, ["reporter", "trade", *on, partner])
        return rows.select("rank", "series", "year", "factor", "value_usd", "is_world")

    # A line naming codes joins on their chapter too: hashed, not tested pair by pair.
    coded = wanted.filter(wanted.prefix != "")
    joined = drawn_by(coded, ["chapter", years.hs_code.startswith(coded.prefix)]).union(
        drawn_by(wanted.filter(wanted.prefix == ""), [])
    )
    sums = joined.group_by("rank", "series", "year", "factor").aggregate(
        world=joined.value_usd.sum(where=joined.is_world),
        others=joined.value_usd.sum(where=~joined.is_world),
    )
    value = ibis.greatest(sums.world.fill_null(0.0), sums.others.fill_null(0.0)) * sums.factor
    drawn = sums.select("rank", "series", "year", value=value).order_by("rank", "series", "year")
    return points + [
        {
            "rank": row["rank"],
            "series": row["series"],
            "category": str(row["year"]),
            "value": row["value"],
            "unit": "US$",
        }
        for row in drawn.to_pyarrow().to_pylist()
    ]
