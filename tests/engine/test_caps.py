"""Caps: terms with limits of their own, rows a cap period cannot split, barrels by rule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import comtrade_record
from tests.engine.conftest import CheckRunner, regime_from
from tests.regime.test_load_errors import VALID

from sanctionwatch import Regime, Store, ingest

# The test regime's coal cap as 2321 OP26(b) has it: from adoption, a term to the end of 2016
# with limits of its own, then the annual limit.
TERMS = VALID.replace("    start: 2017-01-01\n", "    start: 2016-11-30\n").replace(
    "    cap:\n      limits:\n",
    "    cap:\n"
    "      terms:\n"
    "        - from: 2016-11-30\n"
    "          to: 2016-12-31\n"
    "          limits:\n"
    "            - {amount: 53495894, unit: USD}\n"
    "            - {amount: 1000866, unit: tonne}\n"
    "      limits:\n",
)
DECEMBER = "2016-11-30..2016-12-31"
NOT_SUMMED = (
    "1 row (US$2,000,000) begins before the cap period 2016-11-30..2016-12-31 and cannot be "
    "split: not summed"
)

PETROLEUM = """\
id: petroleum
name: Test petroleum caps
target: PRK
target_code: 408
barrels_per_tonne:
  source: test
  products:
    - {product: crude oil, hs: ["2709"], value: 7.33}
    - {product: liquefied propane and butanes, hs: ["271112", "271113"], value: 11.6}
  default: {value: 7.98, source: test}
measures:
  - id: refined-cap
    title: Refined petroleum, cap per twelve months
    resolution: "2397"
    paragraph: OP5
    citation:
      document: S/RES/2397 (2017)
      url: https://undocs.org/S/RES/2397(2017)
    direction: to_target
    scope:
      hs: ["2710", "271112", "271113"]
      hs_version: 2017
    kind: cap
    start: 2018-01-01
    cap:
      limits:
        - {amount: 500000, unit: barrel}
      period: {kind: twelve_months, start: 2018-01-01}
  - id: crude-cap
    title: Crude oil, each supplier held to its previous year
    resolution: "2375"
    paragraph: OP15
    citation:
      document: S/RES/2375 (2017)
      url: https://undocs.org/S/RES/2375(2017)
    direction: to_target
    scope:
      hs: ["2709"]
      hs_version: 2017
    kind: cap
    start: 2019-01-01
    cap:
      period: {kind: calendar_year}
      supplier_baseline: {start: 2018-01-01, end: 2018-12-31, unit: barrel}
"""


@pytest.fixture
def caps_for(
    store: Store, write_comtrade: Callable[..., Path], run_check: CheckRunner, tmp_path: Path
) -> Callable[..., dict[tuple[str, str], dict[str, Any]]]:
    """Ingest records, check them against a regime's YAML; cap findings by (measure, period)."""

    def run(
        text: str, *records: dict[str, Any], **options: Any
    ) -> dict[tuple[str, str], dict[str, Any]]:
        report = ingest(store, write_comtrade(*records))
        assert report.rows_rejected == 0
        regime: Regime = regime_from(tmp_path, "caps", text)
        rows = run_check(store, regime, **options).records()
        return {(r["measure_id"], r["cap_period"]): r for r in rows if r["kind"] == "cap"}

    return run


def coal(period: str, value: float, tonnes: float | None = None, **fields: Any) -> dict[str, Any]:
    return comtrade_record(
        freqCode="M" if len(period) == 6 else "A",
        period=period,
        cmdCode="2701",
        primaryValue=value,
        netWgt=None if tonnes is None else tonnes * 1000,
        **fields,
    )


RUSSIA = {"reporterISO": "RUS", "reporterCode": 643}


