"""The labelled evaluation set: recall >= 0.98 with precision >= 0.9 at the default threshold."""

from __future__ import annotations

from collections import Counter

from sanctionwatch.screening import (
    DEFAULT_THRESHOLD,
    ListFile,
    Screener,
    evaluate,
    evaluation_set,
    name_key,
)
from sanctionwatch.screening._evaluation import HAND_WRITTEN_NEGATIVES


def test_default_threshold_keeps_recall_and_precision(
    un_2020: ListFile, ofac_2024: ListFile, screener: Screener
) -> None:
    result = evaluate([un_2020, ofac_2024], screener=screener)
    assert result.threshold == DEFAULT_THRESHOLD
    assert result.positives > 1500
    assert result.negatives > 500
    assert result.recall >= 0.98, result.misses[:10]
    assert result.precision >= 0.9, result.false_alarms[:10]


def test_set_covers_every_rule(un_2020: ListFile, ofac_2024: ListFile) -> None:
    rules = Counter(item.rule for item in evaluation_set([un_2020, ofac_2024]))
    assert set(rules) == {
        "hyphenated", "joined", "family-last", "south-korean", "western", "mccune-reischauer",
        "list-style", "lower-case", "legal-form", "hand-written", "generated",
    }  # fmt: skip
    assert rules["generated"] == 400


def test_hand_written_negatives_are_not_listed(un_2020: ListFile, ofac_2024: ListFile) -> None:
    listed = {
        form
        for listing in (un_2020, ofac_2024)
        for entry in listing.entries
        for name in entry.names
        for form, _ in name_key(name.name).forms
    }
    clashes = [
        name
        for name in HAND_WRITTEN_NEGATIVES
        if listed & {form for form, _ in name_key(name).forms}
    ]
    assert clashes == []


def test_lower_threshold_costs_precision(
    un_2020: ListFile, ofac_2024: ListFile, screener: Screener
) -> None:
    default = evaluate([un_2020, ofac_2024], screener=screener)
    loose = evaluate([un_2020, ofac_2024], screener=screener, threshold=0.8)
    assert loose.false_positives > default.false_positives
    assert loose.precision < default.precision
    assert all(item.ref is None for item, _ in loose.false_alarms)
