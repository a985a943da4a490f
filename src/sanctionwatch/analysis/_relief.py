"""Relief packages: what lifting or loosening measures gives back, and what pressure is kept.

A package is a small YAML file: the commitments asked of the target (with the event types that
would break them) and the relief steps offered (lift a measure, or set a cap's amount, from a
date). Its worth is read off baseline years: the earnings the measures cut now, less what they
would cut once the package applies.
"""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from ruamel.yaml.comments import CommentedMap

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._output import csv_text, json_text
from sanctionwatch._tables import Tables
from sanctionwatch._yamldoc import LocatedError, describe, line_of, plain, read_mapping
from sanctionwatch.analysis._event_types import EventType
from sanctionwatch.analysis._events import select_events
from sanctionwatch.analysis._exports import Exports, export_measures
from sanctionwatch.hs import expand_scope_item
from sanctionwatch.regime import Limit, MeasureKind, Regime, regime_packages, resolve_regime
from sanctionwatch.store import Store

__all__ = [
    "Commitment",
    "Package",
    "PackageError",
    "Relief",
    "ReliefEstimate",
    "ReliefStep",
    "apply_package",
    "breaking_events",
    "load_package",
    "package_names",
    "relief",
    "resolve_package",
]

_EXPECTED = "a mapping with name, commitments and relief"
_ONE_DAY = dt.timedelta(days=1)


