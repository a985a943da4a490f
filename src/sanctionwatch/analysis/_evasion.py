"""Evasion signals: where sanctioned trade went when the bans came.

When a ban bites, trade moves: into unbanned goods that boom, into codes next to the banned
one, through third countries, at odd declared prices, or into gaps between what two states
report of the same flow. Each detector is a set of Ibis expressions over the store's flows
made yearly (`_yearly.yearly`); only the candidates that pass its thresholds leave the engine,
to be ranked, explained in one sentence and traced to the rows behind them.

Every score is `evidence x weight`: evidence is how far past its threshold the signal is on a
log scale (1 at the threshold), weight is log10(1 + US$ at stake / minimum value), so a
signal just past its thresholds with the minimum value at stake scores about 0.3, and one
ten times past them with a hundred times the minimum scores about 20.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._format import usd
from sanctionwatch._output import csv_text, json_text
from sanctionwatch._yamldoc import LocatedError, plain, read_mapping
from sanctionwatch.analysis._yearly import yearly
from sanctionwatch.regime import Direction, Measure, MeasureKind, Regime, regime_file
from sanctionwatch.store import Store

__all__ = [
    "HIGH_SCORE",
    "SIGNALS",
    "SignalKind",
    "SignalParams",
    "Signals",
    "lookalikes",
    "neighbours",
    "signals",
]

HIGH_SCORE = 1.0
"""Signals scoring this much or more are worth a person's time; below it they are leads."""


class SignalKind(StrEnum):
    SUBSTITUTION = "substitution"
    RELABELLING = "relabelling"
    DIVERSION = "diversion"
    UNIT_VALUE = "unit-value"
    MIRROR_GAP = "mirror-gap"


@dataclass(frozen=True)
class SignalParams:
    """Thresholds, with the defaults documented in `sanctionwatch signals --help`.

    - `window_years`: length of the equal windows compared before and after a measure took
      force; the year it took force (and any year its grace period reaches into) is left out.
    - `min_value_usd`: the smallest rise, gap or flow a signal is about, per year.
    - `min_ratio`: how many times the after window must exceed the before window (both
      smoothed by adding `min_value_usd`, so that a code rising from nothing needs volume).
    - `scope_fall`: the share by which trade under a measure (or a banned code) must fall.
    - `z_threshold` and `min_group`: a unit value is odd when the robust z-score of its log
      (0.6745 x distance from the median / median absolute deviation) reaches the threshold
      among at least `min_group` flows of the same HS6 code and year.
    - `cif_margin`: freight and insurance that importers' CIF values add to exporters' FOB
      values (8 %, the usual figure in mirror studies); `tolerance`: the relative gap beyond
      that margin at which two sides of a flow disagree.
    """

    window_years: int = 2
    min_value_usd: float = 1_000_000.0
    min_ratio: float = 3.0
    scope_fall: float = 0.5
    z_threshold: float = 3.5
    min_group: int = 8
    cif_margin: float = 0.08
    tolerance: float = 0.5

    def __post_init__(self) -> None:
        checks = {
            "window_years": self.window_years >= 1,
            "min_value_usd": self.min_value_usd > 0,
            "min_ratio": self.min_ratio > 1,
            "scope_fall": 0 < self.scope_fall <= 1,
            "z_threshold": self.z_threshold > 0,
            "min_group": self.min_group >= 3,
            "cif_margin": 0 <= self.cif_margin <= 0.2,
            "tolerance": self.tolerance > 0,
        }
        wrong = [name for name, ok in checks.items() if not ok]
        if wrong:
            raise SanctionwatchError("signal thresholds out of range: " + ", ".join(wrong))


SIGNALS = pa.schema(
    [
        ("rank", pa.int64()),
        ("kind", pa.string()),
        ("score", pa.float64()),
        ("measure_id", pa.string()),
        ("measures", pa.string()),
        ("reporter", pa.string()),
        ("partner", pa.string()),
        ("flow", pa.string()),
        ("hs_code", pa.string()),
        ("window", pa.string()),
        ("expected_usd", pa.float64()),
        ("observed_usd", pa.float64()),
        ("explanation", pa.string()),
        ("sources", pa.string()),
    ]
)
_SERIES = pa.schema(
    [
        ("rank", pa.int64()),
        ("series", pa.string()),
        ("category", pa.string()),
        ("value", pa.float64()),
        ("unit", pa.string()),
    ]
)
_WHAT_COLUMNS = (
    "kind: substitution, relabelling, diversion, unit-value or mirror-gap; expected_usd: the "
    "yearly value before the measure (substitution, relabelling, diversion), the value at the "
    "median unit value (unit-value) or the exporter's value plus the CIF margin (mirror-gap); "
    "observed_usd: the yearly value after, the declared value, or the importer's value"
)


