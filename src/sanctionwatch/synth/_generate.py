"""A synthetic world of monthly HS6 trade, written in chunks so it never sits in memory.

The world is a sequence of blocks, one per reporter, partner, flow and period, as Comtrade
files are: the subheadings traded (leaves), then a row per heading, per chapter and a TOTAL
summing them exactly. Month by month, reporter-partner pairs are drawn by the size of the
two economies; a pair trades a basket of popular products whose values follow a Zipf-like
(Pareto) law and whose net weights follow each chapter's typical price per kg.

Trade with the DPRK gets blocks of its own: background trade only in goods and months that
no measure of the UN regime covers, its heading and chapter rows summing its leaves exactly so
that none is coarser than a scope, and the planted rows of `_plants`, whose findings are
known. The DPRK itself never reports: its own rows would be the target's trade in every
chapter, seen from its side. Everything depends on the seed and the row count only; the
chunk size changes how rows are cut into Arrow tables, never which rows are written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._output import json_text, write_atomic
from sanctionwatch.regime import Direction, Regime, resolve_regime
from sanctionwatch.store._schema import FLOWS
from sanctionwatch.synth._evasion import EvasionFlow, evasion_flows, signal_records
from sanctionwatch.synth._limits import MIN_ROWS
from sanctionwatch.synth._plants import IMPORT, PLANTS, Planted, expected_findings
from sanctionwatch.synth._world import (
    FIRST_YEAR,
    LAST_YEAR,
    MONTHS,
    TARGET_CODE,
    TARGET_ISO3,
    Codes,
    Countries,
    classification,
    codes,
    countries,
    hs_edition,
    month_bounds,
)

__all__ = ["FORMATS", "GROUND_TRUTH", "SynthReport", "synthesize"]

FORMATS = ("comtrade-bulk", "parquet")
GROUND_TRUTH = "ground_truth.json"
DEFAULT_CHUNK_ROWS = 262_144

_REPORTERS = 200
# The largest traders first; the rest of the ranking is drawn from the seed.
_LARGEST = ("CHN", "USA", "DEU", "JPN", "NLD", "FRA", "KOR", "ITA", "GBR", "HKG", "IND", "MEX")
# Who trades with the DPRK, and how often in a month (China reports most of it).
_TARGET_TRADERS = {
    "CHN": 1.0,
    "RUS": 0.6,
    "IND": 0.35,
    "VNM": 0.3,
    "THA": 0.3,
    "SGP": 0.25,
    "PHL": 0.2,
    "BRA": 0.2,
    "PAK": 0.15,
    "DEU": 0.15,
    "NLD": 0.1,
    "MEX": 0.1,
}
_MAX_LEAVES = 2000
# In an in-scope world: the share of rows with the target, how much likelier a good some
# measure names is in its baskets, and rows per leaf once headings and chapters are added.
_IN_SCOPE_SHARE = 0.1
_NAMED_BOOST = 30.0
_ROWS_PER_LEAF = 2.8
_CIF_LOW, _CIF_HIGH = 0.02, 0.15
# How far an importer's figure for a code strays from the exporter's, beyond the CIF margin
# (log-normal sigma): valuation, exchange rates and timing for most codes, and for one code in
# ten a wider gap (goods classified or valued differently by the two customs); weights agree
# more closely.
_MIRROR_VALUE_NOISE = 0.1
_MIRROR_WIDE_NOISE = 0.5
_MIRROR_WIDE_SHARE = 0.1
_MIRROR_WEIGHT_NOISE = 0.05
_BATCH_LEAVES = 200_000
_EPOCH = dt.date(1970, 1, 1)
_M, _X = 0, 1


ProgressCallback = Callable[[int, int], None]
"""Called with (rows written, rows in all)."""


@dataclass(frozen=True)
class SynthReport:
    """What `synthesize` wrote."""

    path: Path
    ground_truth: Path
    format: str
    rows: int
    target_rows: int
    findings: int
    largest_chunk: int
    seed: int


@dataclass
class _Rows:
    """Rows as integer columns: indexes into countries, periods and the code vocabulary."""

    reporter: np.ndarray
    partner: np.ndarray
    flow: np.ndarray
    period: np.ndarray  # 0..MONTHS-1 for months, MONTHS + k for the k-th year
    rank: np.ndarray
    value: np.ndarray
    weight: np.ndarray

    def __len__(self) -> int:
        return len(self.rank)

    def slice(self, start: int, stop: int) -> _Rows:
        return _Rows(*(getattr(self, n)[start:stop] for n in _COLUMNS))

    @classmethod
    def concat(cls, parts: list[_Rows]) -> _Rows:
        return cls(*(np.concatenate([getattr(p, n) for p in parts]) for n in _COLUMNS))


_COLUMNS = ("reporter", "partner", "flow", "period", "rank", "value", "weight")


@dataclass
class _Chunker:
    """Cuts a stream of row arrays into tables of at most `size` rows."""

    size: int
    pending: list[_Rows] = field(default_factory=list)
    count: int = 0

    def add(self, rows: _Rows) -> Iterator[_Rows]:
        if len(rows):
            self.pending.append(rows)
            self.count += len(rows)
        if self.count < self.size:
            return
        whole = _Rows.concat(self.pending)
        start = 0
        while len(whole) - start >= self.size:
            yield whole.slice(start, start + self.size)
            start += self.size
        rest = whole.slice(start, len(whole))
        self.pending, self.count = ([rest] if len(rest) else []), len(rest)

    def flush(self) -> Iterator[_Rows]:
        if self.count:
            yield _Rows.concat(self.pending)
        self.pending, self.count = [], 0


def synthesize(
    out: str | Path,
    *,
    rows: int,
    seed: int = 0,
    format: str = "parquet",
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: ProgressCallback | None = None,
    evasion: bool = False,
    mirrored: bool | None = None,
    in_scope: bool = False,
) -> SynthReport:
    """Write `rows` flow rows to `out` (a folder) with the ground truth beside them.

    `parquet` writes `flows.parquet` in the canonical FLOWS schema, ready to load into a
    store's flows table; `comtrade-bulk` writes `flows.tsv.gz`, a Comtrade bulk file for
    `ingest`. Both hold the same rows; `ground_truth.json` lists the findings `check` must
    return for the UN DPRK regime. `evasion` plants one case of each evasion signal (see
    `_evasion`), listed under `signals` in the ground truth; the findings stay the same.
    `mirrored` (default: as `evasion`) has both sides report general trade, as states do:
    each export has beside it the importer's report of the same goods, a freight and
    insurance margin higher with some noise, so that only planted gaps are large; without it
    imports and exports are drawn apart, and no two sides of a flow agree.
    `in_scope` makes trade with the DPRK about a tenth of the world, mostly in
    goods some measure names (coal, ores, textiles, seafood, machinery...) while no measure
    covers them yet, and in goods no measure covers once they do: `check` then sifts much
    in-scope trade that is legal for the planted findings, which stay the same.
    """
    if format not in FORMATS:
        raise SanctionwatchError(f"unknown format {format!r} (expected {' or '.join(FORMATS)})")
    if rows < MIN_ROWS:
        raise SanctionwatchError(f"--rows must be at least {MIN_ROWS:,} (got {rows:,})")
    if chunk_rows < 1:
        raise SanctionwatchError("chunk size must be at least one row")
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SanctionwatchError(f"{folder}: cannot make this folder: {error.strerror}") from error
    both_sides = evasion if mirrored is None else mirrored
    world = _World(seed, rows, resolve_regime("un-dprk"), evasion, both_sides, in_scope)
    name = "flows.parquet" if format == "parquet" else "flows.tsv.gz"
    path = folder / name
    sink: _Sink = (
        _ParquetSink(path, world, chunk_rows) if format == "parquet" else _BulkSink(path, world)
    )
    chunker = _Chunker(chunk_rows)
    written = target_rows = largest = 0
    try:
        for part in world.parts():
            for chunk in chunker.add(part):
                target_rows += sink.write(chunk, written)
                written += len(chunk)
                largest = max(largest, len(chunk))
                if progress is not None:
                    progress(written, rows)
        for chunk in chunker.flush():
            target_rows += sink.write(chunk, written)
            written += len(chunk)
            largest = max(largest, len(chunk))
            if progress is not None:
                progress(written, rows)
    finally:
        sink.close()
    if written != rows:
        raise SanctionwatchError(f"wrote {written:,} rows where {rows:,} were asked for")
    findings = expected_findings()
    truth = folder / GROUND_TRUTH
    record: dict[str, Any] = {
        "regime": "un-dprk",
        "seed": seed,
        "rows": rows,
        "format": format,
        "flows": name,
        "in_scope": in_scope,
        "findings": findings,
        "planted": [_planted_record(p) for p in PLANTS],
    }
    if evasion:
        record["signals"] = signal_records()
    write_atomic(truth, json_text(record) + "\n")
    return SynthReport(
        path=path,
        ground_truth=truth,
        format=format,
        rows=written,
        target_rows=target_rows,
        findings=len(findings),
        largest_chunk=largest,
        seed=seed,
    )


def _planted_record(p: Planted) -> dict[str, Any]:
    return {
        "reporter": p.reporter,
        "flow": p.flow,
        "period": p.period,
        "hs_code": p.hs_code,
        "value_usd": p.value_usd,
        "net_weight_kg": p.net_weight_kg,
        "story": p.story,
        "findings": [{"measure_id": m, "status": s} for m, s in p.bans],
    }


class _World:
    """Everything drawn once from the seed, and the month-by-month stream of rows."""

    def __init__(
        self,
        seed: int,
        rows: int,
        regime: Regime,
        evasion: bool = False,
        mirrored: bool = False,
        in_scope: bool = False,
    ) -> None:
        self.seed = seed
        self.rows = rows
        self.codes: Codes = codes()
        self.countries: Countries = countries()
        rng = np.random.default_rng([seed, 0])
        n = len(self.countries.iso3)
        self.target = self.countries.index(TARGET_ISO3)

        # Economy sizes: a Zipf law over a ranking led by the largest traders.
        ranking = [self.countries.index(c) for c in _LARGEST]
        rest = [i for i in rng.permutation(n) if i not in ranking]
        size = np.empty(n)
        size[np.array([*ranking, *rest])] = 1.0 / np.arange(1, n + 1) ** 1.1
        # Never the target: its exports and imports would be its own trade, in scope or not.
        reporters = np.array(
            [i for i in [*ranking, *rest] if i != self.target][:_REPORTERS], dtype=np.int16
        )
        partners = np.array([i for i in range(n) if i != self.target], dtype=np.int16)
        rep, par = np.meshgrid(reporters, partners, indexing="ij")
        keep = rep != par
        rep, par = rep[keep], par[keep]
        # Mirrored, a pair is an exporter and its buyer, who reports the import if it reports.
        flows = (_X,) if mirrored else (_M, _X)
        self.mirrored = mirrored
        self.pair_reporter = np.concatenate([rep] * len(flows))
        self.pair_partner = np.concatenate([par] * len(flows))
        self.pair_flow = np.repeat(np.array(flows, dtype=np.int8), len(rep))
        weight = size[self.pair_reporter] * size[self.pair_partner]
        self.pair_weight = weight
        self.pair_scale = np.clip(np.sqrt(weight / np.median(weight)), 0.1, 100.0)
        self.partner_reports = np.isin(self.pair_partner, reporters)
        # Freight and insurance on top of the exporter's FOB value, by pair: 2 to 15 %.
        self.pair_cif = 1.0 + np.random.default_rng([seed, 2]).uniform(
            _CIF_LOW, _CIF_HIGH, len(self.pair_partner)
        )

        # Product popularity: a Zipf law over a ranking drawn from the seed.
        leaves = len(self.codes.leaves)
        popularity = np.empty(leaves)
        popularity[rng.permutation(leaves)] = 1.0 / np.arange(1, leaves + 1) ** 0.9
        self.popularity = popularity
        self.popularity_cdf = np.cumsum(popularity) / popularity.sum()
        self.unsafe = _unsafe(regime, self.codes)
        self.in_scope = in_scope
        # In an in-scope world, the goods a measure names are the target's staple trade.
        self.target_popularity = {
            flow: popularity * np.where(named, _NAMED_BOOST if in_scope else 1.0, 1.0)
            for flow, named in _named(regime, self.codes).items()
        }

        self.plants = _plants_by_block(self.countries, self.codes)
        self.annual = _annual_blocks(self.plants, self.countries, self.codes)
        if evasion:
            self.annual = _Annual(
                _Rows.concat([self.annual.rows, _evasion_rows(self.countries, self.codes)])
            )
        per_month = rows - len(self.annual)
        self.quota = np.full(MONTHS, per_month // MONTHS)
        self.quota[: per_month % MONTHS] += 1
        self.mean_leaves = float(np.clip(per_month / MONTHS / 400, 5, 400))

    def parts(self) -> Iterator[_Rows]:
        for month in range(MONTHS):
            rng = np.random.default_rng([self.seed, 1, month])
            target = self._target_month(rng, month, background=True)
            if len(target) > self.quota[month]:
                target = self._target_month(rng, month, background=False)
            general = int(self.quota[month]) - len(target)
            if general < 0:
                raise SanctionwatchError(f"{self.rows:,} rows are too few to hold the plants")
            yield from self._general_month(rng, month, general)
            yield target
            if month % 12 == 11:
                year = FIRST_YEAR + month // 12
                yield self.annual.slice_year(MONTHS + year - FIRST_YEAR)

    def _general_month(self, rng: np.random.Generator, month: int, quota: int) -> Iterator[_Rows]:
        """Blocks of pairs drawn by economic size until the month holds `quota` rows."""
        keys = rng.exponential(size=len(self.pair_weight)) / self.pair_weight
        order = _first_by_key(keys, 2 * int(np.ceil(quota / self.mean_leaves)) + 64)
        sigma = 1.0
        mu = np.log(self.mean_leaves) - sigma**2 / 2
        most = max(1, int(_BATCH_LEAVES // self.mean_leaves))
        taken = 0
        done = 0
        while done < quota:
            wanted = int(np.ceil((quota - done) / self.mean_leaves))
            if taken + min(most, wanted) > len(order):
                order = np.argsort(keys, kind="stable")
            pairs = order[taken : taken + min(most, wanted)]
            if not len(pairs):
                raise SanctionwatchError("not enough reporter-partner pairs for this many rows")
            taken += len(pairs)
            k = np.clip(np.rint(rng.lognormal(mu, sigma, len(pairs))), 1, _MAX_LEAVES)
            rows, sizes = self._blocks(rng, pairs, k.astype(np.int64), month)
            fits = np.cumsum(sizes) <= quota - done
            whole = int(fits.sum())
            if whole == len(pairs):
                done += len(rows)
                yield rows
                continue
            end = int(sizes[:whole].sum())
            yield rows.slice(0, end)
            done += end
            remaining = quota - done
            if remaining:
                last = order[taken - len(pairs) + whole]
                yield self._leaves_only(rng, int(last), remaining, month)
                done += remaining

    def _blocks(
        self, rng: np.random.Generator, pairs: np.ndarray, k: np.ndarray, month: int
    ) -> tuple[_Rows, np.ndarray]:
        """Each pair's basket of leaves with its heading, chapter and TOTAL rows."""
        block = np.repeat(np.arange(len(pairs)), k)
        leaf = np.searchsorted(self.popularity_cdf, rng.random(len(block)), side="right")
        leaf = np.minimum(leaf, len(self.codes.leaves) - 1)
        span = len(self.codes.leaves)
        unique = np.unique(block * span + leaf)
        block, leaf = unique // span, unique % span
        value, weight = self._figures(rng, leaf, self.pair_scale[pairs][block])
        if self.mirrored:
            return self._both_sides(rng, pairs, block, leaf, value, weight, month)
        ids, rank, value, weight = self._with_aggregates(block, leaf, value, weight)
        sizes = np.bincount(ids, minlength=len(pairs))
        pair_rows = _Rows(
            reporter=self.pair_reporter[pairs][ids],
            partner=self.pair_partner[pairs][ids],
            flow=self.pair_flow[pairs][ids],
            period=np.full(len(ids), month, dtype=np.int16),
            rank=rank,
            value=value,
            weight=weight,
        )
        return pair_rows, sizes

    def _both_sides(
        self,
        rng: np.random.Generator,
        pairs: np.ndarray,
        block: np.ndarray,
        leaf: np.ndarray,
        value: np.ndarray,
        weight: np.ndarray,
        month: int,
    ) -> tuple[_Rows, np.ndarray]:
        """Each exporter's block followed by its buyer's report of the same leaves (when the
        buyer reports): block 2p is pair p's export side, 2p + 1 its import side."""
        mirror = self.partner_reports[pairs][block]
        bought, bought_kg = self._imported(rng, value, weight, self.pair_cif[pairs][block])
        ids, rank, value, weight = self._with_aggregates(
            np.concatenate([2 * block, 2 * block[mirror] + 1]),
            np.concatenate([leaf, leaf[mirror]]),
            np.concatenate([value, bought[mirror]]),
            np.concatenate([weight, bought_kg[mirror]]),
        )
        pair, side = ids // 2, ids % 2
        exporter, importer = self.pair_reporter[pairs][pair], self.pair_partner[pairs][pair]
        rows = _Rows(
            reporter=np.where(side == 0, exporter, importer),
            partner=np.where(side == 0, importer, exporter),
            flow=np.where(side == 0, _X, _M).astype(np.int8),
            period=np.full(len(ids), month, dtype=np.int16),
            rank=rank,
            value=value,
            weight=weight,
        )
        return rows, np.bincount(pair, minlength=len(pairs))

    @staticmethod
    def _imported(
        rng: np.random.Generator, value: np.ndarray, weight: np.ndarray, cif: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray]:
        """The importer's CIF value and net weight of goods exported at `value` and `weight`."""
        wide = rng.random(len(value)) < _MIRROR_WIDE_SHARE
        sigma = np.where(wide, _MIRROR_WIDE_NOISE, _MIRROR_VALUE_NOISE)
        noise = np.exp(rng.normal(0.0, 1.0, len(value)) * sigma)
        bought = np.maximum(np.rint(value * cif * noise), 1).astype(np.int64)
        kg = weight * rng.lognormal(0.0, _MIRROR_WEIGHT_NOISE, len(weight))
        return bought, np.maximum(np.rint(kg), 1).astype(np.int64)

    def _with_aggregates(
        self, block: np.ndarray, leaf: np.ndarray, value: np.ndarray, weight: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Leaves plus their sums by heading, chapter and block, in Comtrade's order.

        Returns each row's block, code rank, value and net weight.
        """
        vocab = len(self.codes.vocabulary)
        base = block.astype(np.int64) * vocab
        parts = [(base + self.codes.leaf_rank[leaf], value, weight)]
        for parent in (self.codes.heading_rank[leaf], self.codes.chapter_rank[leaf], 0):
            groups, inverse = np.unique(base + parent, return_inverse=True)
            parts.append(
                (
                    groups,
                    np.bincount(inverse, weights=value).astype(np.int64),
                    np.bincount(inverse, weights=weight).astype(np.int64),
                )
            )
        key = np.concatenate([p[0] for p in parts])
        order = np.argsort(key, kind="stable")
        key = key[order]
        return (
            key // vocab,
            (key % vocab).astype(np.int32),
            np.concatenate([p[1] for p in parts])[order],
            np.concatenate([p[2] for p in parts])[order],
        )

    def _figures(
        self, rng: np.random.Generator, leaf: np.ndarray, scale: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray]:
        """US$ values with a heavy (Pareto, alpha 1.1) tail; net weights from unit values."""
        pareto = (1.0 - rng.random(len(leaf))) ** (-1 / 1.1)
        value = np.clip(np.rint(200.0 * pareto * scale), 1, 5e10)
        price = self.codes.leaf_price[leaf] * rng.lognormal(0.0, 0.6, len(leaf))
        weight = np.maximum(np.rint(value / price), 1)
        return value.astype(np.int64), weight.astype(np.int64)

    def _leaves_only(self, rng: np.random.Generator, pair: int, count: int, month: int) -> _Rows:
        """A block without aggregate rows, as some reporters file them: fills a month exactly.

        Mirrored, the buyer reports all but (when `count` is odd) the last of its leaves."""
        bought = count // 2 if self.mirrored and self.partner_reports[pair] else 0
        sold = count - bought
        leaf = np.sort(rng.choice(len(self.codes.leaves), size=sold, replace=False))
        value, weight = self._figures(rng, leaf, float(self.pair_scale[pair]))
        reporter, partner = self.pair_reporter[pair], self.pair_partner[pair]
        rows = _Rows(
            reporter=np.full(sold, reporter, dtype=np.int16),
            partner=np.full(sold, partner, dtype=np.int16),
            flow=np.full(sold, self.pair_flow[pair], dtype=np.int8),
            period=np.full(sold, month, dtype=np.int16),
            rank=self.codes.leaf_rank[leaf],
            value=value,
            weight=weight,
        )
        if not bought:
            return rows
        value, weight = self._imported(
            rng, value[:bought], weight[:bought], float(self.pair_cif[pair])
        )
        return _Rows.concat(
            [
                rows,
                _Rows(
                    reporter=np.full(bought, partner, dtype=np.int16),
                    partner=np.full(bought, reporter, dtype=np.int16),
                    flow=np.full(bought, _M, dtype=np.int8),
                    period=np.full(bought, month, dtype=np.int16),
                    rank=self.codes.leaf_rank[leaf[:bought]],
                    value=value,
                    weight=weight,
                ),
            ]
        )

    def _target_month(self, rng: np.random.Generator, month: int, *, background: bool) -> _Rows:
        """Trade with the DPRK in a month: safe background goods plus the planted rows.

        In a world too small for both, a month keeps its plants only.
        """
        scale = float(np.clip(self.quota[month] / 4000, 0.1, 1.0))
        mean_k = max(2.0, self.mean_leaves / 8)
        if self.in_scope:
            # Larger baskets, China's four times the others', for the blocks a month expects.
            blocks_expected = 2 * scale * (sum(_TARGET_TRADERS.values()) + 3)
            share = _IN_SCOPE_SHARE * self.quota[month] / blocks_expected
            mean_k = max(mean_k, share / _ROWS_PER_LEAF)
        blocks: list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray]] = []
        for iso3, chance in _TARGET_TRADERS.items():
            reporter = self.countries.index(iso3)
            for flow in (_M, _X):
                planted = self.plants.get((reporter, flow, month), [])
                drawn = background and rng.random() < chance * scale
                k = 1 + int(rng.poisson(mean_k * (4 if iso3 == "CHN" else 1)))
                if not drawn and not planted:
                    continue
                leaf = np.zeros(0, dtype=np.int64)
                if drawn:
                    pool = np.flatnonzero(~self.unsafe[flow][month])
                    weights = self.target_popularity[flow][pool]
                    p = weights / weights.sum()
                    leaf = rng.choice(pool, size=min(k, len(pool)), replace=False, p=p)
                    leaf = np.setdiff1d(leaf, [i for i, _, _ in planted])
                value, weight = self._figures(rng, leaf, 0.5)
                leaf = np.concatenate([leaf, [i for i, _, _ in planted]]).astype(np.int64)
                value = np.concatenate([value, [v for _, v, _ in planted]]).astype(np.int64)
                weight = np.concatenate([weight, [w for _, _, w in planted]]).astype(np.int64)
                order = np.argsort(leaf)
                blocks.append((reporter, flow, leaf[order], value[order], weight[order]))
        if not blocks:
            return _empty()
        block = np.concatenate([np.full(len(b[2]), i) for i, b in enumerate(blocks)])
        ids, rank, value, weight = self._with_aggregates(
            block,
            np.concatenate([b[2] for b in blocks]),
            np.concatenate([b[3] for b in blocks]),
            np.concatenate([b[4] for b in blocks]),
        )
        return _Rows(
            reporter=np.array([b[0] for b in blocks], dtype=np.int16)[ids],
            partner=np.full(len(ids), self.target, dtype=np.int16),
            flow=np.array([b[1] for b in blocks], dtype=np.int8)[ids],
            period=np.full(len(ids), month, dtype=np.int16),
            rank=rank,
            value=value,
            weight=weight,
        )


def _first_by_key(keys: np.ndarray, count: int) -> np.ndarray:
    """Indexes of the `count` smallest keys, smallest first: a weighted draw without
    replacement, for the price of a partition rather than a full sort."""
    if count >= len(keys):
        return np.argsort(keys, kind="stable")
    first = np.argpartition(keys, count)[:count]
    return first[np.argsort(keys[first], kind="stable")]


def _empty() -> _Rows:
    return _Rows(*(np.zeros(0, dtype=np.int64) for _ in _COLUMNS))


def _unsafe(regime: Regime, codes: Codes) -> dict[int, np.ndarray]:
    """Per flow, a (month, leaf) mask of goods some measure covers in that month.

    Background trade with the target stays off the mask, so the only findings in a world
    are the planted ones. Exclusions are ignored: a leaf any scope names is never background.
    The heading and chapter rows above background leaves may still lie over a scope (chapter
    26 over 2601): they find nothing only because they sum their leaves exactly, as a coarse
    row is judged for the value its finer rows leave unexplained.
    """
    leaves = np.array(codes.leaves)
    months = [month_bounds(m) for m in range(MONTHS)]
    mask = {_M: np.zeros((MONTHS, len(leaves)), bool), _X: np.zeros((MONTHS, len(leaves)), bool)}
    for m in regime.measures:
        if not m.scope.hs:
            continue
        flow = _M if m.direction is Direction.FROM_TARGET else _X
        covered = np.zeros(len(leaves), bool)
        for prefix in m.scope.prefixes:
            covered |= np.char.startswith(leaves, prefix)
        end = regime.effective_end(m.id)
        active = np.array(
            [m.start <= last and (end is None or first <= end) for first, last in months]
        )
        mask[flow] |= active[:, None] & covered[None, :]
    return mask


def _named(regime: Regime, codes: Codes) -> dict[int, np.ndarray]:
    """Per flow, the leaves some measure's scope names, whatever its dates."""
    leaves = np.array(codes.leaves)
    named = {_M: np.zeros(len(leaves), bool), _X: np.zeros(len(leaves), bool)}
    for m in regime.measures:
        if not m.scope.hs:
            continue
        flow = _M if m.direction is Direction.FROM_TARGET else _X
        for prefix in m.scope.prefixes:
            named[flow] |= np.char.startswith(leaves, prefix)
    return named


def _period_index(period: str) -> int:
    year = int(period[:4])
    if len(period) == 4:
        return MONTHS + year - FIRST_YEAR
    return (year - FIRST_YEAR) * 12 + int(period[5:7]) - 1


def _plants_by_block(
    countries: Countries, codes: Codes
) -> dict[tuple[int, int, int], list[tuple[int, int, int]]]:
    """Monthly planted leaves by (reporter, flow, month): (leaf index, value, weight)."""
    index = {code: i for i, code in enumerate(codes.leaves)}
    out: dict[tuple[int, int, int], list[tuple[int, int, int]]] = {}
    for p in PLANTS:
        if len(p.period) == 4:
            continue
        flow = _M if p.flow == IMPORT else _X
        key = (countries.index(p.reporter), flow, _period_index(p.period))
        out.setdefault(key, []).append((index[p.hs_code], p.value_usd, p.net_weight_kg))
    return out


@dataclass
class _Annual:
    """Annual planted blocks (coarse rows with the aggregates above them), by year."""

    rows: _Rows

    def __len__(self) -> int:
        return len(self.rows)

    def slice_year(self, period: int) -> _Rows:
        keep = self.rows.period == period
        return _Rows(*(getattr(self.rows, n)[keep] for n in _COLUMNS))


def _annual_blocks(
    plants: dict[tuple[int, int, int], list[tuple[int, int, int]]],
    countries: Countries,
    codes: Codes,
) -> _Annual:
    """Planted annual rows, each with its heading, its chapter and TOTAL rows above it (the
    aggregates of a block sum the planted rows beneath them, so only a planted row can be
    coarser than a scope with nothing finer to explain it)."""
    blocks: dict[tuple[int, int, int], dict[str, tuple[int, int]]] = {}
    for p in PLANTS:
        if len(p.period) != 4:
            continue
        key = (countries.index(p.reporter), _M if p.flow == IMPORT else _X, _period_index(p.period))
        rows = blocks.setdefault(key, {})
        for code in {p.hs_code, p.hs_code[:4], p.hs_code[:2], "TOTAL"}:
            value, weight = rows.get(code, (0, 0))
            rows[code] = (value + p.value_usd, weight + p.net_weight_kg)
    columns: dict[str, list[int]] = {n: [] for n in _COLUMNS}
    for (reporter, flow, period), rows in sorted(blocks.items()):
        for code in sorted(rows, key=codes.rank):
            columns["reporter"].append(reporter)
            columns["partner"].append(countries.index(TARGET_ISO3))
            columns["flow"].append(flow)
            columns["period"].append(period)
            columns["rank"].append(codes.rank(code))
            columns["value"].append(rows[code][0])
            columns["weight"].append(rows[code][1])
    return _Annual(_Rows(*(np.array(columns[n], dtype=np.int64) for n in _COLUMNS)))


def _evasion_rows(countries: Countries, codes: Codes) -> _Rows:
    """The planted evasion as annual leaf rows, without aggregates above them."""
    flows: list[EvasionFlow] = evasion_flows()
    columns = {
        "reporter": [countries.index(f.reporter) for f in flows],
        "partner": [countries.index(f.partner) for f in flows],
        "flow": [_M if f.flow == IMPORT else _X for f in flows],
        "period": [MONTHS + f.year - FIRST_YEAR for f in flows],
        "rank": [codes.rank(f.hs_code) for f in flows],
        "value": [f.value_usd for f in flows],
        "weight": [f.net_weight_kg for f in flows],
    }
    return _Rows(*(np.array(columns[n], dtype=np.int64) for n in _COLUMNS))


class _Sink:
    """Where generated rows go: each sink looks up the world's columns and knows the target."""

    def __init__(self, world: _World) -> None:
        self.look = _Lookups(world)
        self.target = int(np.flatnonzero(self.look.country_code == TARGET_CODE)[0])

    def write(self, rows: _Rows, offset: int) -> int:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _Lookups:
    """Per-row columns from the integer columns: dictionaries indexed by them."""

    def __init__(self, world: _World) -> None:
        c = world.countries
        self.iso3 = pa.array(c.iso3, pa.string())
        self.country_code = c.code
        self.vocabulary = pa.array(world.codes.vocabulary, pa.string())
        self.level = np.array(
            [0 if code == "TOTAL" else len(code) for code in world.codes.vocabulary],
            dtype=np.int8,
        )
        starts, ends, editions, labels, freq = [], [], [], [], []
        for m in range(MONTHS):
            first, last = month_bounds(m)
            starts.append(first)
            ends.append(last)
            editions.append(hs_edition(first.year))
            labels.append(f"{first:%Y%m}")
            freq.append("M")
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            starts.append(dt.date(year, 1, 1))
            ends.append(dt.date(year, 12, 31))
            editions.append(hs_edition(year))
            labels.append(str(year))
            freq.append("A")
        self.start = np.array([(d - _EPOCH).days for d in starts], dtype=np.int32)
        self.end = np.array([(d - _EPOCH).days for d in ends], dtype=np.int32)
        self.edition = np.array(editions, dtype=np.int16)
        self.classification = pa.array([classification(e) for e in editions], pa.string())
        self.label = pa.array(labels, pa.string())
        self.ref_period = pa.array([f"{d:%Y%m%d}" for d in starts], pa.string())
        self.year = np.array([d.year for d in starts], dtype=np.int32)
        self.month = np.array(
            [d.month if f == "M" else 52 for d, f in zip(starts, freq, strict=True)]
        )
        self.freq = pa.array(freq, pa.string())
        self.frequency = pa.array(["monthly" if f == "M" else "annual" for f in freq], pa.string())

    @staticmethod
    def take(dictionary: pa.Array, index: np.ndarray) -> pa.Array:
        return dictionary.take(pa.array(index, pa.int32()))


class _ParquetSink(_Sink):
    """The canonical FLOWS table, as ingest would store the bulk file's rows."""

    def __init__(self, path: Path, world: _World, chunk_rows: int) -> None:
        super().__init__(world)
        self.source = path.name
        self.ingest_id = f"synth-{world.seed}-{world.rows}"
        self.writer = pq.ParquetWriter(path, FLOWS, compression="zstd")
        self.row_group = max(chunk_rows, 1)

    def write(self, rows: _Rows, offset: int) -> int:
        look = self.look
        n = len(rows)
        level = look.level[rows.rank]
        leaf = level == 6
        weight = rows.weight.astype(np.float64)
        table = pa.Table.from_arrays(
            [
                look.take(look.iso3, rows.reporter),
                pa.array(look.country_code[rows.reporter], pa.int32()),
                look.take(look.iso3, rows.partner),
                pa.array(look.country_code[rows.partner], pa.int32()),
                pa.array(np.where(rows.flow == _M, "import", "export"), pa.string()),
                pa.array(look.start[rows.period], pa.date32()),
                pa.array(look.end[rows.period], pa.date32()),
                look.take(look.frequency, rows.period),
                look.take(look.vocabulary, rows.rank),
                pa.array(level, pa.int8()),
                pa.array(look.edition[rows.period], pa.int16()),
                pa.array(rows.value.astype(np.float64), pa.float64()),
                pa.array(weight, pa.float64()),
                pa.array(weight, pa.float64(), mask=~leaf),
                pa.array(np.where(leaf, "kg", "N/A"), pa.string()),
                pa.array(~leaf, pa.bool_()),
                pa.array(np.full(n, self.ingest_id), pa.string()),
                pa.array(np.full(n, self.source), pa.string()),
                pa.array(np.arange(offset + 2, offset + 2 + n), pa.int64()),
                pa.array(np.zeros(n, dtype=np.bool_), pa.bool_()),  # reports, as bulk rows are
            ],
            schema=FLOWS,
        )
        self.writer.write_table(table, row_group_size=self.row_group)
        return int(np.count_nonzero(rows.partner == self.target))

    def close(self) -> None:
        self.writer.close()


# Comtrade bulk columns, in the order Comtrade's files have them (descriptions left out).
_BULK = (
    "typeCode", "freqCode", "refPeriodId", "refYear", "refMonth", "period", "reporterCode",
    "reporterISO", "flowCode", "partnerCode", "partnerISO", "partner2Code", "partner2ISO",
    "classificationCode", "cmdCode", "aggrLevel", "isLeaf", "customsCode", "mosCode",
    "motCode", "qtyUnitCode", "qtyUnitAbbr", "qty", "isQtyEstimated", "altQtyUnitCode",
    "altQty", "netWgt", "isNetWgtEstimated", "grossWgt", "CIFValue", "FOBValue",
    "primaryValue", "legacyEstimationFlag", "isReported", "isAggregate",
)  # fmt: skip


class _BulkSink(_Sink):
    """A gzipped tab-separated Comtrade bulk file."""

    def __init__(self, path: Path, world: _World) -> None:
        super().__init__(world)
        self.stream = pa.CompressedOutputStream(str(path), "gzip")
        self.stream.write(("\t".join(_BULK) + "\n").encode("ascii"))

    def write(self, rows: _Rows, offset: int) -> int:
        look = self.look
        n = len(rows)
        level = look.level[rows.rank]
        leaf = level == 6
        imports = rows.flow == _M
        value = rows.value
        weight = rows.weight
        text = pa.string()
        columns: dict[str, pa.Array] = {
            "typeCode": pa.array(np.full(n, "C"), text),
            "freqCode": look.take(look.freq, rows.period),
            "refPeriodId": look.take(look.ref_period, rows.period),
            "refYear": pa.array(look.year[rows.period], pa.int32()),
            "refMonth": pa.array(look.month[rows.period], pa.int32()),
            "period": look.take(look.label, rows.period),
            "reporterCode": pa.array(look.country_code[rows.reporter], pa.int32()),
            "reporterISO": look.take(look.iso3, rows.reporter),
            "flowCode": pa.array(np.where(imports, "M", "X"), text),
            "partnerCode": pa.array(look.country_code[rows.partner], pa.int32()),
            "partnerISO": look.take(look.iso3, rows.partner),
            "partner2Code": pa.array(np.zeros(n, np.int32)),
            "partner2ISO": pa.array(np.full(n, "W00"), text),
            "classificationCode": look.take(look.classification, rows.period),
            "cmdCode": look.take(look.vocabulary, rows.rank),
            "aggrLevel": pa.array(level.astype(np.int32)),
            "isLeaf": pa.array(np.where(leaf, "True", "False"), text),
            "customsCode": pa.array(np.full(n, "C00"), text),
            "mosCode": pa.array(np.zeros(n, np.int32)),
            "motCode": pa.array(np.zeros(n, np.int32)),
            "qtyUnitCode": pa.array(np.where(leaf, 8, -1).astype(np.int32)),
            "qtyUnitAbbr": pa.array(np.where(leaf, "kg", "N/A"), text),
            "qty": pa.array(weight, pa.int64(), mask=~leaf),
            "isQtyEstimated": pa.array(np.full(n, "False"), text),
            "altQtyUnitCode": pa.array(np.full(n, -1, np.int32)),
            "altQty": pa.array(np.zeros(n, np.int64), mask=np.ones(n, bool)),
            "netWgt": pa.array(weight, pa.int64()),
            "isNetWgtEstimated": pa.array(np.full(n, "False"), text),
            "grossWgt": pa.array(np.zeros(n, np.int64), mask=np.ones(n, bool)),
            "CIFValue": pa.array(value, pa.int64(), mask=~imports),
            "FOBValue": pa.array(value, pa.int64(), mask=imports),
            "primaryValue": pa.array(value, pa.int64()),
            "legacyEstimationFlag": pa.array(np.zeros(n, np.int32)),
            "isReported": pa.array(np.full(n, "True"), text),
            "isAggregate": pa.array(np.where(leaf, "False", "True"), text),
        }
        table = pa.table({name: columns[name] for name in _BULK})
        pacsv.write_csv(
            table,
            self.stream,
            pacsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none"),
        )
        return int(np.count_nonzero(rows.partner == self.target))

    def close(self) -> None:
        self.stream.close()
