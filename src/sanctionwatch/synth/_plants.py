"""The planted trade with the DPRK and what `check` must find in it, worked out by hand.

Each planted row tells one story the UN DPRK regime has to get right: a ban breached years
after it took force, a month inside a grace period, a month or a year straddling a start, an
end or the end of grace, a cap filled past 75, 90 and 95 % in known months, coarse rows
reported only at chapter or heading level, and traps that must find nothing: trade before a
measure took force, and goods that grew after a ban on their neighbours but are not banned
themselves. The statuses below follow the regime's dates: a monthly period is a breach only
when it lies wholly after the start and the end of grace, in grace when it lies wholly inside
the grace period, and undetermined when it straddles either. A grace period ends on the day of
adoption plus its days, and covers only its codes (2371 OP8's, iron ore). An exemption trade
data cannot see makes a breach claimable only for the codes it covers (2397 OP7's, aircraft
spare parts), and never where the reporter's attribution by origin rules it out: every
planted reporter records imports by origin, so Rajin transit coal is never claimable. A
heading or chapter row coarser than a scope, with no finer rows to explain it, is
undetermined for each ban it may hold, and never counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EXPECTED_CAPS",
    "EXPORT",
    "IMPORT",
    "PLANTS",
    "ExpectedCap",
    "Planted",
    "expected_findings",
    "finding_keys",
]

# Supplied to the DPRK: reporter's exports (X). Exported by the DPRK: reporter's imports (M).
IMPORT, EXPORT = "M", "X"
_FLOW_NAMES = {IMPORT: "import", EXPORT: "export"}

# 2397 OP5: 500,000 barrels per twelve months, at the catalog's default of 7.98 barrels per
# tonne for codes that mix products, as 271020 and 271099 do.
_REFINED_LIMIT_KG = 500_000 / 7.98 * 1000
# Running share of that limit reached at the end of each month of 2019, in percent:
# past 75 in June, past 90 in September, past 95 in November, 98 at the end of the year.
_REFINED_2019 = (5, 12, 20, 35, 50, 76, 80, 86, 91, 93, 96, 98)
_REFINED_PRICE_PER_T = 640


@dataclass(frozen=True)
class Planted:
    """One planted row, and the ban findings (measure, status) it must raise."""

    reporter: str
    flow: str  # Comtrade flow code, M or X
    period: str  # YYYY-MM for a monthly row, YYYY for an annual one
    hs_code: str  # 2, 4 or 6 digits
    value_usd: int
    net_weight_kg: int
    story: str
    bans: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ExpectedCap:
    measure_id: str
    status: str
    reporters: str
    cap_period: str
    used_pct: float
    thresholds: tuple[tuple[float, str], ...] = ()


def _refined_2019() -> list[Planted]:
    rows = []
    previous = 0
    for month, share in enumerate(_REFINED_2019, start=1):
        kg = round((share - previous) / 100 * _REFINED_LIMIT_KG)
        previous = share
        china = round(kg * 0.6)
        for reporter, code, weight in (("CHN", "271020", china), ("RUS", "271099", kg - china)):
            rows.append(
                Planted(
                    reporter,
                    EXPORT,
                    f"2019-{month:02d}",
                    code,
                    round(weight / 1000 * _REFINED_PRICE_PER_T),
                    weight,
                    "refined petroleum supplied to the DPRK: the 2397 OP5 cap filled in 2019",
                )
            )
    return rows


_TEXTILE = "textiles exported by the DPRK after the 2375 OP16 ban and its grace period"
_SEAFOOD = "seafood exported by the DPRK after the 2371 OP9 ban"
_GRACE = "textiles in 2017: the 90-day grace period of 2375 OP16 ends on 2017-12-10"
_COAL = "coal from the DPRK under 2321 OP26 and its cap, then the 2371 ban from 2017-08-05"
_ORIGIN = "Rajin transit is ruled out, China recording imports by origin"

PLANTS: tuple[Planted, ...] = (
    Planted("CHN", IMPORT, "2019-03", "610910", 1_250_000, 62_500, _TEXTILE,
            (("2375-op16", "breach"),)),
    Planted("CHN", IMPORT, "2019-03", "620342", 830_000, 33_200, _TEXTILE,
            (("2375-op16", "breach"),)),
    Planted("CHN", IMPORT, "2019-06", "611020", 410_000, 20_500, _TEXTILE,
            (("2375-op16", "breach"),)),
    Planted("RUS", IMPORT, "2019-07", "620462", 95_000, 3_800, _TEXTILE,
            (("2375-op16", "breach"),)),
    Planted("CHN", IMPORT, "2020-02", "030617", 2_400_000, 480_000, _SEAFOOD,
            (("2371-op9", "breach"),)),
    Planted("VNM", IMPORT, "2020-05", "030743", 310_000, 62_000, _SEAFOOD,
            (("2371-op9", "breach"),)),
    Planted("CHN", IMPORT, "2017-08", "620520", 2_100_000, 84_000,
            "textiles a month before 2375 OP16 took force: nothing to find"),
    Planted("CHN", IMPORT, "2017-09", "620520", 1_900_000, 76_000, _GRACE,
            (("2375-op16", "undetermined"),)),
    Planted("CHN", IMPORT, "2017-10", "620520", 1_600_000, 64_000, _GRACE,
            (("2375-op16", "in_grace"),)),
    Planted("CHN", IMPORT, "2017-11", "620520", 1_200_000, 48_000, _GRACE,
            (("2375-op16", "in_grace"),)),
    Planted("CHN", IMPORT, "2017-12", "620520", 300_000, 12_000, _GRACE,
            (("2375-op16", "undetermined"),)),
    Planted("CHN", IMPORT, "2017-07", "030617", 5_200_000, 1_040_000,
            "seafood a month before 2371 OP9 took force: nothing to find"),
    Planted("CHN", IMPORT, "2017-08", "030617", 4_100_000, 820_000,
            "seafood in the month 2371 OP9 took force (2017-08-05)",
            (("2371-op9", "undetermined"),)),
    Planted("CHN", IMPORT, "2015-06", "270112", 95_000_000, 1_180_000_000,
            "coal before any ban on it: nothing to find"),
    Planted("CHN", IMPORT, "2016-03", "270112", 88_000_000, 1_100_000_000,
            "coal in the month 2270 OP29 took force (2016-03-02)",
            (("2270-op29", "undetermined"),)),
    Planted("CHN", IMPORT, "2016-12", "270112", 42_000_000, 500_000_000,
            _COAL + "; past 75 % of the cap's December-2016 term (US$53,495,894), "
            "livelihood coal within the cap claimable, " + _ORIGIN,
            (("2321-op26", "exemption_claimable"),)),
    Planted("CHN", IMPORT, "2017-02", "270112", 90_000_000, 1_060_000_000,
            _COAL + "; inside the cap, livelihood coal within it claimable, " + _ORIGIN,
            (("2321-op26", "exemption_claimable"),)),
    Planted("CHN", IMPORT, "2017-08", "270112", 60_000_000, 700_000_000,
            _COAL + "; the month straddles the supersession of 2321 OP26 on 2017-08-05",
            (("2321-op26", "undetermined"), ("2371-op8", "undetermined"))),
    Planted("CHN", IMPORT, "2018-04", "270119", 12_000_000, 140_000_000,
            "coal after the 2371 OP8 ban: its grace never covered coal, and " + _ORIGIN,
            (("2371-op8", "breach"),)),
    Planted("CHN", IMPORT, "2017-09", "260111", 55_000, 3_035_000,
            "iron ore in the month the 30-day grace of 2371 OP8 ends (2017-09-04)",
            (("2371-op8", "undetermined"),)),
    Planted("IND", IMPORT, "2017", "2701", 20_000_000, 240_000_000,
            "an annual heading-level coal row for 2017, which straddles 2017-08-05, when "
            "2371 OP8 replaced 2321 OP26",
            (("2321-op26", "undetermined"), ("2371-op8", "undetermined"))),
    Planted("RUS", EXPORT, "2013-04", "930690", 180_000, 3_600,
            "munitions supplied to the DPRK under the 1718 embargo on major arms and 1874's on "
            "all arms but small arms and light weapons",
            (("1718-op8a-arms", "breach"), ("1874-arms-supply", "breach"))),
    Planted("CHN", EXPORT, "2018-06", "890190", 3_500_000, 700_000,
            "a vessel supplied to the DPRK: three measures cover it, and only 2321 OP30's "
            "Committee approval can be claimed",
            (("2397-op14", "breach"), ("2397-op7", "breach"),
             ("2321-op30", "exemption_claimable"))),
    Planted("CHN", EXPORT, "2019-05", "847130", 240_000, 8_000,
            "computers supplied to the DPRK: 2397 OP7's aircraft-spare-parts exemption "
            "does not cover them",
            (("2397-op7", "breach"),)),
    Planted("CHN", EXPORT, "2018-03", "842952", 620_000, 21_000,
            "an excavator supplied to the DPRK: 2397 OP7, no exemption covers it",
            (("2397-op7", "breach"),)),
    Planted("CHN", EXPORT, "2018-03", "840910", 85_000, 170,
            "aircraft engine parts supplied to the DPRK: 2397 OP7, whose exemption for "
            "civil aircraft spare parts covers heading 8409",
            (("2397-op7", "exemption_claimable"),)),
    Planted("CHN", IMPORT, "2017-12", "251990", 1_300_000, 26_000_000,
            "magnesia in the month 2397 OP6 took force (2017-12-22)",
            (("2397-op6", "undetermined"),)),
    Planted("CHN", IMPORT, "2018-01", "251990", 900_000, 18_000_000,
            "magnesia in the month the grace of 2397 OP6 ends (2018-01-21)",
            (("2397-op6", "undetermined"),)),
    Planted("CHN", IMPORT, "2018-02", "251990", 700_000, 14_000_000,
            "magnesia after 2397 OP6 and its grace period",
            (("2397-op6", "breach"),)),
    Planted("CHN", IMPORT, "2016-03", "710812", 2_000_000, 50,
            "gold in the month 2270 OP30 took force",
            (("2270-op30", "undetermined"),)),
    Planted("CHN", IMPORT, "2016-11", "740311", 1_500_000, 250_000,
            "copper in the month 2321 OP28 took force (2016-11-30)",
            (("2321-op28", "undetermined"),)),
    Planted("CHN", IMPORT, "2016-12", "740311", 1_700_000, 280_000,
            "copper after 2321 OP28 took force",
            (("2321-op28", "breach"),)),
    Planted("RUS", IMPORT, "2018", "62", 9_201, 370,
            "woven apparel reported only as a chapter for a year",
            (("2375-op16", "breach"),)),
    Planted("CHN", IMPORT, "2019", "0307", 410_000, 82_000,
            "molluscs reported only as a heading for a year, with its chapter beside it",
            (("2371-op9", "breach"),)),
    Planted("CHN", IMPORT, "2018", "2616", 130_000, 1_300,
            "precious-metal ores reported only as a heading for a year: 2321 OP28 bans "
            "silver ore (261610) and 2270 OP30 gold ore (261690), which the heading may or may "
            "not hold; not counted",
            (("2321-op28", "undetermined"), ("2270-op30", "undetermined"))),
    Planted("CHN", EXPORT, "2016-05", "271020", 400_000, 620_000,
            "refined petroleum supplied before any cap: nothing to find"),
    Planted("CHN", EXPORT, "2017-11", "271311", 4_000_000, round(0.2 * _REFINED_LIMIT_KG),
            "petroleum coke under the 2375 OP14 cap for the last quarter of 2017"),
    *_refined_2019(),
    Planted("CHN", EXPORT, "2020-03", "271020", 2_100_000, round(0.05 * _REFINED_LIMIT_KG),
            "refined petroleum in 2020, well inside the 2397 OP5 cap"),
    *(
        Planted("CHN", IMPORT, f"{year}-06", code, value, value // 25,
                "wigs and false eyelashes, not banned, growing as textiles were banned: "
                "nothing to find")
        for year, value in ((2016, 180_000), (2018, 1_900_000), (2023, 14_000_000))
        for code in ("670419", "670420")
    ),
    *(
        Planted("CHN", IMPORT, f"{year}-12", "271600", 950_000, 0,
                "electrical energy, not banned: nothing to find")
        for year in range(2016, 2025)
    ),
)  # fmt: skip

EXPECTED_CAPS: tuple[ExpectedCap, ...] = (
    # US$42m of the term's US$53,495,894 (78.5 %) decides it: 500,000 t is 50 % of its tonnes.
    ExpectedCap(
        "2321-op26b",
        "threshold_reached",
        "CHN",
        "2016-11-30..2016-12-31",
        42_000_000 / 53_495_894 * 100,
        ((75.0, "2016-12"),),
    ),
    # US$170m of US$400,870,018 (42 %), 2.0 Mt of 7.5 Mt: the August row straddles the cap's
    # end on 2017-08-04 but is still summed, and the IND annual row too.
    ExpectedCap("2321-op26b", "within_cap", "CHN,IND", "2017", 170_000_000 / 400_870_018 * 100),
    ExpectedCap("2375-op14-2017", "within_cap", "CHN", "2017-10-01..2017-12-31", 20.0),
    ExpectedCap(
        "2397-op5",
        "threshold_reached",
        "CHN,RUS",
        "2019",
        98.0,
        ((75.0, "2019-06"), (90.0, "2019-09"), (95.0, "2019-11")),
    ),
    ExpectedCap("2397-op5", "within_cap", "CHN", "2020", 5.0),
)


def expected_findings() -> list[dict[str, Any]]:
    """The findings `check` must return over a world with these plants, no more, no fewer."""
    bans = [
        {
            "kind": "ban",
            "measure_id": measure_id,
            "status": status,
            "reporter": p.reporter,
            "flow": _FLOW_NAMES[p.flow],
            "period": p.period,
            "hs_code": p.hs_code,
            "value_usd": p.value_usd,
            "story": p.story,
        }
        for p in PLANTS
        for measure_id, status in p.bans
    ]
    caps = [
        {
            "kind": "cap",
            "measure_id": c.measure_id,
            "status": c.status,
            "reporter": c.reporters,
            "period": c.cap_period,
            "used_pct": c.used_pct,
            "thresholds_crossed": [{"threshold": t, "period": p} for t, p in c.thresholds],
        }
        for c in EXPECTED_CAPS
    ]
    return bans + caps


def finding_keys(findings: Iterable[Mapping[str, Any]]) -> Counter[tuple[Any, ...]]:
    """What must agree between two sets of findings, counted.

    Bans: measure, status, reporter, flow, period and HS code. Caps: measure, status,
    reporters, cap period and the thresholds crossed with the period each was crossed in.
    Accepts `Findings.table.to_pylist()` rows as well as ground-truth records.
    """
    keys: Counter[tuple[Any, ...]] = Counter()
    for f in findings:
        if f["kind"] == "cap":
            period = f.get("cap_period") or f["period"]
            crossed = tuple(
                (float(t["threshold"]), t["period"]) for t in f.get("thresholds_crossed") or []
            )
            keys[("cap", f["measure_id"], f["status"], f["reporter"], period, crossed)] += 1
        else:
            keys[
                (
                    "ban",
                    f["measure_id"],
                    f["status"],
                    f["reporter"],
                    f["flow"],
                    f["period"],
                    f["hs_code"],
                )
            ] += 1
    return keys