def test_a_term_has_limits_of_its_own_and_rows_it_cannot_split_are_not_summed(
    caps_for: Callable[..., dict[tuple[str, str], dict[str, Any]]],
) -> None:
    caps = caps_for(
        TERMS,
        coal("201612", 50_000_000, 900_000),
        coal("2016", 2_000_000, **RUSSIA),
        coal("201701", 40_000_000),
    )
    assert set(caps) == {("coal-cap", DECEMBER), ("coal-cap", "2017")}
    december = caps["coal-cap", DECEMBER]
    assert (december["unit"], december["limit"], december["used"]) == ("USD", 53_495_894, 5e7)
    assert december["status"] == "threshold_reached"
    assert [t["threshold"] for t in december["thresholds_crossed"]] == [75, 90]
    tonnes = next(d for d in december["dimensions"] if d["unit"] == "tonne")
    assert (tonnes["used"], tonnes["limit"]) == (900_000, 1_000_866)
    assert december["rows"] == 1
    assert december["reporter"] == "CHN,RUS"
    assert NOT_SUMMED in december["reason"]
    year = caps["coal-cap", "2017"]
    assert (year["limit"], year["used"], year["status"]) == (400_870_018, 4e7, "within_cap")


def test_a_term_with_only_rows_it_cannot_split_is_undetermined(
    caps_for: Callable[..., dict[tuple[str, str], dict[str, Any]]],
) -> None:
    caps = caps_for(TERMS, coal("2016", 2_000_000, **RUSSIA))
    december = caps["coal-cap", DECEMBER]
    assert december["status"] == "undetermined"
    assert (december["used"], december["used_pct"], december["rows"]) == (None, None, 0)
    assert december["reason"] == NOT_SUMMED


def petroleum(code: str, tonnes: float, **fields: Any) -> dict[str, Any]:
    record = {"period": "2019", "flowCode": "X", "cmdCode": code, "primaryValue": None}
    return comtrade_record(**{**record, "netWgt": tonnes * 1000, **fields})


OIL = (
    petroleum("271112", 1_000),  # liquefied propane: 11.6 bbl/t
    petroleum("271019", 2_000),  # gas oil and kerosene mixed: the default
    petroleum("271012", 1_200, qty=1_589_870, qtyUnitAbbr="l"),  # 10,000 bbl in litres
    petroleum("271020", 700, qty=5_000, qtyUnitAbbr="bbl"),
    petroleum("2709", 1_000, period="2018", **RUSSIA),  # the baseline: 7,330 bbl
    petroleum("2709", 1_100, **RUSSIA),
)


def test_barrels_follow_the_committees_order_and_say_how_they_were_made(
    caps_for: Callable[..., dict[tuple[str, str], dict[str, Any]]],
) -> None:
    caps = caps_for(PETROLEUM, *OIL)
    refined = caps["refined-cap", "2019"]
    assert refined["used"] == pytest.approx(1_000 * 11.6 + 2_000 * 7.98 + 10_000 + 5_000)
    assert refined["barrels_per_tonne"] is None  # two factors
    assert refined["reason"] == (
        "barrels: 1 row from litres at 158.987 l/bbl; "
        "1 row from net weight at 11.6 bbl/t (liquefied propane and butanes); "
        "1 row from net weight at 7.98 bbl/t (default for mixed products); "
        "1 row reported in barrels"
    )
    crude = caps["crude-cap", "2019"]
    assert crude["reporter"] == "RUS"
    assert (crude["unit"], crude["limit"]) == ("barrel", pytest.approx(7_330))
    assert crude["used"] == pytest.approx(1_100 * 7.33)
    assert crude["status"] == "cap_exceeded"
    assert crude["barrels_per_tonne"] == 7.33
    assert crude["reason"] == "barrels: 1 row from net weight at 7.33 bbl/t (crude oil)"


def test_a_given_factor_replaces_product_and_default_factors_not_reported_volumes(
    caps_for: Callable[..., dict[tuple[str, str], dict[str, Any]]],
) -> None:
    caps = caps_for(PETROLEUM, *OIL, barrels_per_tonne=8.0)
    refined = caps["refined-cap", "2019"]
    assert refined["used"] == pytest.approx(3_000 * 8 + 10_000 + 5_000)
    assert refined["barrels_per_tonne"] == 8.0
    assert refined["reason"] == (
        "barrels: 2 rows from net weight at 8 bbl/t (given); "
        "1 row from litres at 158.987 l/bbl; 1 row reported in barrels"
    )
    crude = caps["crude-cap", "2019"]
    assert (crude["limit"], crude["used"]) == (pytest.approx(8_000), pytest.approx(8_800))
