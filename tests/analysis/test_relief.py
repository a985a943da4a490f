"""Relief packages: the shipped examples on published figures, and bad files named exactly."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sanctionwatch import Regime, Store
from sanctionwatch.analysis import (
    PackageError,
    apply_package,
    load_package,
    package_names,
    relief,
    resolve_package,
)
from sanctionwatch.cli import app
from tests.regime.test_hostile_yaml import alias_bomb

# Figures from DOMAIN.md section 3 (UN Comtrade, China's imports from the DPRK, US$).
TEXTILES = {2016: 85_428_705 + 475_827_744, 2017: 65_253_902 + 496_533_201}
SEAFOOD = {2016: 190_344_448, 2017: 163_029_081}
COAL_CAP_USD = 400_870_018  # S/RES/2321 (2016) OP26(b)


def test_three_packages_ship() -> None:
    assert package_names() == ["coal-cap", "freeze-for-freeze", "lift-textiles"]


def test_lifting_the_textile_ban_restores_textile_earnings(
    demo_store: Store, un_dprk: Regime
) -> None:
    estimate = relief(demo_store, ["lift-textiles"], baselines=[2016, 2017]).estimates[0]
    mean, low, high = estimate.restored
    assert (low, high) == (TEXTILES[2016], TEXTILES[2017])
    assert mean == pytest.approx((TEXTILES[2016] + TEXTILES[2017]) / 2)
    assert estimate.lifted == ("2375-op16",)
    assert "2375-op16" not in estimate.remaining
    rows = {r["baseline_year"]: r for r in estimate.rows.to_pylist()}
    assert round(rows[2016]["pressure_now_pct"], 1) == 79.3
    assert round(rows[2016]["pressure_kept_pct"], 1) == 57.2


def test_the_coal_cap_gives_back_the_cap_and_keeps_iron_ore_banned(
    demo_store: Store, un_dprk: Regime
) -> None:
    estimate = relief(demo_store, ["coal-cap"], baselines=[2016, 2017]).estimates[0]
    assert estimate.restored == (COAL_CAP_USD, COAL_CAP_USD, COAL_CAP_USD)
    assert estimate.changed == ("2371-op8", "2321-op26b")
    assert "2321-op26b" in estimate.remaining
    assert any("7,500,000 tonne" in note for note in estimate.notes)
    package, _ = resolve_package("coal-cap")
    after = apply_package(un_dprk, package)
    assert after.measure("2371-op8").scope.hs == ("2601",)
    assert after.effective_end("2321-op26b") is None


def test_freeze_for_freeze_lifts_textiles_and_seafood(demo_store: Store) -> None:
    estimate = relief(demo_store, ["freeze-for-freeze"], baselines=[2016, 2017]).estimates[0]
    _, low, high = estimate.restored
    assert low == TEXTILES[2017] + SEAFOOD[2017]
    assert high == TEXTILES[2016] + SEAFOOD[2016]
    assert set(estimate.lifted) == {"2371-op9", "2375-op16"}
    assert {t.value for t in estimate.package.broken_by} >= {"nuclear-test", "icbm"}


def test_relief_cli_side_by_side(demo_location: str, tmp_path: Path) -> None:
    own = tmp_path / "mine.yaml"
    own.write_text(
        "name: Lift the statue ban\nrelief:\n  - lift: 2321-op29\n    from: 2020-01-01\n",
        encoding="utf-8",
    )
    args = ["relief", "lift-textiles", str(own), "--store", demo_location]
    result = CliRunner().invoke(app, [*args, "--baseline", "2016", "--format", "json"])
    assert result.exit_code == 0, result.output
    packages = json.loads(result.stdout)["packages"]
    assert [p["package"] for p in packages] == ["Lift the textile ban", "Lift the statue ban"]
    assert packages[1]["restored_usd"] == 0
    table = CliRunner().invoke(app, args)
    assert "Lift the statue ban" in table.stdout
    assert "pressure kept" in table.stdout


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            "name: x\nrelief:\n  - lift: 2375-op99\n    from: 2019-01-01\n",
            "x.yaml:3: relief[0].lift",
            'unknown measure "2375-op99" in un-dprk',
        ),
        (
            "name: x\nrelief:\n  - cap: 2375-op16\n    from: 2019-01-01\n",
            "x.yaml:3: relief[0].cap",
            "2375-op16 is a ban, not a cap",
        ),
        (
            "name: x\nrelief:\n  - lift: 2371-op8\n    hs: ['2701', '03']\n    from: 2019-01-01\n",
            "x.yaml:4: relief[0].hs[1]",
            '"03" is not in 2371-op8',
        ),
        (
            "name: x\ncommitments:\n  - text: no tests\n    broken_by: [nuclear]\n"
            "relief:\n  - lift: 2375-op16\n    from: 2019-01-01\n",
            "x.yaml:4: commitments[0].broken_by[0]",
            "Input should be",
        ),
        (
            "name: x\nrelief:\n  - lift: 2375-op16\n    from: 2019-13-01\n",
            "x.yaml:4: relief[0].from",
            "month value is outside expected range of 1-12",
        ),
        ("name: [x\n", "x.yaml:2", "not valid YAML"),
    ],
)
def test_bad_packages_name_file_line_and_field(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PackageError) as caught:
        load_package(path)
    assert str(caught.value).startswith(str(tmp_path / where))
    assert message in str(caught.value)


def test_bad_package_on_the_command_line_is_one_line(demo_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nrelief:\n  - lift: nope\n    from: 2019-01-01\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["relief", str(path), "--store", str(demo_file)])
    assert result.exit_code == 1
    assert f"{path}:3: relief[0].lift: unknown measure" in result.stderr


def test_an_alias_bomb_package_is_refused_before_it_expands(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(alias_bomb(), encoding="utf-8")
    started = time.monotonic()
    result = CliRunner().invoke(app, ["relief", str(path), "--store", str(tmp_path / "store")])
    assert time.monotonic() - started < 5
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {path}:4: aliases repeat more than 10000 values by here "
        "(nested aliases expand exponentially); write the values out"
    )