@dataclass(frozen=True)
class Signals:
    """Evasion signals ranked by score, as Arrow tables.

    `table`: one row per signal (`SIGNALS`): kind, score, the measures it relates to, the
    window compared, expected and observed values, a one-sentence explanation and the flows
    behind it as `file: rows`. `series`: what each signal's chart draws, by rank.
    """

    regime: str
    target: str
    params: SignalParams
    table: pa.Table
    series: pa.Table
    flows: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def records(self) -> dict[str, Any]:
        rows = []
        for row in self.table.to_pylist():
            row["score"] = round(row["score"], 2)
            for key in ("expected_usd", "observed_usd"):
                if row[key] is not None:
                    row[key] = round(row[key], 2)
            row["sources"] = self.flows.get(row["rank"], [])
            rows.append(row)
        return {
            "regime": self.regime,
            "target": self.target,
            "params": asdict(self.params),
            "high_score": HIGH_SCORE,
            "signals": rows,
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json_text(self.records())

    def to_csv(self) -> str:
        rows = self.table.to_pylist()
        for row in rows:
            row["score"] = round(row["score"], 2)
        return csv_text(self.table.column_names, rows)


@cache
def lookalikes() -> tuple[tuple[str, str, str], ...]:
    """(banned code, look-alike code, reason) from the shipped `lookalikes.yaml`."""
    entries = _data("lookalikes.yaml")["lookalikes"]
    return tuple((str(e["banned"]), str(e["code"]), str(e["reason"])) for e in entries)


@cache
def neighbours(target: str) -> tuple[str, ...]:
    """States bordering `target` by land or sea, from the shipped `neighbours.yaml`."""
    entries = _data("neighbours.yaml")["neighbours"].get(target, [])
    return tuple(str(e["country"]) for e in entries)


def _data(name: str) -> Any:
    text = regime_file("un-dprk", name).read_text("utf-8")
    return plain(read_mapping(name, LocatedError, f"a mapping under {name}", text=text))


def signals(
    store: Store,
    regime: Regime,
    *,
    kinds: Iterable[SignalKind | str] | None = None,
    params: SignalParams | None = None,
    top: int | None = None,
) -> Signals:
    """Evasion signals in `store` around the measures of `regime`, best first.

    `kinds`: which detectors run (default all). `params`: thresholds (see `SignalParams`).
    `top`: keep only the best `top` signals.
    """
    chosen = [SignalKind(k) for k in kinds] if kinds is not None else list(SignalKind)
    p = params or SignalParams()
    world = _World(store, regime, p)
    found: list[dict[str, Any]] = []
    for kind in SignalKind:
        if kind in chosen:
            found.extend(_DETECTORS[kind](world))
    relabelled = {(s["reporter"], s["hs_code"]) for s in found if s["kind"] == "relabelling"}
    found = [
        s
        for s in found
        if s["kind"] != "substitution" or (s["reporter"], s["hs_code"]) not in relabelled
    ]
    found.sort(key=lambda s: (-s["score"], s["kind"], s["reporter"] or "", s["hs_code"] or ""))
    if top is not None:
        found = found[:top]
    for rank, s in enumerate(found, start=1):
        s["rank"] = rank
    flows = world.sources(found)
    series = world.series(found)
    rows = []
    for s in found:
        refs = flows.get(s["rank"], [])
        rows.append(
            {
                **{k: s.get(k) for k in SIGNALS.names},
                "sources": "; ".join(f"{r['source_file']}: {_spans(r['rows'])}" for r in refs),
            }
        )
    notes = (
        _WHAT_COLUMNS,
        "scores are evidence x weight: evidence is 1 at a signal's thresholds and grows with "
        "the log of how far past them it is; weight is log10(1 + US$ at stake / "
        f"US${p.min_value_usd:,.0f}); {HIGH_SCORE:g} or more is a high score",
        "6-digit codes of a measure's scope are matched as written: signals do not carry them "
        "across HS editions",
    )
    return Signals(
        regime=regime.id,
        target=regime.target,
        params=p,
        table=pa.Table.from_pylist(rows, schema=SIGNALS),
        series=pa.Table.from_pylist(series, schema=_SERIES),
        flows=flows,
        notes=notes,
    )


def _spans(rows: list[int]) -> str:
    """Row numbers as ranges: 1-3,7."""
    out: list[str] = []
    for row in sorted(set(rows)):
        if out and "-" not in out[-1].split(",")[-1] and int(out[-1]) == row - 1:
            out[-1] = f"{out[-1]}-{row}"
        elif out and "-" in out[-1] and int(out[-1].split("-")[1]) == row - 1:
            out[-1] = f"{out[-1].split('-')[0]}-{row}"
        else:
            out.append(str(row))
    return "rows " + ",".join(out)


def _times(after: float, before: float) -> str:
    return f"{after / before:,.1f} times" if before > 0 else "from nothing"


@dataclass(frozen=True)
class _Window:
    key: str
    before: tuple[int, int]
    after: tuple[int, int]


def _window(measure: Measure, years: int) -> _Window:
    """Equal windows either side of the year(s) in which a measure took force."""
    last_before = measure.start.year - 1
    settled = measure.grace_end or measure.start
    first_after = settled.year if measure.start == dt.date(measure.start.year, 1, 1) else None
    if first_after is None or settled.year > measure.start.year:
        first_after = settled.year + 1
    before = (last_before - years + 1, last_before)
    after = (first_after, first_after + years - 1)
    return _Window(f"{before[0]}-{before[1]} vs {after[0]}-{after[1]}", before, after)


def _table(rows: list[dict[str, Any]], schema: pa.Schema) -> ir.Table:
    return ibis.memtable(pa.Table.from_pylist(rows, schema=schema))


_SCOPE = pa.schema(
    [
        ("measure_id", pa.string()),
        ("direction", pa.string()),
        ("prefix", pa.string()),
        ("chapter", pa.string()),
        ("excluded", pa.bool_()),
        ("wkey", pa.string()),
        ("b0", pa.int32()),
        ("b1", pa.int32()),
        ("a0", pa.int32()),
        ("a1", pa.int32()),
    ]
)
_TRADE_OF = {Direction.FROM_TARGET.value: "import", Direction.TO_TARGET.value: "export"}


class _World:
    """What every detector shares: yearly flows, the target's trade, bans and their windows."""

    def __init__(self, store: Store, regime: Regime, params: SignalParams) -> None:
        self.store = store
        self.regime = regime
        self.p = params
        self.m = params.min_value_usd
        y = yearly(store.flows)
        target = [regime.target, str(regime.target_code)]
        self.years = y.mutate(with_target=y.partner.isin(target))
        self.target = self.years.filter(self.years.with_target)
        self.bans = [
            m
            for m in regime.measures
            if m.kind is MeasureKind.BAN
            and m.scope.hs
            and ((end := regime.effective_end(m.id)) is None or end >= m.start)
        ]
        self.windows = {m.id: _window(m, params.window_years) for m in self.bans}
        rows: list[dict[str, Any]] = []
        for m in self.bans:
            w = self.windows[m.id]
            for excluded, prefixes in (
                (False, m.scope.prefixes),
                (True, m.scope.excluded_prefixes),
            ):
                rows.extend(
                    {
                        "measure_id": m.id,
                        "direction": m.direction.value,
                        "prefix": prefix,
                        "chapter": prefix[:2],
                        "excluded": excluded,
                        "wkey": w.key,
                        "b0": w.before[0],
                        "b1": w.before[1],
                        "a0": w.after[0],
                        "a1": w.after[1],
                    }
                    for prefix in prefixes
                )
        self.scope = _table(rows, _SCOPE)
        self.labels = {m.id: f"{m.resolution} {m.paragraph}" for m in regime.measures}
        self.coverage = self.years.select("reporter", "year", "with_target", "trade").distinct()

    def labels_of(self, ids: list[str]) -> str:
        return ", ".join(self.labels[i] for i in ids)

    def in_scope(self, t: ir.Table, code: str = "hs_code") -> ir.Table:
        """Rows of `t` paired with each ban whose scope holds their code (same direction)."""
        s = self.scope
        inc = s.filter(~s.excluded)
        exc = s.filter(s.excluded)
        joined = t.join(
            inc,
            [
                t[code].substr(0, 2) == inc.chapter,
                t[code].startswith(inc.prefix),
                t.trade == inc.direction.substitute(_TRADE_OF),
            ],
        )
        return joined.anti_join(
            exc,
            [
                joined.measure_id == exc.measure_id,
                joined[code].substr(0, 2) == exc.chapter,
                joined[code].startswith(exc.prefix),
            ],
        )

    def spread(self, t: ir.Table, windows: ir.Table) -> ir.Table:
        """`t` joined to each window its year falls in (`windows`: wkey, b0, b1, a0, a1)."""
        return t.join(windows, (t.year >= windows.b0) & (t.year <= windows.a1))

    def means(self, j: ir.Table, keys: list[str], windows: ir.Table) -> ir.Table:
        """Yearly means of `value_usd` before and after, per `keys` (reporter and trade among
        them) and window, over the years the reporter reported trade with the target."""
        sums = j.group_by(*keys, "wkey").aggregate(
            before=j.value_usd.sum(where=j.year <= j.b1).fill_null(0.0),
            after=j.value_usd.sum(where=j.year >= j.a0).fill_null(0.0),
        )
        c = self.coverage.filter(self.coverage.with_target)
        c = self.spread(c.select("reporter", "trade", "year").distinct(), windows)
        cov = c.group_by("reporter", "trade", "wkey").aggregate(
            n_before=c.year.nunique(where=c.year <= c.b1),
            n_after=c.year.nunique(where=c.year >= c.a0),
        )
        m = sums.join(cov, ["reporter", "trade", "wkey"])
        m = m.filter((m.n_before > 0) & (m.n_after > 0))
        return m.mutate(before=m.before / m.n_before, after=m.after / m.n_after)

    def measure_windows(self, direction: str | None = None) -> ir.Table:
        """One row per ban: measure_id, direction and its window."""
        s = self.scope
        if direction is not None:
            s = s.filter(s.direction == direction)
        return s.select("measure_id", "direction", "wkey", "b0", "b1", "a0", "a1").distinct()

    def distinct_windows(self, direction: str | None = None) -> ir.Table:
        return self.measure_windows(direction).select("wkey", "b0", "b1", "a0", "a1").distinct()

    def by_measure(self, t: ir.Table, direction: str | None = None) -> ir.Table:
        """Rows of `t` (with a measure_id) inside their measure's window, window attached."""
        w = self.measure_windows(direction).drop("direction")
        j = t.join(w, "measure_id")
        return j.filter((j.year >= j.b0) & (j.year <= j.a1))

    def evidence(self, after: ir.NumericValue, before: ir.NumericValue) -> ir.NumericValue:
        ratio = (after + self.m) / (before + self.m)
        return ratio.ln() / math.log(self.p.min_ratio)

    def weight(self, usd: ir.NumericValue) -> ir.NumericValue:
        return (1 + usd.abs() / self.m).log10()

    def fallen(self) -> ir.Table:
        """Per reporter, trade and ban: the target's trade in its scope before and after,
        where it fell by at least `scope_fall`."""
        s = self.in_scope(self.target)
        s = s.select("reporter", "trade", "hs_code", "year", "value_usd", "measure_id")
        means = self.means(
            self.by_measure(s), ["reporter", "trade", "measure_id"], self.distinct_windows()
        )
        return means.filter(
            (means.before >= self.m) & (means.after <= (1 - self.p.scope_fall) * means.before)
        )

    def sources(self, found: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
        """The stored rows behind each signal, by rank: file and row numbers."""
        keys = [dict(k, rank=s["rank"]) for s in found for k in s["keys"]]
        if not keys:
            return {}
        k = _table(keys, _KEYS)
        f = self.store.flows.filter(self.store.flows.hs_level > 0)
        f = f.mutate(
            reporter=f.reporter_iso3.fill_null(f.reporter_code.cast("string")),
            partner=f.partner_iso3.fill_null(f.partner_code.cast("string")),
            trade=f.flow.substitute({"re-import": "import", "re-export": "export"}),
            year=f.period_start.year().cast("int32"),
        )
        target = [self.regime.target, str(self.regime.target_code)]
        j = f.join(
            k,
            [
                f.reporter == k.reporter,
                f.trade == k.trade,
                (k.prefix == "") | f.hs_code.startswith(k.prefix) | k.prefix.startswith(f.hs_code),
                f.year >= k.y0,
                f.year <= k.y1,
                ibis.ifelse(k.partner == "*", ~f.partner.isin(target), f.partner == k.partner),
            ],
        )
        rows = (
            j.group_by(j.rank, j.source_file)
            .aggregate(rows=j.source_row.collect(distinct=True))
            .order_by("rank", "source_file")
            .to_pyarrow()
            .to_pylist()
        )
        out: dict[int, list[dict[str, Any]]] = {}
        for r in rows:
            out.setdefault(r["rank"], []).append(
                {"source_file": r["source_file"], "rows": sorted(r["rows"])}
            )
        return out

    def series(self, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """What each signal's chart draws: yearly values of its flows, or unit values."""
        out: list[dict[str, Any]] = []
        keys: list[dict[str, Any]] = []
        for s in found:
            out.extend(dict(r, rank=s["rank"]) for r in s.get("points", []))
            keys.extend(dict(k, rank=s["rank"]) for k in s.get("lines", []))
        if not keys:
            return out
        k = _table(keys, _LINES)
        y = self.years
        j = y.join(
            k,
            [
                y.reporter == k.reporter,
                y.trade == k.trade,
                (k.prefix == "") | y.hs_code.startswith(k.prefix),
                ibis.ifelse(k.partner == "*", ~y.with_target, y.partner == k.partner),
            ],
        )
        g = j.group_by("rank", "series", "year", "factor").aggregate(
            world=j.value_usd.sum(where=j.is_world),
            others=j.value_usd.sum(where=~j.is_world),
        )
        g = g.select(
            "rank",
            "series",
            "year",
            value=ibis.greatest(g.world.fill_null(0.0), g.others.fill_null(0.0)) * g.factor,
        )
        for r in g.order_by("rank", "series", "year").to_pyarrow().to_pylist():
            out.append(
                {
                    "rank": r["rank"],
                    "series": r["series"],
                    "category": str(r["year"]),
                    "value": r["value"],
                    "unit": "US$",
                }
            )
        return out


_KEYS = pa.schema(
    [
        ("rank", pa.int64()),
        ("reporter", pa.string()),
        ("partner", pa.string()),
        ("trade", pa.string()),
        ("prefix", pa.string()),
        ("y0", pa.int32()),
        ("y1", pa.int32()),
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
        ("factor", pa.float64()),
    ]
)


def _key(
    reporter: str, partner: str, trade: str, prefix: str, years: tuple[int, int]
) -> dict[str, Any]:
    return {
        "reporter": reporter,
        "partner": partner,
        "trade": trade,
        "prefix": prefix,
        "y0": years[0],
        "y1": years[1],
    }


def _line(
    series: str, reporter: str, partner: str, trade: str, prefix: str, factor: float = 1.0
) -> dict[str, Any]:
    return {
        "series": series,
        "reporter": reporter,
        "partner": partner,
        "trade": trade,
        "prefix": prefix,
        "factor": factor,
    }


def _rows(t: ir.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = t.to_pyarrow().to_pylist()
    return rows


def _span(w: _Window) -> tuple[int, int]:
    return (w.before[0], w.after[1])


def _flow_word(trade: str) -> str:
    return "imports" if trade == "import" else "exports"


def _substitution(w: _World) -> list[dict[str, Any]]:
    """Unbanned codes from the target that boom while trade under a measure collapses."""
    fallen = w.fallen()
    fallen = fallen.filter(fallen.trade == "import")
    target = w.target.filter(w.target.trade == "import")
    scoped = w.in_scope(target)
    free = target.anti_join(
        scoped.select("reporter", "hs_code").distinct(), ["reporter", "hs_code"]
    )
    windows = w.distinct_windows(Direction.FROM_TARGET.value)
    codes = w.means(w.spread(free, windows), ["reporter", "trade", "hs_code"], windows)
    groups = fallen.group_by("reporter", "wkey").aggregate(
        measures=fallen.measure_id.collect(distinct=True)
    )
    in_fallen = (
        scoped.join(fallen.select("reporter", "measure_id", "wkey"), ["reporter", "measure_id"])
        .select("reporter", "trade", "hs_code", "wkey")
        .distinct()
    )
    fell = target.join(in_fallen, ["reporter", "trade", "hs_code"]).join(windows, "wkey")
    fell = fell.filter((fell.year >= fell.b0) & (fell.year <= fell.a1))
    scope_codes = w.means(fell, ["reporter", "trade", "hs_code"], windows)
    scope = scope_codes.group_by("reporter", "wkey").aggregate(
        scope_before=scope_codes.before.sum(), scope_after=scope_codes.after.sum()
    )
    c = codes.join(groups, ["reporter", "wkey"]).join(scope, ["reporter", "wkey"])
    rise = c.after - c.before
    evidence = w.evidence(c.after, c.before)
    c = c.filter((rise >= w.m) & (evidence >= 1))
    c = c.mutate(score=evidence * w.weight(rise))
    best = c.mutate(
        best=ibis.row_number().over(group_by=[c.reporter, c.hs_code], order_by=ibis.desc(c.score))
    )
    best = best.filter(best.best == 0)
    out = []
    for r in _rows(best):
        ids = sorted(r["measures"], key=lambda i: (w.regime.measure(i).start, i))
        win = next(w.windows[i] for i in ids)
        out.append(
            {
                "kind": SignalKind.SUBSTITUTION.value,
                "score": r["score"],
                "measure_id": ",".join(ids),
                "measures": w.labels_of(ids),
                "reporter": r["reporter"],
                "partner": w.regime.target,
                "flow": "import",
                "hs_code": r["hs_code"],
                "window": r["wkey"],
                "expected_usd": r["before"],
                "observed_usd": r["after"],
                "explanation": (
                    f"{r['reporter']}'s imports of HS {r['hs_code']} from {w.regime.target} "
                    f"rose from {usd(r['before'])} a year in {_years(win.before)} to "
                    f"{usd(r['after'])} in {_years(win.after)} "
                    f"({_times(r['after'], r['before'])}) while its imports under "
                    f"{w.labels_of(ids)} fell from {usd(r['scope_before'])} to "
                    f"{usd(r['scope_after'])} a year."
                ),
                "keys": [_key(r["reporter"], w.regime.target, "import", r["hs_code"], _span(win))],
                "lines": [
                    _line(
                        f"HS {r['hs_code']}", r["reporter"], w.regime.target, "import", r["hs_code"]
                    )
                ],
                "before": win.before,
                "after": win.after,
            }
        )
    return out


def _years(span: tuple[int, int]) -> str:
    return str(span[0]) if span[0] == span[1] else f"{span[0]}-{span[1]}"


_NEIGHBOURS = pa.schema(
    [
        ("measure_id", pa.string()),
        ("banned", pa.string()),
        ("near", pa.string()),
        ("relation", pa.string()),
        ("order", pa.int32()),
    ]
)


def _relabelling(w: _World) -> list[dict[str, Any]]:
    """Codes beside a banned one (same heading, same chapter, or a look-alike) that jump as
    the banned code stops."""
    rows = []
    looks = lookalikes()
    for m in w.bans:
        for p in m.scope.prefixes:
            if len(p) == 6:
                rows.append(
                    {
                        "measure_id": m.id,
                        "banned": p,
                        "near": p[:4],
                        "relation": f"in heading {p[:4]} beside it",
                        "order": 1,
                    }
                )
            if len(p) >= 4:
                rows.append(
                    {
                        "measure_id": m.id,
                        "banned": p,
                        "near": p[:2],
                        "relation": f"in chapter {p[:2]} beside it",
                        "order": 2,
                    }
                )
            rows.extend(
                {
                    "measure_id": m.id,
                    "banned": p,
                    "near": code,
                    "relation": f"a look-alike: {reason}",
                    "order": 0,
                }
                for banned, code, reason in looks
                if banned == p
            )
    if not rows:
        return []
    near = _table(rows, _NEIGHBOURS)
    t = w.target
    windows = w.distinct_windows()
    banned_codes = w.in_scope(t).select("reporter", "trade", "hs_code").distinct()
    items = near.select("measure_id", "banned").distinct()
    under = t.join(
        items,
        [t.hs_code.substr(0, 2) == items.banned.substr(0, 2), t.hs_code.startswith(items.banned)],
    )
    under = w.by_measure(under)
    scoped = w.measure_windows().select("measure_id", d=w.measure_windows().direction)
    under = under.join(scoped, "measure_id")
    under = under.filter(under.trade == under.d.substitute(_TRADE_OF))
    banned_means = w.means(under, ["reporter", "trade", "measure_id", "banned"], windows)
    stopped = banned_means.filter(
        (banned_means.before >= w.m)
        & (banned_means.after <= (1 - w.p.scope_fall) * banned_means.before)
    ).select(
        "reporter",
        "trade",
        "measure_id",
        "banned",
        "wkey",
        drop_before="before",
        drop_after="after",
    )
    free = t.anti_join(banned_codes, ["reporter", "trade", "hs_code"])
    code_means = w.means(w.spread(free, windows), ["reporter", "trade", "hs_code"], windows)
    c = code_means.join(stopped, ["reporter", "trade", "wkey"]).join(near, ["measure_id", "banned"])
    c = c.filter(c.hs_code.startswith(c.near) & ~c.hs_code.startswith(c.banned))
    rise = c.after - c.before
    evidence = w.evidence(c.after, c.before)
    c = c.filter((rise >= w.m) & (evidence >= 1))
    drop = c.drop_before - c.drop_after
    offset = ibis.least(rise / drop, 1.0)
    c = c.mutate(score=evidence * (1 + offset) * w.weight(rise))
    best = c.mutate(
        best=ibis.row_number().over(
            group_by=[c.reporter, c.trade, c.hs_code], order_by=[ibis.desc(c.score), c.order]
        )
    )
    best = best.filter(best.best == 0)
    out = []
    for r in _rows(best):
        win = w.windows[r["measure_id"]]
        word = _flow_word(r["trade"])
        prep = "from" if r["trade"] == "import" else "to"
        out.append(
            {
                "kind": SignalKind.RELABELLING.value,
                "score": r["score"],
                "measure_id": r["measure_id"],
                "measures": w.labels_of([r["measure_id"]]),
                "reporter": r["reporter"],
                "partner": w.regime.target,
                "flow": r["trade"],
                "hs_code": r["hs_code"],
                "window": r["wkey"],
                "expected_usd": r["before"],
                "observed_usd": r["after"],
                "explanation": (
                    f"{r['reporter']}'s {word} of HS {r['hs_code']} {prep} {w.regime.target} "
                    f"rose from {usd(r['before'])} a year in {_years(win.before)} to "
                    f"{usd(r['after'])} in {_years(win.after)} as banned HS {r['banned']} "
                    f"({w.labels_of([r['measure_id']])}) fell from {usd(r['drop_before'])} to "
                    f"{usd(r['drop_after'])}; HS {r['hs_code']} is {r['relation']}."
                ),
                "keys": [
                    _key(r["reporter"], w.regime.target, r["trade"], r["hs_code"], _span(win)),
                    _key(r["reporter"], w.regime.target, r["trade"], r["banned"], _span(win)),
                ],
                "lines": [
                    _line(
                        f"HS {r['hs_code']}",
                        r["reporter"],
                        w.regime.target,
                        r["trade"],
                        r["hs_code"],
                    ),
                    _line(
                        f"banned HS {r['banned']}",
                        r["reporter"],
                        w.regime.target,
                        r["trade"],
                        r["banned"],
                    ),
                ],
            }
        )
    return out


def _candidates(w: _World) -> list[str]:
    """States that could carry the target's goods: its neighbours and its trading partners."""
    partners = w.target.select("reporter").distinct().to_pyarrow()["reporter"].to_pylist()
    own = {w.regime.target, str(w.regime.target_code)}
    return sorted((set(partners) | set(neighbours(w.regime.target))) - own)


def _diversion(w: _World) -> list[dict[str, Any]]:
    """The banned goods turning up in a third state's exports, and new partners of the target."""
    return _third_country(w) + _new_partners(w)


def _third_country(w: _World) -> list[dict[str, Any]]:
    states = _candidates(w)
    if not states:
        return []
    y = w.years
    windows = w.measure_windows(Direction.FROM_TARGET.value)
    # The target's exports under each ban, over every reporter: they must have fallen.
    t = w.in_scope(w.target.filter(w.target.trade == "import"))
    j = t.join(windows.select("measure_id", "wkey", "b0", "b1", "a0", "a1"), "measure_id")
    n = w.p.window_years
    overall = j.group_by("measure_id", "wkey").aggregate(
        target_before=(j.value_usd.sum(where=(j.year >= j.b0) & (j.year <= j.b1)) / n).fill_null(
            0.0
        ),
        target_after=(j.value_usd.sum(where=(j.year >= j.a0) & (j.year <= j.a1)) / n).fill_null(
            0.0
        ),
    )
    overall = overall.filter(
        (overall.target_before >= w.m)
        & (overall.target_after <= (1 - w.p.scope_fall) * overall.target_before)
    )
    # Each candidate's trade in the banned codes with everyone but the target, by scope item.
    third = y.filter(y.reporter.isin(states) & ~y.with_target & (y.trade == "export"))
    third_s = w.in_scope(third.mutate(trade=ibis.literal("import")))
    per_year = third_s.group_by("reporter", "measure_id", "prefix", "year").aggregate(
        world=third_s.value_usd.sum(where=third_s.is_world),
        others=third_s.value_usd.sum(where=~third_s.is_world),
    )
    per_year = per_year.select(
        "reporter",
        "measure_id",
        "prefix",
        "year",
        value_usd=ibis.greatest(per_year.world.fill_null(0.0), per_year.others.fill_null(0.0)),
    )
    imports = y.filter(y.reporter.isin(states) & (y.trade == "import"))
    imports_s = w.in_scope(imports)
    imp_year = imports_s.group_by("reporter", "measure_id", "prefix", "year").aggregate(
        from_target=imports_s.value_usd.sum(where=imports_s.with_target),
        world=imports_s.value_usd.sum(where=imports_s.is_world),
        others=imports_s.value_usd.sum(where=~imports_s.is_world & ~imports_s.with_target),
    )
    imp_year = imp_year.select(
        "reporter",
        "measure_id",
        "prefix",
        "year",
        from_target=imp_year.from_target.fill_null(0.0),
        others=ibis.greatest(
            imp_year.world.fill_null(0.0) - imp_year.from_target.fill_null(0.0),
            imp_year.others.fill_null(0.0),
        ),
    )
    wj = windows.select("measure_id", "wkey", "b0", "b1", "a0", "a1")
    e = per_year.join(wj, "measure_id")
    e = e.filter((e.year >= e.b0) & (e.year <= e.a1))
    exp = e.group_by("reporter", "measure_id", "prefix", "wkey").aggregate(
        before=e.value_usd.sum(where=e.year <= e.b1).fill_null(0.0) / n,
        after=e.value_usd.sum(where=e.year >= e.a0).fill_null(0.0) / n,
    )
    i = imp_year.join(wj, "measure_id")
    i = i.filter((i.year >= i.b0) & (i.year <= i.a1))
    imp = i.group_by("reporter", "measure_id", "prefix", "wkey").aggregate(
        imp_before=i.others.sum(where=i.year <= i.b1).fill_null(0.0) / n,
        imp_after=i.others.sum(where=i.year >= i.a0).fill_null(0.0) / n,
        from_target=i.from_target.sum(where=i.year >= i.a0).fill_null(0.0) / n,
    )
    c = exp.left_join(imp, ["reporter", "measure_id", "prefix", "wkey"]).select(
        exp.reporter,
        exp.measure_id,
        exp.prefix,
        exp.wkey,
        exp.before,
        exp.after,
        imp_rise=(imp.imp_after.fill_null(0.0) - imp.imp_before.fill_null(0.0)),
        from_target=imp.from_target.fill_null(0.0),
    )
    c = c.join(overall, ["measure_id", "wkey"])
    unexplained = c.after - c.before - ibis.greatest(c.imp_rise, 0.0) - c.from_target
    evidence = w.evidence(c.after, c.before)
    c = c.mutate(unexplained=unexplained, evidence=evidence)
    c = c.filter((c.unexplained >= w.m) & (c.evidence >= 1))
    c = c.mutate(score=c.evidence * w.weight(c.unexplained))
    best = c.mutate(
        best=ibis.row_number().over(
            group_by=[c.reporter, c.prefix], order_by=[ibis.desc(c.score), c.measure_id]
        )
    )
    best = best.filter(best.best == 0)
    out = []
    for r in _rows(best):
        win = w.windows[r["measure_id"]]
        label = w.labels_of([r["measure_id"]])
        out.append(
            {
                "kind": SignalKind.DIVERSION.value,
                "score": r["score"],
                "measure_id": r["measure_id"],
                "measures": label,
                "reporter": r["reporter"],
                "partner": "all but " + w.regime.target,
                "flow": "export",
                "hs_code": r["prefix"],
                "window": r["wkey"],
                "expected_usd": r["before"],
                "observed_usd": r["after"],
                "explanation": (
                    f"{r['reporter']}'s exports of HS {r['prefix']}, banned from "
                    f"{w.regime.target} by {label}, rose from {usd(r['before'])} a year in "
                    f"{_years(win.before)} to {usd(r['after'])} in {_years(win.after)} while "
                    f"{w.regime.target}'s own exports of them fell from "
                    f"{usd(r['target_before'])} to {usd(r['target_after'])}; its imports of "
                    f"them from elsewhere rose by {usd(max(r['imp_rise'], 0.0))} and from "
                    f"{w.regime.target} it reported {usd(r['from_target'])} a year, leaving "
                    f"{usd(r['unexplained'])} a year unexplained."
                ),
                "keys": [_key(r["reporter"], "*", "export", r["prefix"], _span(win))],
                "lines": [
                    _line(
                        f"{r['reporter']} exports of HS {r['prefix']}",
                        r["reporter"],
                        "*",
                        "export",
                        r["prefix"],
                    ),
                    _line(
                        f"{r['reporter']} imports of HS {r['prefix']}",
                        r["reporter"],
                        "*",
                        "import",
                        r["prefix"],
                    ),
                ],
            }
        )
    return out


def _new_partners(w: _World) -> list[dict[str, Any]]:
    """Reporters that traded nothing with the target before a ban and plenty after."""
    windows = (
        w.measure_windows(Direction.FROM_TARGET.value)
        .select("wkey", "b0", "b1", "a0", "a1")
        .distinct()
    )
    y = w.years
    own = [w.regime.target, str(w.regime.target_code)]
    y = y.filter(~y.reporter.isin(own))
    j = y.join(windows, (y.year >= windows.b0) & (y.year <= windows.a1))
    g = j.group_by("reporter", "wkey").aggregate(
        reported_before=(j.year <= j.b1).any(),
        with_before=j.value_usd.sum(where=j.with_target & (j.year <= j.b1)).fill_null(0.0),
        with_after=j.value_usd.sum(where=j.with_target & (j.year >= j.a0)).fill_null(0.0),
        after_years=j.year.nunique(where=j.with_target & (j.year >= j.a0)),
    )
    g = g.filter(g.reported_before & (g.with_before == 0) & (g.after_years > 0))
    g = g.mutate(after=g.with_after / g.after_years)
    g = g.filter((g.after >= w.m) & (w.evidence(g.after, ibis.literal(0.0)) >= 1))
    g = g.mutate(score=w.evidence(g.after, ibis.literal(0.0)) * w.weight(g.after))
    g = g.mutate(
        best=ibis.row_number().over(group_by=g.reporter, order_by=[ibis.desc(g.score), g.wkey])
    )
    g = g.filter(g.best == 0)
    out = []
    by_window: dict[str, list[str]] = {}
    for m in w.bans:
        if m.direction is Direction.FROM_TARGET:
            by_window.setdefault(w.windows[m.id].key, []).append(m.id)
    for r in _rows(g):
        ids = by_window[r["wkey"]]
        win = w.windows[ids[0]]
        out.append(
            {
                "kind": SignalKind.DIVERSION.value,
                "score": r["score"],
                "measure_id": ",".join(ids),
                "measures": w.labels_of(ids),
                "reporter": r["reporter"],
                "partner": w.regime.target,
                "flow": "import and export",
                "hs_code": "all",
                "window": r["wkey"],
                "expected_usd": 0.0,
                "observed_usd": r["after"],
                "explanation": (
                    f"{r['reporter']} reported trade in {_years(win.before)} but none with "
                    f"{w.regime.target}, then {usd(r['after'])} a year with it in "
                    f"{_years(win.after)}, after {w.labels_of(ids)} took force: a new partner."
                ),
                "keys": [
                    _key(r["reporter"], w.regime.target, trade, "", _span(win))
                    for trade in ("import", "export")
                ],
                "lines": [
                    _line(
                        f"{r['reporter']} {_flow_word(trade)} with {w.regime.target}",
                        r["reporter"],
                        w.regime.target,
                        trade,
                        "",
                    )
                    for trade in ("import", "export")
                ],
            }
        )
    return out


def _unit_values(w: _World) -> list[dict[str, Any]]:
    """Flows with the target priced far from what the same HS6 code fetched that year."""
    y = w.years
    y = y.filter(
        (y.hs_level == 6) & y.weighed & (y.value_usd > 0) & (y.net_weight_kg > 0) & ~y.is_world
    )
    priced = (y.value_usd > 0) & (y.net_weight_kg > 0)
    uv = ibis.ifelse(priced, y.value_usd / y.net_weight_kg, 1.0)
    y = y.mutate(log_uv=uv.ln())
    med = y.group_by("hs_code", "year").aggregate(median=y.log_uv.median(), size=y.count())
    med = med.filter(med.size >= w.p.min_group)
    d = y.join(med, ["hs_code", "year"])
    d = d.mutate(dev=(d.log_uv - d.median).abs())
    mad = d.group_by("hs_code", "year").aggregate(mad=d.dev.median())
    d = d.join(mad.filter(mad.mad > 0), ["hs_code", "year"])
    d = d.filter(d.with_target)
    d = d.mutate(z=0.6745 * (d.log_uv - d.median) / d.mad)
    d = d.mutate(expected=d.net_weight_kg * d.median.exp())
    d = d.filter((d.z.abs() >= w.p.z_threshold) & (d.value_usd >= w.m))
    evidence = 1 + ibis.greatest(d.z.abs() / w.p.z_threshold, 1.0).ln()
    d = d.mutate(score=evidence * w.weight(d.value_usd))
    scoped = w.in_scope(d).select("reporter", "trade", "hs_code", "year", "measure_id")
    ids = scoped.group_by("reporter", "trade", "hs_code", "year").aggregate(
        measures=scoped.measure_id.collect(distinct=True)
    )
    d = d.left_join(ids, ["reporter", "trade", "hs_code", "year"]).select(d, measures=ids.measures)
    out = []
    for r in _rows(d):
        ids_ = sorted(r["measures"] or [])
        word = _flow_word(r["trade"])
        prep = "from" if r["trade"] == "import" else "to"
        uv = r["value_usd"] / r["net_weight_kg"]
        med_uv = math.exp(r["median"])
        out.append(
            {
                "kind": SignalKind.UNIT_VALUE.value,
                "score": r["score"],
                "measure_id": ",".join(ids_) or None,
                "measures": w.labels_of(ids_) or None,
                "reporter": r["reporter"],
                "partner": r["partner"],
                "flow": r["trade"],
                "hs_code": r["hs_code"],
                "window": str(r["year"]),
                "expected_usd": r["expected"],
                "observed_usd": r["value_usd"],
                "explanation": (
                    f"{r['reporter']}'s {r['year']} {word} of HS {r['hs_code']} {prep} "
                    f"{r['partner']} were declared at US${uv:,.2f}/kg "
                    f"({usd(r['value_usd'])} for {r['net_weight_kg'] / 1000:,.0f} t) against a "
                    f"median of US${med_uv:,.2f}/kg over {r['size']} flows of that code and "
                    f"year (robust z {r['z']:+.1f})."
                ),
                "keys": [
                    _key(
                        r["reporter"],
                        r["partner"],
                        r["trade"],
                        r["hs_code"],
                        (r["year"], r["year"]),
                    )
                ],
                "points": [
                    {
                        "series": "US$ per kg",
                        "category": "this flow",
                        "value": uv,
                        "unit": "US$/kg",
                    },
                    {
                        "series": "US$ per kg",
                        "category": f"median of {r['size']} flows",
                        "value": med_uv,
                        "unit": "US$/kg",
                    },
                ],
            }
        )
    return out


def _mirror_gaps(w: _World) -> list[dict[str, Any]]:
    """A's exports to B against B's imports from A, by HS heading and year, CIF margin allowed."""
    states = _candidates(w)
    if not states:
        return []
    y = w.years
    y = y.filter((y.hs_level >= 4) & ~y.is_world & ~y.with_target)
    y = y.mutate(heading=y.hs_code.substr(0, 4))
    ex = y.filter(y.trade == "export")
    ex = ex.group_by(a=ex.reporter, b=ex.partner, heading=ex.heading, year=ex.year).aggregate(
        exported=ex.value_usd.sum()
    )
    im = y.filter(y.trade == "import")
    im = im.group_by(a=im.partner, b=im.reporter, heading=im.heading, year=im.year).aggregate(
        imported=im.value_usd.sum()
    )
    ex = ex.filter(ex.a.isin(states) | ex.b.isin(states))
    im = im.filter(im.a.isin(states) | im.b.isin(states))
    nothing = ibis.null("float64")
    u = ex.select("a", "b", "heading", "year", "exported", imported=nothing).union(
        im.select("a", "b", "heading", "year", exported=nothing, imported=im.imported)
    )
    g = u.group_by("a", "b", "heading", "year").aggregate(
        exported=u.exported.sum().fill_null(0.0),
        imported=u.imported.sum().fill_null(0.0),
        ex_rows=u.exported.count(),
        im_rows=u.imported.count(),
    )
    pair = ibis.window(group_by=[g.a, g.b, g.year])
    j = g.mutate(ex_pair=g.ex_rows.sum().over(pair), im_pair=g.im_rows.sum().over(pair))
    # Both states reported trade with each other that year: a missing side means none.
    j = j.filter((j.ex_pair > 0) & (j.im_pair > 0))
    expected = j.exported * (1 + w.p.cif_margin)
    gap = j.imported - expected
    log_gap = ((j.imported + w.m) / (expected + w.m)).ln()
    evidence = log_gap.abs() / math.log(1 + w.p.tolerance)
    j = j.mutate(expected=expected, gap=gap, evidence=evidence)
    j = j.filter((j.gap.abs() >= w.m) & (j.evidence >= 1))
    j = j.mutate(score=j.evidence * w.weight(j.gap))
    out = []
    margin = f"{w.p.cif_margin:.0%}"
    for r in _rows(j):
        side = "more" if r["gap"] > 0 else "less"
        out.append(
            {
                "kind": SignalKind.MIRROR_GAP.value,
                "score": r["score"],
                "measure_id": None,
                "measures": None,
                "reporter": r["a"],
                "partner": r["b"],
                "flow": "export vs import",
                "hs_code": r["heading"],
                "window": str(r["year"]),
                "expected_usd": r["expected"],
                "observed_usd": r["imported"],
                "explanation": (
                    f"In {r['year']} {r['a']} reported exports of HS {r['heading']} to {r['b']} "
                    f"worth {usd(r['exported'])} ({usd(r['expected'])} with a {margin} CIF "
                    f"margin) and {r['b']} reported imports of {usd(r['imported'])} from "
                    f"{r['a']}: {usd(abs(r['gap']))} {side} than the exporter declared."
                ),
                "keys": [
                    _key(r["a"], r["b"], "export", r["heading"], (r["year"], r["year"])),
                    _key(r["b"], r["a"], "import", r["heading"], (r["year"], r["year"])),
                ],
                "lines": [
                    _line(
                        f"{r['a']} exports to {r['b']} + {margin}",
                        r["a"],
                        r["b"],
                        "export",
                        r["heading"],
                        1 + w.p.cif_margin,
                    ),
                    _line(
                        f"{r['b']} imports from {r['a']}", r["b"], r["a"], "import", r["heading"]
                    ),
                ],
            }
        )
    return out


_DETECTORS = {
    SignalKind.SUBSTITUTION: _substitution,
    SignalKind.RELABELLING: _relabelling,
    SignalKind.DIVERSION: _diversion,
    SignalKind.UNIT_VALUE: _unit_values,
    SignalKind.MIRROR_GAP: _mirror_gaps,
}
