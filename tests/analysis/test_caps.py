"""Running totals behind cap findings, period by period, on every backend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sanctionwatch import Regime, Store, check, ingest
from sanctionwatch.analysis import cap_running_totals
from tests.conftest import comtrade_record

# S/RES/2321 (2016) OP26(b): coal from the DPRK, at most US$400,870,018 in 2017.
COAL_CAP, COAL_LIMIT_USD = "2321-op26b", 400_870_018.0


def test_the_demo_caps_reach_their_totals_in_one_annual_step(
    demo_store: Store, un_dprk: Regime
) -> None:
    totals = cap_running_totals(demo_store, un_dprk, check(demo_store, un_dprk)).to_pylist()
    steps = {(r["measure_id"], r["cap_period"], r["period"]): r for r in totals}
    assert set(steps) == {(COAL_CAP, "2017", "2017"), ("2397-op5", "2019", "2019")}
    coal = steps[(COAL_CAP, "2017", "2017")]
    # DOMAIN.md section 3: China's 2017 coal imports from the DPRK, US$410,358,802.
    assert (coal["unit"], coal["amount"]) == ("USD", 410_358_802)
    assert coal["running_total"] == 410_358_802
    assert coal["running_pct"] == pytest.approx(410_358_802 / COAL_LIMIT_USD * 100)
    oil = steps[("2397-op5", "2019", "2019")]
    assert (oil["reporter"], oil["unit"], oil["limit"]) == ("CHN,RUS", "barrel", 500_000)
    assert oil["running_total"] == pytest.approx(422_221.8)


def test_monthly_coal_adds_up_month_by_month_past_the_limit(
    store: Store,
    un_dprk: Regime,
    write_comtrade: Callable[..., Path],
    on_backend: Callable[[Store], Store],
) -> None:
    months = {"201701": 150_000_000.0, "201702": 100_000_000.0, "201704": 175_000_000.0}
    records = [
        comtrade_record(freqCode="M", period=period, cmdCode="2701", primaryValue=value)
        for period, value in months.items()
    ]
    ingest(store, write_comtrade(*records))
    read = on_backend(store)
    totals = cap_running_totals(read, un_dprk, check(read, un_dprk))
    coal = [r for r in totals.to_pylist() if r["measure_id"] == COAL_CAP]
    assert [(r["period"], r["amount"], r["running_total"]) for r in coal] == [
        ("2017-01", 150_000_000, 150_000_000),
        ("2017-02", 100_000_000, 250_000_000),
        ("2017-04", 175_000_000, 425_000_000),
    ]
    assert {(r["cap_period"], r["unit"], r["limit"]) for r in coal} == {
        ("2017", "USD", COAL_LIMIT_USD)
    }
    assert coal[-1]["running_pct"] == pytest.approx(425_000_000 / COAL_LIMIT_USD * 100)
