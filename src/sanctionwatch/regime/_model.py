"""The sanctions regime as data: frozen models a YAML catalog validates into."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from sanctionwatch.hs import expand_scope_item

__all__ = [
    "EVIDENCED_FIELDS",
    "BarrelFactors",
    "Cap",
    "CapPeriod",
    "CapTerm",
    "Citation",
    "Direction",
    "Evidence",
    "Exemption",
    "Factor",
    "Grace",
    "ItemValue",
    "Limit",
    "Measure",
    "MeasureKind",
    "ProductFactor",
    "Quote",
    "Regime",
    "RegimeConsistencyError",
    "Scope",
    "Supersession",
    "SupplierBaseline",
    "Unit",
]

ONE_DAY = dt.timedelta(days=1)


class RegimeConsistencyError(ValueError):
    """A rule that spans measures is broken; `loc` points at the offending field."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


class _Frozen(BaseModel):
    """Immutable, with no unknown fields and no infinite or NaN numbers (YAML reads `.inf`,
    `.nan` and `1e999` as floats; a limit of infinity would validate and never be reached)."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False
    )


class Direction(StrEnum):
    """Which way goods move relative to the target state."""

    FROM_TARGET = "from_target"  # the target's exports: seen as partners' imports
    TO_TARGET = "to_target"  # supply, sale or transfer to the target: partners' exports


class MeasureKind(StrEnum):
    BAN = "ban"
    CAP = "cap"


class Unit(StrEnum):
    USD = "USD"
    TONNE = "tonne"
    BARREL = "barrel"


class Citation(_Frozen):
    document: str
    url: Annotated[str, Field(pattern=r"^https?://")]


EvidencedField = Literal[
    "paragraph", "adoption", "scope", "limit", "grace", "exemption", "supersession"
]
EVIDENCED_FIELDS: tuple[str, ...] = (
    "paragraph",
    "adoption",
    "scope",
    "limit",
    "grace",
    "exemption",
    "supersession",
)
"""The fields of a measure a source can confirm, in the order they are listed."""


def _short(value: str) -> str:
    if len(value.split()) > 30:
        raise ValueError("a quotation is at most 30 words")
    return value


Quote = Annotated[str, Field(min_length=1), AfterValidator(_short)]
"""A source's own words, at most 30 of them."""


class Evidence(_Frozen):
    """What one source says of a measure, in its own words, and the fields it confirms."""

    source: str
    url: Annotated[str, Field(pattern=r"^https?://")]
    date: dt.date | None = None
    quote: Quote
    gloss: str | None = Field(
        default=None, description="An English rendering of a quotation in another language."
    )
    supports: tuple[EvidencedField, ...] = Field(min_length=1)


