"""Whose reports the store holds, and each one's total trade with the target."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sanctionwatch import Regime, Store, ingest
from sanctionwatch.analysis import coverage
from sanctionwatch.regime import Direction
from tests.conftest import comtrade_record


def test_coverage_names_every_reporter_and_who_reports_the_targets_exports(
    demo_store: Store, un_dprk: Regime
) -> None:
    seen = coverage(demo_store, un_dprk)
    assert seen.reporters == ("CHN", "RUS")
    assert seen.reporting(Direction.FROM_TARGET) == ("CHN",)
    assert seen.others(Direction.FROM_TARGET) == ("RUS",)
    # China's reported total of imports from the DPRK in 2018.
    assert seen.total("CHN", Direction.FROM_TARGET, 2018) == pytest.approx(213_151_847)
    assert seen.total("RUS", Direction.FROM_TARGET, 2018) is None


def test_a_flows_total_is_the_reported_total_else_its_rows(
    store: Store, un_dprk: Regime, write_comtrade: Callable[..., Path]
) -> None:
    """Exports to the target are totalled like imports from it; a reporter with no trade with
    the target still counts as loaded."""
    ingest(
        store,
        write_comtrade(
            comtrade_record(flowCode="X", cmdCode="8703", primaryValue=500.0),
            comtrade_record(flowCode="X", cmdCode="TOTAL", primaryValue=9000.0),
            comtrade_record(flowCode="M", cmdCode="6704", primaryValue=70.0),
            comtrade_record(reporterCode=643, reporterISO="RUS", partnerCode=156, partnerISO="CHN"),
        ),
    )
    seen = coverage(store, un_dprk)
    assert seen.reporters == ("CHN", "RUS")
    assert seen.total("CHN", Direction.TO_TARGET, 2017) == 9000.0
    assert seen.total("CHN", Direction.FROM_TARGET, 2017) == 70.0
    assert seen.others(Direction.TO_TARGET) == ("RUS",)
