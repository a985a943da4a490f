"""Evasion planted in a synthetic world: one case of each signal `sanctionwatch signals` looks for.

Every planted flow stays outside the scope of every measure in force, so `check` finds what
it finds without them: unbanned goods (toys, coke, furniture, footwear) bought from the DPRK,
and banned goods or refined petroleum traded between third states. The bans they relate to
are the ones the ordinary plants already make bite: China's coal imports from the DPRK fall
from about US$90m a year in 2015-2016 to US$6m in 2018-2019 (2371 OP8).

Mirror statistics compare the two sides of a flow; in a world with evasion both sides report
general trade, the importer's figures a CIF margin and some noise off the exporter's, and
each planted flow that two states both report has its import side a CIF margin above its
export side, except the one mirror gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sanctionwatch.synth._world import TARGET_ISO3, usd_per_kg

__all__ = ["EVASION_SIGNALS", "EvasionFlow", "PlantedSignal", "evasion_flows", "signal_records"]

_IMPORT, _EXPORT = "M", "X"
_CIF = 1.08
# Fixed, uneven factors that keep planted years and prices from lining up too neatly.
_WOBBLE = (1.0, 1.07, 0.94, 1.03, 0.97, 1.05, 0.92, 1.1, 0.96, 1.02, 0.9, 1.08)


@dataclass(frozen=True)
class PlantedSignal:
    """A signal the evasion world must raise: what it is, where, and the ban it relates to."""

    kind: str
    reporter: str
    partner: str
    hs_code: str  # as the signal names it: a leaf, the banned heading, a heading, or "all"
    measure_id: str | None
    years: str
    story: str


@dataclass(frozen=True)
class EvasionFlow:
    """One planted annual leaf row."""

    reporter: str
    partner: str
    flow: str  # M or X
    year: int
    hs_code: str
    value_usd: int
    net_weight_kg: int


EVASION_SIGNALS: tuple[PlantedSignal, ...] = (
    PlantedSignal(
        "substitution", "CHN", TARGET_ISO3, "950300", "2371-op8", "2014-2021",
        "toys from the DPRK, never banned, rise thirtyfold as its coal is banned",
    ),
    PlantedSignal(
        "relabelling", "CHN", TARGET_ISO3, "270400", "2371-op8", "2014-2021",
        "coke from the DPRK, coal's look-alike, jumps as coal stops",
    ),
    PlantedSignal(
        "diversion", "VNM", "JPN", "2701", "2371-op8", "2014-2021",
        "Viet Nam's coal exports to Japan jump after the ban, unexplained by its imports",
    ),
    PlantedSignal(
        "diversion", "MYS", TARGET_ISO3, "all", "2270-op29", "2018-2021",
        "Malaysia, trading with others before the bans, starts buying DPRK furniture",
    ),
    PlantedSignal(
        "unit-value", "CHN", TARGET_ISO3, "640399", None, "2022",
        "footwear from the DPRK declared at a twentieth of what others pay per kg",
    ),
    PlantedSignal(
        "mirror-gap", "CHN", "VNM", "2710", None, "2019",
        "Viet Nam reports six times the refined petroleum China says it sent",
    ),
)  # fmt: skip


def _flow(
    reporter: str, partner: str, flow: str, year: int, code: str, usd: float, per_kg: float
) -> EvasionFlow:
    return EvasionFlow(reporter, partner, flow, year, code, round(usd), max(1, round(usd / per_kg)))


def _rising(
    reporter: str, partner: str, flow: str, code: str, before: float, after: float
) -> list[EvasionFlow]:
    """Yearly flows at `before` in 2014-2016 and `after` from 2018 to 2021, a little uneven."""
    price = usd_per_kg(code[:2])
    levels = [(y, before) for y in range(2014, 2017)] + [(y, after) for y in range(2018, 2022)]
    return [
        _flow(reporter, partner, flow, year, code, level * _WOBBLE[i], price * _WOBBLE[-1 - i])
        for i, (year, level) in enumerate(levels)
    ]


def _mirrored(flows: list[EvasionFlow]) -> list[EvasionFlow]:
    """Each export with the importer's own report of it, a CIF margin higher."""
    return [
        f
        for x in flows
        for f in (
            x,
            EvasionFlow(
                x.partner, x.reporter, _IMPORT, x.year, x.hs_code,
                round(x.value_usd * _CIF), x.net_weight_kg,
            ),
        )
    ]  # fmt: skip


def evasion_flows() -> list[EvasionFlow]:
    """Every planted flow, in a fixed order."""
    shoes = usd_per_kg("64")
    others = ("DEU", "ITA", "FRA", "USA", "GBR", "JPN", "KOR", "THA", "IND", "BRA", "MEX", "NLD")
    return [
        *_rising("CHN", TARGET_ISO3, _IMPORT, "950300", 1.0e6, 30e6),
        *_rising("CHN", TARGET_ISO3, _IMPORT, "270400", 0.4e6, 45e6),
        *_mirrored(_rising("VNM", "JPN", _EXPORT, "270112", 18e6, 280e6)),
        *_mirrored(
            [_flow("MYS", "SGP", _EXPORT, y, "940360", 0.6e6, 5.0) for y in range(2012, 2018)]
        ),
        *(_flow("MYS", TARGET_ISO3, _IMPORT, y, "940360", 15e6, 5.0) for y in range(2018, 2022)),
        # The reference group of footwear prices in 2022, each flow too small for a mirror gap.
        *(
            _flow(reporter, "VNM", _EXPORT, 2022, "640399", 0.4e6 * w, shoes * w)
            for reporter, w in zip(others, _WOBBLE, strict=True)
        ),
        _flow("CHN", TARGET_ISO3, _IMPORT, 2022, "640399", 24e6, shoes / 20),
        _flow("CHN", "VNM", _EXPORT, 2019, "271019", 20e6, usd_per_kg("27")),
        _flow("VNM", "CHN", _IMPORT, 2019, "271019", 125e6, usd_per_kg("27") * 6),
    ]  # fmt: skip


def signal_records() -> list[dict[str, Any]]:
    """The planted signals as the ground truth lists them."""
    return [
        {
            "kind": s.kind,
            "reporter": s.reporter,
            "partner": s.partner,
            "hs_code": s.hs_code,
            "measure_id": s.measure_id,
            "years": s.years,
            "story": s.story,
        }
        for s in EVASION_SIGNALS
    ]