class PackageError(LocatedError):
    """A package file that cannot be read, does not validate, or does not fit its regime."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Commitment(_Frozen):
    """What the target undertakes, and the events that would show it broken."""

    text: str
    broken_by: tuple[EventType, ...] = Field(min_length=1)


class ReliefStep(_Frozen):
    """Lift a measure (all of it, or some of its HS codes), or set a cap's limits, from a date."""

    lift: str | None = None
    cap: str | None = None
    hs: tuple[str, ...] = ()
    limits: tuple[Limit, ...] = ()
    from_: dt.date = Field(alias="from")
    note: str | None = None

    @field_validator("hs", mode="before")
    @classmethod
    def _codes_are_text(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            for item in value:
                if not isinstance(item, str):
                    raise ValueError(f"HS code {item} must be quoted so leading zeros survive")
        return value

    @field_validator("hs")
    @classmethod
    def _valid_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            expand_scope_item(item)
        return value

    @model_validator(mode="after")
    def _one_action(self) -> ReliefStep:
        if (self.lift is None) == (self.cap is None):
            raise ValueError(
                "a relief step either lifts a measure (lift: ID) or sets a cap (cap: ID)"
            )
        if self.cap is not None and self.hs:
            raise ValueError("hs: narrows a lift; a cap step sets limits: instead")
        if self.lift is not None and self.limits:
            raise ValueError("limits: belong to a cap step, not a lift")
        return self

    @property
    def measure(self) -> str:
        return self.lift or self.cap or ""


class Package(_Frozen):
    """Commitments asked of the target in return for relief steps."""

    name: str
    description: str | None = None
    regime: str = "un-dprk"
    commitments: tuple[Commitment, ...] = ()
    relief: tuple[ReliefStep, ...] = Field(min_length=1)

    @property
    def effective(self) -> dt.date:
        """The day every step applies."""
        return max(step.from_ for step in self.relief)

    @property
    def broken_by(self) -> tuple[EventType, ...]:
        return tuple(dict.fromkeys(t for c in self.commitments for t in c.broken_by))


def package_names(regime_id: str | None = None) -> list[str]:
    """Packages shipped as examples with the regime `regime_id` (with every shipped regime
    when None), by name: the file name without .yaml."""
    return list(regime_packages(regime_id))


def resolve_package(name_or_path: str | Path) -> tuple[Package, str]:
    """A shipped package by name, or a package file by path; with the label errors use."""
    text = str(name_or_path)
    shipped = regime_packages()
    if text in shipped:
        source = shipped[text]
        label = f"{text}.yaml"
        document = read_mapping(
            label, PackageError, _EXPECTED, text=source.read_text(encoding="utf-8")
        )
        return _validate(document, label), text
    path = Path(text)
    if not path.exists():
        names = ", ".join(package_names())
        raise SanctionwatchError(
            f"{text}: no such package file or shipped package (shipped: {names})"
        )
    return load_package(path), str(path)


def load_package(path: str | Path) -> Package:
    """Load a package file and check it against its regime."""
    return _validate(read_mapping(path, PackageError, _EXPECTED), str(path))


def _validate(document: CommentedMap, label: str) -> Package:
    try:
        package = Package.model_validate(plain(document))
    except ValidationError as error:
        detail = error.errors()[0]
        loc: tuple[str | int, ...] = tuple(detail["loc"])
        message = detail["msg"].removeprefix("Value error, ")
        raise PackageError(
            label, line_of(document, loc), describe(document, loc), message
        ) from None
    try:
        regime = resolve_regime(package.regime)
    except SanctionwatchError as error:
        loc = ("regime",)
        raise PackageError(label, line_of(document, loc), "regime", str(error)) from None
    problem = _misfit(package, regime)
    if problem is not None:
        loc, message = problem
        raise PackageError(label, line_of(document, loc), describe(document, loc), message)
    return package


def _misfit(package: Package, regime: Regime) -> tuple[tuple[str | int, ...], str] | None:
    """The first step that does not fit the regime: where it is and what is wrong."""
    ids = {m.id for m in regime.measures}
    for index, step in enumerate(package.relief):
        key = "lift" if step.lift is not None else "cap"
        if step.measure not in ids:
            return ("relief", index, key), f'unknown measure "{step.measure}" in {regime.id}'
        measure = regime.measure(step.measure)
        if step.cap is not None and measure.kind is not MeasureKind.CAP:
            return ("relief", index, key), f"{measure.id} is a {measure.kind.value}, not a cap"
        if step.cap is not None and not step.limits and measure.cap and not measure.cap.limits:
            return (
                "relief",
                index,
                "limits",
            ), f"{measure.id} has no limits of its own: give limits"
        for h_index, code in enumerate(step.hs):
            inside = expand_scope_item(code)
            if not all(any(c.startswith(p) for p in measure.scope.prefixes) for c in inside):
                scope = ", ".join(measure.scope.hs)
                return (
                    "relief",
                    index,
                    "hs",
                    h_index,
                ), f'"{code}" is not in {measure.id} ({scope})'
    return None


def _narrow_rules(measure: dict[str, Any], lifted: set[str]) -> None:
    """Rules of a measure whose scope lost the `lifted` codes keep only the codes left; one
    that covered nothing else goes with them."""
    for part in ("exemptions", "item_value"):
        kept = []
        for rule in measure[part]:
            left = [code for code in rule["hs"] if code not in lifted]
            if rule["hs"] and not left:
                continue
            kept.append({**rule, "hs": left})
        measure[part] = kept
    grace = measure["grace"]
    if grace and grace["hs"]:
        left = [code for code in grace["hs"] if code not in lifted]
        measure["grace"] = {**grace, "hs": left} if left else None


def apply_package(regime: Regime, package: Package) -> Regime:
    """The regime as it would stand once the package applies.

    A lift ends the measure the day before its date; a lift of some HS codes narrows the
    measure's scope instead. A cap step sets the cap's limits and keeps it in force from then
    on, undoing any supersession of it (restoring the 2321 coal cap in place of the 2371 ban).
    """
    data = regime.model_dump(by_alias=True)
    measures: dict[str, dict[str, Any]] = {m["id"]: m for m in data["measures"]}
    dropped: set[str] = set()
    for step in package.relief:
        m = measures[step.measure]
        if step.cap is not None:
            m["end"] = None
            if step.limits:
                m["cap"]["limits"] = [limit.model_dump() for limit in step.limits]
            for other in measures.values():
                other["supersedes"] = [s for s in other["supersedes"] if s["measure"] != m["id"]]
        elif step.hs and set(step.hs) != set(m["scope"]["hs"]):
            lifted = set(step.hs)
            m["scope"]["hs"] = [item for item in m["scope"]["hs"] if item not in lifted]
            m["scope"]["exclude"] = [
                *m["scope"]["exclude"],
                *(code for code in step.hs if code not in regime.measure(m["id"]).scope.hs),
            ]
            _narrow_rules(m, lifted)
        elif step.from_ <= m["start"]:
            dropped.add(m["id"])
        else:
            end = step.from_ - _ONE_DAY
            m["end"] = min(end, m["end"]) if m["end"] else end
    for m in measures.values():
        m["supersedes"] = [s for s in m["supersedes"] if s["measure"] not in dropped]
        _fit_evidence(m)
    data["measures"] = [m for m in measures.values() if m["id"] not in dropped]
    return Regime.model_validate(data)


def _fit_evidence(measure: dict[str, Any]) -> None:
    """Evidence for fields a package took away (an exemption over lifted codes) goes with
    them: what is left of the measure claims no more than before."""
    gone = {
        field
        for field, present in (
            ("grace", measure["grace"]),
            ("exemption", measure["exemptions"]),
            ("supersession", measure["supersedes"]),
        )
        if not present
    }
    measure["evidence"] = [
        {**entry, "supports": kept}
        for entry in measure["evidence"]
        if (kept := [f for f in entry["supports"] if f not in gone])
    ]


_ROWS = pa.schema(
    [
        ("package", pa.string()),
        ("baseline_year", pa.int32()),
        ("earnings_usd", pa.float64()),
        ("cut_now_usd", pa.float64()),
        ("cut_after_usd", pa.float64()),
        ("restored_usd", pa.float64()),
        ("pressure_now_pct", pa.float64()),
        ("pressure_kept_pct", pa.float64()),
    ]
)


@dataclass(frozen=True)
class ReliefEstimate:
    """One package's worth: restored earnings and pressure kept, per baseline year and range."""

    package: Package
    source: str
    as_of: dt.date
    rows: pa.Table
    lifted: tuple[str, ...]
    changed: tuple[str, ...]
    remaining: tuple[str, ...]  # measures on the target's exports still in force
    notes: tuple[str, ...]

    def _column(self, name: str) -> list[float]:
        return [v for v in self.rows[name].to_pylist() if v is not None]

    @property
    def restored(self) -> tuple[float, float, float]:
        """Annual earnings restored: mean over the baseline years, lowest, highest."""
        return _spread(self._column("restored_usd"))

    @property
    def pressure_kept(self) -> tuple[float, float, float]:
        """Share of baseline earnings still cut, in %: mean, lowest, highest."""
        return _spread(self._column("pressure_kept_pct"))

    def summary(self) -> dict[str, Any]:
        restored, low, high = self.restored
        kept, kept_low, kept_high = self.pressure_kept
        years = self.rows["baseline_year"].to_pylist()
        return {
            "package": self.package.name,
            "source": self.source,
            "from": self.as_of.isoformat(),
            "baseline_years": ",".join(str(y) for y in years),
            "restored_usd": round(restored, 2),
            "restored_low_usd": round(low, 2),
            "restored_high_usd": round(high, 2),
            "pressure_kept_pct": round(kept, 1),
            "pressure_kept_low_pct": round(kept_low, 1),
            "pressure_kept_high_pct": round(kept_high, 1),
            "lifted": ",".join(self.lifted),
            "changed": ",".join(self.changed),
            "remaining": ",".join(self.remaining),
            "commitments": "; ".join(c.text for c in self.package.commitments),
            "broken_by": ",".join(t.value for t in self.package.broken_by),
        }


@dataclass(frozen=True)
class Relief(Tables):
    """Packages compared side by side."""

    estimates: tuple[ReliefEstimate, ...]
    baseline_years: tuple[int, ...]

    def tables(self) -> dict[str, pa.Table]:
        """The packages side by side (one row each), and each package's figures per baseline."""
        if not self.estimates:
            return {"packages": pa.table({}), "by_baseline": pa.table({})}
        return {
            "packages": pa.Table.from_pylist(self.summary()),
            "by_baseline": pa.concat_tables([estimate.rows for estimate in self.estimates]),
        }

    def summary(self) -> list[dict[str, Any]]:
        return [e.summary() for e in self.estimates]

    def records(self) -> dict[str, Any]:
        return {
            "baseline_years": list(self.baseline_years),
            "packages": [
                {
                    **e.summary(),
                    "by_baseline": [
                        {
                            k: round(v, 1 if k.endswith("_pct") else 2)
                            if isinstance(v, float)
                            else v
                            for k, v in row.items()
                        }
                        for row in e.rows.to_pylist()
                    ],
                    "notes": list(e.notes),
                }
                for e in self.estimates
            ],
        }

    def to_json(self) -> str:
        return json_text(self.records())

    def to_csv(self) -> str:
        rows = self.summary()
        return csv_text(list(rows[0]) if rows else [], rows)


def relief(
    store: Store,
    packages: list[str | Path] | list[tuple[Package, str]],
    *,
    baselines: list[int] | None = None,
) -> Relief:
    """Estimate each package against the store's trade (package names, files or loaded pairs).

    `baselines`: years whose trade stands for a normal year (default: the first year in the
    data). Each package is judged on the day its last step applies: the measures in force
    that day with and without it.
    """
    loaded = [p if isinstance(p, tuple) else resolve_package(p) for p in packages]
    regimes: dict[str, Regime] = {}
    exports: dict[str, Exports] = {}
    estimates = []
    years: list[int] = []
    with ExitStack() as kept:
        for package, source in loaded:
            if package.regime not in regimes:
                regimes[package.regime] = resolve_regime(package.regime)
                exports[package.regime] = kept.enter_context(
                    Exports(store, regimes[package.regime])
                )
            regime = regimes[package.regime]
            ex = exports[package.regime]
            present = [y for y in ex.earnings()["year"].to_pylist() if y is not None]
            years = list(baselines) if baselines else present[:1]
            missing = [y for y in years if y not in present]
            if missing or not years:
                raise SanctionwatchError(
                    f"no exports from {regime.target} in "
                    + (", ".join(str(y) for y in missing) or "the store")
                    + "; years in the store: "
                    + (", ".join(str(y) for y in present) or "none")
                )
            estimates.append(_estimate(ex, regime, package, source, years))
    return Relief(tuple(estimates), tuple(years))


def _estimate(
    exports: Exports, regime: Regime, package: Package, source: str, years: list[int]
) -> ReliefEstimate:
    day = package.effective
    after_regime = apply_package(regime, package)
    before = regime.in_force(day)
    after = after_regime.in_force(day)
    now = exports.reach(export_measures(before), years)
    then = exports.reach(export_measures(after), years)
    rows = []
    for year in years:
        whole = now.earnings.get(year, 0.0)
        cut_now, cut_after = now.cut.get(year, 0.0), then.cut.get(year, 0.0)
        rows.append(
            {
                "package": package.name,
                "baseline_year": year,
                "earnings_usd": whole,
                "cut_now_usd": cut_now,
                "cut_after_usd": cut_after,
                "restored_usd": cut_now - cut_after,
                "pressure_now_pct": cut_now / whole * 100 if whole else None,
                "pressure_kept_pct": cut_after / whole * 100 if whole else None,
            }
        )
    after_ids = {m.id for m in after}
    changed = [
        step.measure
        for step in package.relief
        if step.measure in after_ids
        and after_regime.measure(step.measure) != regime.measure(step.measure)
    ]
    notes = sorted({c.note for c in then.cap_cuts.values()})
    return ReliefEstimate(
        package=package,
        source=source,
        as_of=day,
        rows=pa.Table.from_pylist(rows, schema=_ROWS),
        lifted=tuple(m.id for m in before if m.id not in after_ids),
        changed=tuple(dict.fromkeys(changed)),
        remaining=tuple(m.id for m in export_measures(after)),
        notes=tuple(notes),
    )


def breaking_events(
    events: pa.Table,
    package: Package,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> pa.Table:
    """Events that would have broken the package's commitments, each naming the commitment."""
    chosen = select_events(events, since=since, until=until, types=package.broken_by)
    by_type = {t.value: c.text for c in reversed(package.commitments) for t in c.broken_by}
    broken = pa.array([by_type[t] for t in chosen["event_type"].to_pylist()], pa.string())
    return chosen.append_column("commitment", broken)


def _spread(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return (0.0, 0.0, 0.0)
    return (sum(values) / len(values), min(values), max(values))
