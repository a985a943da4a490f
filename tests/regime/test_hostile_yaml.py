"""Hostile regime files: cycles, impossible dates and numbers, alias bombs; each is refused in
one line naming the file, the line and (where there is one) the field."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import pytest
from tests.regime.test_load_errors import VALID, error_for
from typer.testing import CliRunner

from sanctionwatch import load_regime
from sanctionwatch.cli import app

BARRELS = """\
barrels_per_tonne:
  source: A conversion table
  products:
    - {product: crude oil, hs: ["2709"], value: CRUDE}
  default: {value: DEFAULT, source: A conversion table}
measures:
"""

QUOTA = """\
  - id: coal-quota
    title: Coal quota
    resolution: "2371"
    paragraph: OP8
    citation:
      document: S/RES/2371 (2017)
      url: https://undocs.org/S/RES/2371(2017)
    direction: from_target
    scope:
      hs: ["2701"]
      hs_version: 2017
    kind: ban
    start: 2017-08-05
    supersedes:
      - {measure: coal-ban, from: 2017-09-01}
"""


def alias_bomb(levels: int = 8, fan_out: int = 10) -> str:
    """A few hundred bytes whose nested aliases expand to fan_out ** levels values."""
    lines = ["a0: &a0 [" + ",".join(["lol"] * fan_out) + "]"]
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * fan_out) + "]")
    return "\n".join(lines) + "\n"


def test_two_measures_that_supersede_each_other(tmp_path: Path) -> None:
    text = VALID.replace(
        "    end: 2017-12-31\n",
        "    end: 2017-12-31\n    supersedes:\n      - {measure: coal-ban, from: 2017-08-05}\n",
    )
    assert error_for(tmp_path, text) == (
        "regime.yaml:42: measures[1] (coal-ban).supersedes[0].measure: "
        "supersessions form a cycle: coal-ban supersedes coal-cap supersedes coal-ban"
    )


def test_check_refuses_a_cycle_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "regime.yaml"
    path.write_text(
        VALID.replace(
            "    end: 2017-12-31\n",
            "    end: 2017-12-31\n    supersedes:\n      - {measure: coal-ban, from: 2017-08-05}\n",
        ),
        encoding="utf-8",
    )
    args = ["check", "--regime", str(path), "--store", str(tmp_path / "store")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {path}:42: measures[1] (coal-ban).supersedes[0].measure: "
        "supersessions form a cycle: coal-ban supersedes coal-cap supersedes coal-ban\n"
    )


def test_a_longer_cycle_of_supersessions(tmp_path: Path) -> None:
    text = (
        VALID.replace(
            "    end: 2017-12-31\n",
            "    end: 2017-12-31\n"
            "    supersedes:\n      - {measure: coal-quota, from: 2017-09-01}\n",
        )
        + QUOTA
    )
    assert error_for(tmp_path, text) == (
        "regime.yaml:42: measures[1] (coal-ban).supersedes[0].measure: supersessions form a "
        "cycle: coal-ban supersedes coal-cap supersedes coal-quota supersedes coal-ban"
    )


def test_a_chain_of_supersessions_is_not_a_cycle(tmp_path: Path) -> None:
    path = tmp_path / "regime.yaml"
    path.write_text(VALID + QUOTA, encoding="utf-8")
    regime = load_regime(path)
    assert regime.effective_end("coal-ban") is not None
    assert [m.id for m in regime.in_force(regime.measure("coal-quota").start)] == [
        "coal-ban",
        "coal-quota",
    ]


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        ("2017-08-04", "is before coal-ban starts on 2017-08-05"),
        ("2016-12-31", "is before coal-ban starts on 2017-08-05"),
    ],
)
def test_a_supersession_before_its_measure_starts(tmp_path: Path, day: str, reason: str) -> None:
    text = VALID.replace(
        "{measure: coal-cap, from: 2017-08-05}", f"{{measure: coal-cap, from: {day}}}"
    )
    assert error_for(tmp_path, text) == (
        "regime.yaml:40: measures[1] (coal-ban).supersedes[0].from: "
        f"supersession from {day} {reason}"
    )


def test_a_supersession_before_the_replaced_measure_starts(tmp_path: Path) -> None:
    text = VALID.replace("start: 2017-01-01", "start: 2017-09-01").replace(
        "end: 2017-12-31", "end: 2017-12-31\n    supersedes: []"
    )
    assert error_for(tmp_path, text) == (
        "regime.yaml:41: measures[1] (coal-ban).supersedes[0].from: "
        "supersession from 2017-08-05 is before coal-cap starts on 2017-09-01"
    )


@pytest.mark.parametrize("bad", [".inf", "-.inf", ".nan", "1e999", '"inf"'])
def test_a_cap_limit_must_be_finite(tmp_path: Path, bad: str) -> None:
    text = VALID.replace("amount: 400870018", f"amount: {bad}")
    assert error_for(tmp_path, text) == (
        "regime.yaml:22: measures[0] (coal-cap).cap.limits[0].amount: "
        "Input should be a finite number"
    )


NUMBERS = [
    ("amount: 400870018", "amount: BAD", "22: measures[0] (coal-cap).cap.limits[0].amount"),
    ("days: 30", "days: BAD", "38: measures[1] (coal-ban).grace.days"),
    (
        "    grace:\n      days: 30\n",
        '    item_value:\n      - {hs: ["2701"], over: BAD, unit: USD}\n',
        "38: measures[1] (coal-ban).item_value[0].over",
    ),
    (
        "      period: {kind: calendar_year}\n",
        "      period: {kind: calendar_year}\n      thresholds: [50, BAD]\n",
        "24: measures[0] (coal-cap).cap.thresholds[1]",
    ),
    ("hs_version: 2012", "hs_version: BAD", "16: measures[0] (coal-cap).scope.hs_version"),
    ("target_code: 408", "target_code: BAD", "4: target_code"),
    (
        "measures:\n",
        BARRELS.replace("CRUDE", "BAD").replace("DEFAULT", "7.5"),
        "8: barrels_per_tonne.products[0].value",
    ),
    (
        "measures:\n",
        BARRELS.replace("CRUDE", "7.33").replace("DEFAULT", "BAD"),
        "9: barrels_per_tonne.default.value",
    ),
    (
        "    cap:\n      limits:",
        "    cap:\n      terms:\n"
        "        - {from: 2017-01-01, to: 2017-03-31, limits: [{amount: BAD, unit: USD}]}\n"
        "      limits:",
        "22: measures[0] (coal-cap).cap.terms[0].limits[0].amount",
    ),
]


@pytest.mark.parametrize("bad", [".inf", ".nan", "-1"])
@pytest.mark.parametrize(("old", "new", "where"), NUMBERS, ids=[w for _, _, w in NUMBERS])
def test_every_number_is_finite_and_not_negative(
    tmp_path: Path, old: str, new: str, where: str, bad: str
) -> None:
    assert old in VALID
    message = error_for(tmp_path, VALID.replace(old, new.replace("BAD", bad), 1))
    assert message.startswith(f"regime.yaml:{where}: ")


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        ("2017-13-45", "month value is outside expected range of 1-12"),
        ("2017-02-30", "day value is outside expected range"),
        ("yesterday", "Input should be a valid date"),
    ],
)
def test_a_bad_date_names_line_and_field(tmp_path: Path, day: str, reason: str) -> None:
    message = error_for(tmp_path, VALID.replace("start: 2017-01-01", f"start: {day}"))
    assert message.startswith("regime.yaml:18: measures[0] (coal-cap).start: ")
    assert reason in message


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    path = tmp_path / "regime.yaml"
    path.write_text(alias_bomb(), encoding="utf-8")
    assert path.stat().st_size < 500
    started = time.monotonic()
    result = CliRunner().invoke(app, ["regime", "validate", str(path)])
    assert time.monotonic() - started < 5
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {path}:4: aliases repeat more than 10000 values by here "
        "(nested aliases expand exponentially); write the values out"
    )


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path: Path) -> None:
    text = VALID.replace('hs: ["2701"]', 'hs: &loop ["2701", *loop]')
    assert error_for(tmp_path, text) == (
        "regime.yaml:15: alias *loop lies inside its own anchor, so it never ends"
    )


def test_nesting_deeper_than_any_regime_is_refused(tmp_path: Path) -> None:
    text = VALID.replace("description", "x") + "notes: " + "[" * 5000 + "]" * 5000 + "\n"
    assert error_for(tmp_path, text).startswith("regime.yaml:41: nested more than 64 levels deep")


def test_a_few_aliases_still_work(tmp_path: Path) -> None:
    text = VALID.replace(
        "    citation:\n      document: S/RES/2321 (2016)",
        "    citation: &resolution\n      document: S/RES/2321 (2016)",
    ).replace(
        "    citation:\n      document: S/RES/2371 (2017)\n"
        "      url: https://undocs.org/S/RES/2371(2017)\n",
        "    citation: *resolution\n",
    )
    path = tmp_path / "regime.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_regime(path).measure("coal-ban").citation.document == "S/RES/2321 (2016)"


def test_an_anchor_named_twice_loads_without_a_warning(tmp_path: Path) -> None:
    text = VALID.replace('hs: ["2701"]', 'hs: &codes ["2701"]').replace(
        'hs: ["2701", "50-63"]', 'hs: &codes ["2701", "50-63"]'
    )
    path = tmp_path / "regime.yaml"
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        regime = load_regime(path)
    assert regime.measure("coal-ban").scope.hs == ("2701", "50-63")
