"""Scopes written in one HS edition, data in another: mapped through the UNSD tables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import comtrade_record, shared_file
from tests.engine.conftest import CheckRunner, ban_on, regime_from

from sanctionwatch import Regime, Store, ingest
from sanctionwatch._concordance import CONCORDANCE, load_concordance_into
from sanctionwatch.engine.scope import scope_table


@pytest.fixture
def oranges(tmp_path: Path) -> Regime:
    """A ban on HS2017 080521 (mandarins) from 2017-08-05, as the test regime's second measure."""
    return regime_from(tmp_path, "oranges", ban_on("080521"))


def hs2012_mandarins(store: Store, write: Callable[..., Path]) -> None:
    report = ingest(
        store,
        write(
            comtrade_record(period="2019", classificationCode="H4", cmdCode="080520"),
            comtrade_record(period="2019", classificationCode="H5", cmdCode="080521"),
        ),
    )
    assert report.rows_accepted == 2


def test_without_a_table_six_digit_codes_match_as_written_and_warn(
    store: Store, oranges: Regime, write_comtrade: Callable[..., Path], run_check: CheckRunner
) -> None:
    hs2012_mandarins(store, write_comtrade)
    findings = run_check(store, oranges)
    assert findings.summary["warnings"] == [
        "coal-ban: HS2017 codes 080521 could not be mapped to the HS2012 data (load a "
        "correlation table with `sanctionwatch hs load-concordance`); matched as written"
    ]
    assert [r["hs_code"] for r in findings.records()] == ["080521"]


@pytest.mark.slow
def test_with_a_table_the_scope_reaches_older_data_approximately(
    store: Store, oranges: Regime, write_comtrade: Callable[..., Path], run_check: CheckRunner
) -> None:
    load_concordance_into(store, shared_file("HS2017toHS2012ConversionAndCorrelationTables.xlsx"))
    hs2012_mandarins(store, write_comtrade)
    findings = run_check(store, oranges)
    assert findings.summary["warnings"] == []
    rows = {r["hs_code"]: r for r in findings.records()}
    assert set(rows) == {"080520", "080521"}
    assert "scope mapped approximately: HS2017 080521 is HS2012 080520" in rows["080520"]["reason"]
    assert "scope mapped" not in rows["080521"]["reason"]


def test_a_flow_under_a_heading_and_its_subheading_is_one_finding(
    store: Store, tmp_path: Path, write_comtrade: Callable[..., Path], run_check: CheckRunner
) -> None:
    nested = regime_from(tmp_path, "nested", ban_on("0805", "080521"))
    ingest(
        store,
        write_comtrade(comtrade_record(period="2019", classificationCode="H5", cmdCode="080521")),
    )
    rows = [r for r in run_check(store, nested).records() if r["measure_id"] == "coal-ban"]
    assert [r["hs_code"] for r in rows] == ["080521"]


@pytest.mark.parametrize(
    ("prefixes", "versions", "overlapping"),
    [
        (["0805", "080521"], {"08": [2017]}, True),  # a heading beside its subheading
        (["0805", "0806"], {"08": [2017]}, False),
        (["080521", "080522"], {"08": [2017]}, False),
        (["080521"], {"08": [2017, 2012]}, False),  # one code, one row per data edition
    ],
)
def test_scopes_say_when_one_flow_can_match_a_measure_twice(
    tmp_path: Path, prefixes: list[str], versions: dict[str, list[int]], overlapping: bool
) -> None:
    regime = regime_from(tmp_path, "regime", ban_on(*prefixes))
    scopes = scope_table(list(regime.measures), versions, CONCORDANCE.empty_table())
    assert scopes.overlapping is overlapping
