"""A small synthetic world (made up, not real trade) with evasion planted in it on demand.

Ten states trade with each other and with the DPRK from 2014 to 2021, each figure drawn around
a steady level with a little noise. China imports DPRK coal until the 2371 ban and apparel until
the 2375 ban. With `plant=True` the world also holds one case of each kind of evasion.
"""

from __future__ import annotations

import math
import random
from typing import Any

__all__ = ["PLANTED", "world"]

YEARS = range(2014, 2022)
STATES = {
    "CHN": 156, "RUS": 643, "VNM": 704, "THA": 764, "DEU": 276,
    "FRA": 251, "USA": 842, "JPN": 392, "IND": 699, "BRA": 76,
}  # fmt: skip
_GOODS = {"8703": 20.0, "8501": 15.0, "850440": 30.0, "2710": 0.7, "0902": 4.0}

# What each planted case must come out as: kind, reporter, HS code.
PLANTED = {
    "substitution": ("CHN", "9503"),
    "relabelling": ("CHN", "2704"),
    "diversion": ("VNM", "2701"),
    "unit-value": ("CHN", "850440"),
    "mirror-gap": ("CHN", "2710"),
}


def _record(
    reporter: str, partner: str, flow: str, year: int, code: str, value: float, kg: float | None
) -> dict[str, Any]:
    return {
        "freqCode": "A",
        "period": str(year),
        "reporterCode": STATES.get(reporter, 408),
        "reporterISO": reporter,
        "partnerCode": STATES.get(partner, 408),
        "partnerISO": partner,
        "flowCode": flow,
        "classificationCode": "H5",
        "cmdCode": code,
        "primaryValue": round(value, 2),
        "netWgt": None if kg is None else round(kg, 1),
        "qty": None,
        "qtyUnitAbbr": None,
    }


def world(*, plant: bool, seed: int = 7) -> list[dict[str, Any]]:
    """Comtrade API records of the world, planted or not."""
    rng = random.Random(seed)

    def noisy(level: float, sigma: float = 0.12) -> float:
        return level * math.exp(rng.gauss(0.0, sigma))

    records = []
    pairs = [(a, b) for a in list(STATES)[:6] for b in list(STATES)[:6] if a != b]
    for year in YEARS:
        for a, b in pairs:
            for code, price in _GOODS.items():
                value = noisy(20e6)
                kg = value / noisy(price, 0.08)
                records.append(_record(a, b, "X", year, code, value, kg))
                imported = value * noisy(1.08, 0.05)
                if plant and (a, b, code, year) == ("CHN", "VNM", "2710", 2019):
                    imported = value * 6
                records.append(_record(b, a, "M", year, code, imported, kg))
        # The target's exports as China reports them.
        steady = {"2716": 8e6, "8501": 5e6, "9403": 3e6, "0902": 2e6, "9503": 2e6, "2704": 0.5e6}
        for code, level in steady.items():
            value = noisy(level)
            if plant and year >= 2018 and code == "9503":
                value = noisy(30e6)
            if plant and year >= 2018 and code == "2704":
                value = noisy(60e6)
            records.append(_record("CHN", "PRK", "M", year, code, value, None))
        if year <= 2017:
            records.append(_record("CHN", "PRK", "M", year, "2701", noisy(1e9), noisy(1e9) / 0.08))
            records.append(_record("CHN", "PRK", "M", year, "62", noisy(4e8), None))
        price = 2.0 if plant and year == 2019 else 30.0
        value = noisy(5e6)
        records.append(
            _record("CHN", "PRK", "M", year, "850440", value, value / noisy(price, 0.08))
        )
        # Vietnam trades a little with the target and sells coal to Japan.
        records.append(_record("VNM", "PRK", "M", year, "0902", noisy(3e6), None))
        coal = noisy(300e6) if plant and year >= 2018 else noisy(20e6)
        records.append(_record("VNM", "JPN", "X", year, "2701", coal, coal / 0.08))
        # Thailand trades with others throughout, and with the target only once planted.
        records.append(_record("THA", "BRA", "M", year, "8703", noisy(50e6), None))
        if plant and year >= 2018:
            records.append(_record("THA", "PRK", "M", year, "8501", noisy(25e6), None))
    return records
