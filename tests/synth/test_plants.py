"""The synthetic world's plants name only measures the shipped catalog holds."""

from __future__ import annotations

from sanctionwatch import Regime, Status
from sanctionwatch.synth._evasion import EVASION_SIGNALS
from sanctionwatch.synth._plants import EXPECTED_CAPS, PLANTS


def _named() -> dict[str, set[str]]:
    """Where each measure id the plants name is named."""
    named: dict[str, set[str]] = {}
    for plant in PLANTS:
        for measure_id, _ in plant.bans:
            named.setdefault(measure_id, set()).add(f"ban plant {plant.period} {plant.hs_code}")
    for cap in EXPECTED_CAPS:
        named.setdefault(cap.measure_id, set()).add(f"cap {cap.cap_period}")
    for signal in EVASION_SIGNALS:
        if signal.measure_id is not None:
            named.setdefault(signal.measure_id, set()).add(f"{signal.kind} signal")
    return named


def test_every_measure_a_plant_names_is_in_the_catalog(un_dprk: Regime) -> None:
    ids = {m.id for m in un_dprk.measures}
    named = _named()
    assert {k: v for k, v in named.items() if k not in ids} == {}
    assert len(named) > 5


def test_every_status_a_plant_expects_is_a_status() -> None:
    expected = {status for p in PLANTS for _, status in p.bans} | {c.status for c in EXPECTED_CAPS}
    assert expected - {s.value for s in Status} == set()
