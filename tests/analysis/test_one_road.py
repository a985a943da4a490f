"""`check`, `pressure` and `signals` count the same flows the same way: one road from regime and
flows to every number."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pyarrow.compute as pc

from sanctionwatch import Regime, Store, check, ingest
from sanctionwatch.analysis import pressure, signals
from tests.conftest import comtrade_record

# Lead ores, banned from the DPRK by 2371 OP10 alone (from 5 August 2017).
BANNED, MEASURE = "260700", "2371-op10"
# Each year has an annual row and twelve monthly rows that disagree: the months count.
MONTHS = {2016: 12_000_000.0, 2018: 1_200_000.0}
ANNUAL = {2016: 10_000_000.0, 2018: 1_000_000.0}


def _records() -> list[dict[str, object]]:
    def row(period: str, code: str, value: float, monthly: bool = False) -> dict[str, object]:
        return comtrade_record(
            freqCode="M" if monthly else "A",
            period=period,
            cmdCode=code,
            primaryValue=value,
            netWgt=value / 50,
        )

    return [
        *(row(str(year), BANNED, value) for year, value in ANNUAL.items()),
        *(
            row(f"{year}{month:02d}", BANNED, value / 12, True)
            for year, value in MONTHS.items()
            for month in range(1, 13)
        ),
        # Other ores, in the banned code's chapter and no scope, rise as lead ores stop.
        row("2018", "261700", 20_000_000.0),
        row("2019", "261700", 22_000_000.0),
    ]


def test_check_pressure_and_signals_agree_on_a_year_with_an_annual_row_and_twelve_months(
    store: Store,
    un_dprk: Regime,
    write_comtrade: Callable[..., Path],
    on_backend: Callable[[Store], Store],
) -> None:
    report = ingest(store, write_comtrade(*_records()))
    assert report.rows_rejected == 0
    store = on_backend(store)

    findings = check(store, un_dprk).table
    counted = findings.filter(
        pc.and_(
            pc.equal(findings["measure_id"], MEASURE),
            pc.and_(
                pc.fill_null(findings["counted"], False), pc.starts_with(findings["period"], "2018")
            ),
        )
    )
    assert pc.sum(counted["value_usd"]).as_py() == MONTHS[2018]

    for year in MONTHS:
        shares = pressure(store, un_dprk, baseline=year, as_of=dt.date(2018, 1, 1)).shares
        row = shares.filter(pc.equal(shares["measure_id"], MEASURE)).to_pylist()
        assert row[0]["value_usd"] == MONTHS[year]

    found = signals(store, un_dprk)
    relabelled = [s for s in found.table.to_pylist() if s["kind"] == "relabelling"]
    assert [(s["hs_code"], s["measure_id"]) for s in relabelled] == [("261700", MEASURE)]
    # 2018-2019 as a yearly mean: US$1.2m over the two years CHN reported.
    assert "fell from US$12.0m to US$600,000" in relabelled[0]["explanation"]
    series = found.series.to_pylist()
    banned = {r["category"]: r["value"] for r in series if r["series"] == f"banned HS {BANNED[:4]}"}
    assert banned == {str(year): value for year, value in MONTHS.items()}
