"""Every finding status has one registry entry, and the CLI and the report both draw on it."""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa
import pytest
from rich.console import Console
from rich.style import Style

from sanctionwatch import Regime, Store
from sanctionwatch.cli import _check
from sanctionwatch.engine import FINDINGS, STATUSES, Findings, Status, StatusLook, status_look
from sanctionwatch.report import render_report


def _findings(status: str, kind: str = "ban") -> Findings:
    row: dict[str, Any] = dict.fromkeys(FINDINGS.names)
    row |= {
        "measure_id": "2371-op8",
        "resolution": "2371",
        "paragraph": "OP8",
        "kind": kind,
        "status": status,
        "reason": "made for the test",
        "reporter": "CHN",
        "period": "2018",
        "hs_code": "260111",
        "value_usd": 10.0,
        "counted": True,
        "cap_period": "2018",
        "thresholds_crossed": [],
        "dimensions": [],
    }
    table = pa.Table.from_pylist([row], schema=FINDINGS)
    return Findings(table, {"findings": 1, "by_status": {status: 1}})


def test_every_status_has_an_entry_with_a_colour_a_style_and_a_meaning() -> None:
    assert set(STATUSES) == set(Status)
    for status, look in STATUSES.items():
        assert re.fullmatch(r"#[0-9a-f]{6}", look.colour), status
        Style.parse(look.style)
        assert look.meaning, status
        assert status_look(status.value) is look


def test_a_status_without_an_entry_is_an_error_not_grey() -> None:
    with pytest.raises(ValueError, match="'smuggled' has no entry in the status registry"):
        status_look("smuggled")


def test_the_cli_styles_a_status_from_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Console(record=True, force_terminal=True, color_system="truecolor", width=200)
    monkeypatch.setattr(_check, "console", recorder)
    look = StatusLook("made for the test", "#123456", "#abcdef on #fedcba")
    monkeypatch.setitem(STATUSES, Status.BREACH, look)
    _check.render_table(_findings("breach"))
    assert "\x1b[38;2;171;205;239;48;2;254;220;186mbreach" in recorder.export_text(styles=True)
    with pytest.raises(ValueError, match="'smuggled' has no entry"):
        _check.render_table(_findings("smuggled"))


def test_the_report_colours_and_explains_a_status_from_the_registry(
    monkeypatch: pytest.MonkeyPatch, demo_store: Store, un_dprk: Regime
) -> None:
    look = StatusLook("a meaning only this test gives", "#123456", "red")
    monkeypatch.setitem(STATUSES, Status.BREACH, look)
    html = render_report(demo_store, un_dprk)
    bans = html[html.index('id="bans"') : html.index('id="pressure"')]
    assert 'fill="#123456"' in bans
    assert "breach: a meaning only this test gives" in bans


def test_the_report_refuses_a_status_without_an_entry(
    monkeypatch: pytest.MonkeyPatch, demo_store: Store, un_dprk: Regime
) -> None:
    monkeypatch.delitem(STATUSES, Status.UNDETERMINED)
    with pytest.raises(ValueError, match="'undetermined' has no entry in the status registry"):
        render_report(demo_store, un_dprk)