class Scope(_Frozen):
    """HS codes a measure covers: chapters, headings, subheadings or chapter ranges."""

    hs: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    hs_version: int = Field(ge=1988, le=2100)
    note: str | None = None

    @field_validator("hs", "exclude", mode="before")
    @classmethod
    def _strings(cls, value: object) -> object:
        return _codes(value)

    @field_validator("hs", "exclude")
    @classmethod
    def _valid_items(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _valid_codes(value)

    @model_validator(mode="after")
    def _coherent(self) -> Scope:
        if not self.hs and not self.note:
            raise ValueError("a scope with no HS codes needs a note saying why")
        included = self.prefixes
        for item in self.exclude:
            for code in expand_scope_item(item):
                if not any(code.startswith(p) and code != p for p in included):
                    raise ValueError(f'exclusion "{item}" lies outside the included codes')
        return self

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Included code prefixes, ranges expanded, in order, without repeats."""
        return _prefixes(self.hs)

    @property
    def excluded_prefixes(self) -> tuple[str, ...]:
        return _prefixes(self.exclude)

    def holds(self, prefixes: tuple[str, ...]) -> str | None:
        """The first of `prefixes` outside this scope, or None when the scope holds them all."""
        for code in prefixes:
            inside = any(code.startswith(p) for p in self.prefixes)
            if not inside or any(code.startswith(x) for x in self.excluded_prefixes):
                return code
        return None


def _code_from_number(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f"HS code {value} must be quoted so leading zeros survive")
    raise ValueError(f"HS code must be text, not {type(value).__name__}")


def _codes(value: object) -> object:
    """HS codes as text: YAML reads 27 or 03 as numbers unless quoted."""
    if isinstance(value, list | tuple):
        return tuple(str(v) if isinstance(v, str) else _code_from_number(v) for v in value)
    return value


def _valid_codes(value: tuple[str, ...]) -> tuple[str, ...]:
    for item in value:
        expand_scope_item(item)
    return value


def _prefixes(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for item in items for c in expand_scope_item(item)))


class _Coded(_Frozen):
    """A rule that may hold for part of a measure's scope: `hs` names that part, and an
    empty `hs` means the whole scope."""

    hs: tuple[str, ...] = ()

    @field_validator("hs", mode="before")
    @classmethod
    def _strings(cls, value: object) -> object:
        return _codes(value)

    @field_validator("hs")
    @classmethod
    def _valid_items(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _valid_codes(value)

    @property
    def prefixes(self) -> tuple[str, ...]:
        """The code prefixes the rule covers; empty for the whole scope."""
        return _prefixes(self.hs)


class Grace(_Coded):
    """Days from adoption during which contracts made before it may be run off: "up to N days
    from the date of adoption", so the last day of grace is the adoption date plus N days."""

    days: int = Field(gt=0, le=3650)
    note: str | None = None


class Exemption(_Coded):
    id: str
    text: str
    observable: bool = Field(
        description="Whether trade statistics can ever show that a flow used the exemption."
    )
    ruled_out_by_origin: bool = Field(
        default=False,
        description=(
            "The exemption covers only goods that did not originate in the target, so it cannot "
            "apply to a reporter's imports attributed to the target by country of origin."
        ),
    )


class ItemValue(_Coded):
    """ "Valued over US$500": a per-item value threshold, below which goods are not in scope."""

    over: float = Field(gt=0)
    unit: Literal["USD"]


class Supersession(_Frozen):
    measure: str
    from_: dt.date = Field(alias="from")


class Limit(_Frozen):
    amount: float = Field(gt=0)
    unit: Unit


class Factor(_Frozen):
    """A conversion factor with the source that justifies its default."""

    value: float = Field(gt=0)
    source: str


class ProductFactor(_Coded):
    """Barrels per tonne of one product, for the HS codes that hold only it."""

    product: str
    value: float = Field(gt=0)

    @model_validator(mode="after")
    def _named(self) -> ProductFactor:
        if not self.hs:
            raise ValueError("a product factor names the HS codes it converts")
        return self


class BarrelFactors(_Frozen):
    """How tonnes become barrels where a state reported no volume: a factor per product, by
    HS code, and a cited default for codes that mix products."""

    source: str
    products: tuple[ProductFactor, ...] = ()
    default: Factor

    @model_validator(mode="after")
    def _one_factor_per_code(self) -> BarrelFactors:
        seen: dict[str, str] = {}
        for product in self.products:
            for code in product.prefixes:
                for other, name in seen.items():
                    if code.startswith(other) or other.startswith(code):
                        raise ValueError(
                            f'HS code "{code}" of {product.product} overlaps "{other}" of {name}'
                        )
                seen[code] = product.product
        return self


class CapPeriod(_Frozen):
    """The windows a cap's amount applies to."""

    kind: Literal["calendar_year", "twelve_months", "whole"]
    start: dt.date | None = Field(
        default=None, description="First day of the first twelve-month window."
    )

    @model_validator(mode="after")
    def _anchor(self) -> CapPeriod:
        if self.kind == "twelve_months" and self.start is None:
            raise ValueError("a twelve_months period needs a start date")
        return self


class SupplierBaseline(_Frozen):
    """Each supplier may not exceed what it supplied itself over this window."""

    start: dt.date
    end: dt.date
    unit: Unit

    @model_validator(mode="after")
    def _ordered(self) -> SupplierBaseline:
        if self.end < self.start:
            raise ValueError(f"baseline end {self.end} is before its start {self.start}")
        return self


def _distinct_units(limits: tuple[Limit, ...]) -> None:
    units = [limit.unit for limit in limits]
    if len(set(units)) != len(units):
        raise ValueError("a cap lists the same unit twice")


class CapTerm(_Frozen):
    """A stretch of a cap's life with limits of its own, such as the rest of a year in which
    the cap was adopted; thresholds are found within each of its periods."""

    from_: dt.date = Field(alias="from")
    to: dt.date
    limits: tuple[Limit, ...] = Field(min_length=1)
    period: CapPeriod = CapPeriod(kind="whole")

    @model_validator(mode="after")
    def _coherent(self) -> CapTerm:
        if self.to < self.from_:
            raise ValueError(f"cap term ends on {self.to}, before it starts on {self.from_}")
        _distinct_units(self.limits)
        return self


class Cap(_Frozen):
    """A ceiling on trade in scope; several limits mean "whichever is lower".

    `terms` are stretches with limits of their own; outside them, `limits` and `period` apply.
    """

    limits: tuple[Limit, ...] = ()
    period: CapPeriod
    terms: tuple[CapTerm, ...] = ()
    thresholds: tuple[Annotated[float, Field(gt=0, le=100)], ...] = Field(
        default=(75.0, 90.0, 95.0), description="Percentages of the limit that raise a warning."
    )
    barrels_per_tonne: Factor | None = None
    supplier_baseline: SupplierBaseline | None = Field(
        default=None,
        description="When set, each supplier's limit is its own trade in scope over a window.",
    )

    @model_validator(mode="after")
    def _coherent(self) -> Cap:
        if not self.limits and self.supplier_baseline is None:
            raise ValueError("a cap needs at least one limit (amount and unit)")
        _distinct_units(self.limits)
        units = [limit.unit for limit in self.limits]
        units += [limit.unit for term in self.terms for limit in term.limits]
        if self.supplier_baseline is not None:
            units.append(self.supplier_baseline.unit)
        if list(self.thresholds) != sorted(self.thresholds):
            raise ValueError("thresholds must be in ascending order")
        return self

    @property
    def units(self) -> tuple[Unit, ...]:
        """Every unit the cap is measured in, over all its terms, in order."""
        listed = [x.unit for x in self.limits] + [x.unit for t in self.terms for x in t.limits]
        if self.supplier_baseline is not None:
            listed.append(self.supplier_baseline.unit)
        return tuple(dict.fromkeys(listed))


class Measure(_Frozen):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")]
    title: str
    resolution: str
    paragraph: str
    citation: Citation
    direction: Direction
    scope: Scope
    kind: MeasureKind
    start: dt.date
    end: dt.date | None = None
    grace: Grace | None = None
    exemptions: tuple[Exemption, ...] = ()
    supersedes: tuple[Supersession, ...] = ()
    cap: Cap | None = None
    item_value: tuple[ItemValue, ...] = Field(
        default=(),
        description="Per-item value thresholds: goods in their codes are in scope only above them.",
    )
    evidence: tuple[Evidence, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _not_set_by_hand(cls, data: object) -> object:
        if isinstance(data, dict) and "verified" in data:
            raise ValueError(
                "verified is derived from the evidence: remove it and cite the sources that "
                "confirm each field under evidence:"
            )
        return data

    @model_validator(mode="after")
    def _coherent(self) -> Measure:
        if self.end is not None and self.end < self.start:
            raise RegimeConsistencyError(("end",), f"end {self.end} is before start {self.start}")
        if self.kind is MeasureKind.CAP and self.cap is None:
            raise RegimeConsistencyError(("cap",), "a cap measure needs a cap: section")
        if self.kind is MeasureKind.BAN and self.cap is not None:
            raise RegimeConsistencyError(("cap",), "a ban cannot have a cap: section")
        parts: list[tuple[tuple[str | int, ...], _Coded, str]] = []
        if self.grace is not None:
            parts.append((("grace", "hs"), self.grace, "grace"))
        parts += [
            (("exemptions", i, "hs"), e, f'exemption "{e.id}"')
            for i, e in enumerate(self.exemptions)
        ]
        parts += [
            (("item_value", i, "hs"), t, "item value threshold")
            for i, t in enumerate(self.item_value)
        ]
        for loc, part, name in parts:
            if (outside := self.scope.holds(part.prefixes)) is not None:
                raise RegimeConsistencyError(
                    loc, f"{name} names HS code {outside}, outside the measure's scope"
                )
        if self.cap is not None:
            self._check_terms(self.cap)
        claimed = set(self.claims)
        for index, entry in enumerate(self.evidence):
            for field in entry.supports:
                if field not in claimed:
                    raise RegimeConsistencyError(
                        ("evidence", index, "supports"),
                        f"supports {field}, which the measure does not have",
                    )
        return self

    @property
    def claims(self) -> tuple[str, ...]:
        """The fields this measure states that a source can confirm."""
        has = {
            "limit": self.cap is not None,
            "grace": self.grace is not None,
            "exemption": bool(self.exemptions),
            "supersession": bool(self.supersedes),
        }
        return tuple(f for f in EVIDENCED_FIELDS if has.get(f, True))

    @property
    def confirmed(self) -> tuple[str, ...]:
        """Fields a cited source supports."""
        supported = {field for entry in self.evidence for field in entry.supports}
        return tuple(f for f in self.claims if f in supported)

    @property
    def inferred(self) -> tuple[str, ...]:
        """Fields no cited source supports yet."""
        return tuple(f for f in self.claims if f not in self.confirmed)

    @property
    def verified(self) -> bool:
        """Every field this measure states is confirmed by a cited source."""
        return not self.inferred

    def _check_terms(self, cap: Cap) -> None:
        terms = sorted(enumerate(cap.terms), key=lambda pair: pair[1].from_)
        for (_, earlier), (index, later) in itertools.pairwise(terms):
            if later.from_ <= earlier.to:
                raise RegimeConsistencyError(
                    ("cap", "terms", index, "from"),
                    f"cap term {later.from_}..{later.to} overlaps the term "
                    f"{earlier.from_}..{earlier.to}",
                )
        for index, term in enumerate(cap.terms):
            if term.from_ < self.start or (self.end is not None and term.to > self.end):
                raise RegimeConsistencyError(
                    ("cap", "terms", index, "from"),
                    f"cap term {term.from_}..{term.to} lies outside the measure "
                    f"({self.start}..{self.end or ''})",
                )

    @property
    def grace_end(self) -> dt.date | None:
        """Last day of the grace period: "up to N days from the date of adoption" runs through
        the adoption date plus N days (China cleared 2371's goods through 2017-09-04)."""
        if self.grace is None:
            return None
        return self.start + dt.timedelta(days=self.grace.days)


class Regime(_Frozen):
    """A set of measures against one target, with the supersessions between them."""

    id: str
    name: str
    target: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    target_code: int = Field(ge=0, le=999, description="The target's M49 country code.")
    description: str | None = None
    barrels_per_tonne: BarrelFactors | None = None
    measures: tuple[Measure, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Regime:
        seen = Counter(m.id for m in self.measures)
        ids = set(seen)
        for index, measure in enumerate(self.measures):
            cap = measure.cap
            if (
                cap
                and Unit.BARREL in cap.units
                and not (cap.barrels_per_tonne or self.barrels_per_tonne)
            ):
                raise RegimeConsistencyError(
                    ("measures", index, "cap"),
                    "a cap in barrels needs barrels_per_tonne, on the cap or the regime, "
                    "to convert net weights",
                )
            if seen[measure.id] > 1:
                first = next(i for i, m in enumerate(self.measures) if m.id == measure.id)
                if first != index:
                    raise RegimeConsistencyError(
                        ("measures", index, "id"),
                        f'duplicate measure id "{measure.id}" (first at measures[{first}])',
                    )
            for s_index, supersession in enumerate(measure.supersedes):
                loc: tuple[str | int, ...] = ("measures", index, "supersedes", s_index, "measure")
                if supersession.measure not in ids:
                    raise RegimeConsistencyError(
                        loc, f'supersedes unknown measure "{supersession.measure}"'
                    )
                if supersession.measure == measure.id:
                    raise RegimeConsistencyError(loc, "a measure cannot supersede itself")
                self._check_supersession_date(index, s_index)
        self._check_no_supersession_cycle()
        return self

    def _check_supersession_date(self, index: int, s_index: int) -> None:
        """A measure takes over no earlier than either measure starts: otherwise the
        replaced measure ends before it begins, or before its replacement applies."""
        measure = self.measures[index]
        supersession = measure.supersedes[s_index]
        replaced = self.measure(supersession.measure)
        for starting in (measure, replaced):
            if supersession.from_ < starting.start:
                raise RegimeConsistencyError(
                    ("measures", index, "supersedes", s_index, "from"),
                    f"supersession from {supersession.from_} is before {starting.id} starts "
                    f"on {starting.start}",
                )

    def _check_no_supersession_cycle(self) -> None:
        """Measures that replace each other, directly or along a chain, would all end the day
        before the others take over, and none would apply."""
        index_of = {m.id: i for i, m in enumerate(self.measures)}
        finished: set[str] = set()
        for root in self.measures:
            if root.id in finished:
                continue
            path = [root.id]
            pending = [iter(enumerate(root.supersedes))]
            while pending:
                step = next(pending[-1], None)
                if step is None:
                    finished.add(path.pop())
                    pending.pop()
                    continue
                s_index, supersession = step
                replaced = supersession.measure
                if replaced in path:
                    cycle = [path[-1], *path[path.index(replaced) :]]
                    raise RegimeConsistencyError(
                        ("measures", index_of[path[-1]], "supersedes", s_index, "measure"),
                        "supersessions form a cycle: " + " supersedes ".join(cycle),
                    )
                if replaced not in finished:
                    path.append(replaced)
                    pending.append(iter(enumerate(self.measure(replaced).supersedes)))

    def measure(self, measure_id: str) -> Measure:
        for measure in self.measures:
            if measure.id == measure_id:
                return measure
        raise KeyError(measure_id)

    def superseded_by(self, measure_id: str) -> tuple[Measure, dt.date] | None:
        """The measure that first replaces this one, and the day it takes over."""
        replacements = [
            (m, s.from_) for m in self.measures for s in m.supersedes if s.measure == measure_id
        ]
        return min(replacements, key=lambda pair: pair[1]) if replacements else None

    def effective_end(self, measure_id: str) -> dt.date | None:
        """Last day a measure applies: its own end, or the day before it was superseded."""
        measure = self.measure(measure_id)
        ends = [measure.end] if measure.end else []
        if replaced := self.superseded_by(measure_id):
            ends.append(replaced[1] - ONE_DAY)
        return min(ends) if ends else None

    def in_force(self, day: dt.date) -> tuple[Measure, ...]:
        """Measures that apply on `day`, after supersession."""
        return tuple(
            m
            for m in self.measures
            if m.start <= day and ((end := self.effective_end(m.id)) is None or day <= end)
        )
