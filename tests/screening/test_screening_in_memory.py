"""A few names are screened in the in-memory index, many in the engine: the answers agree.

The labelled sets (`evaluation_set`, `independent_set`) are screened once as a whole, which
takes the engine, and again in small batches, which take the in-memory index; every result
line, score, explanation and piece of evidence must be the same.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyarrow as pa
import pytest

from sanctionwatch.screening import (
    DEFAULT_THRESHOLD,
    IN_MEMORY_NAMES,
    QUERIES,
    ListFile,
    Screener,
    Screening,
    evaluation_set,
    independent_set,
    name_queries,
)


@pytest.fixture(scope="module")
def labelled_names(un_2020: ListFile, ofac_2024: ListFile) -> list[str]:
    labelled = [
        *evaluation_set([un_2020, ofac_2024]),
        *independent_set([un_2020, ofac_2024]),
    ]
    names = sorted({item.name for item in labelled})
    assert len(names) > 4 * IN_MEMORY_NAMES
    return names


def lines(screening: Screening) -> list[dict[str, Any]]:
    """Every result line without its row number, with the evidence behind it."""
    found = []
    for line in screening.results.to_pylist():
        key = (line["row"], line["list_version"], line["ref"])
        evidence = screening.features.get(key, {})
        found.append(
            {k: v for k, v in line.items() if k != "row"}
            | {"features": {name: (f.score, f.detail) for name, f in evidence.items()}}
        )
    return found


def in_batches(screener: Screener, queries: pa.Table, threshold: float) -> list[dict[str, Any]]:
    found = []
    for start in range(0, queries.num_rows, IN_MEMORY_NAMES):
        batch = queries.slice(start, IN_MEMORY_NAMES)
        found.extend(lines(screener.screen(batch, threshold=threshold)))
    return found


@pytest.mark.parametrize("threshold", [DEFAULT_THRESHOLD, 0.5])
def test_labelled_names_score_alike_in_memory_and_in_the_engine(
    screener: Screener, labelled_names: list[str], threshold: float
) -> None:
    queries = name_queries(labelled_names)
    whole = lines(screener.screen(queries, threshold=threshold))
    batched = in_batches(screener, queries, threshold)
    assert len(whole) == len(batched)
    differing = [(one, other) for one, other in zip(whole, batched, strict=True) if one != other]
    assert not differing, differing[:3]
    assert sum(line["status"] == "match" for line in whole) > 100


def test_evidence_scores_alike_in_memory_and_in_the_engine(
    screener: Screener, ofac_2024: ListFile, labelled_names: list[str]
) -> None:
    """Dates of birth, countries and IMO numbers, right and wrong, on top of the names."""
    entries = [entry for entry in ofac_2024.entries if entry.birth_dates or entry.imo_numbers]
    rows: list[dict[str, Any]] = []
    for number, entry in enumerate(entries[:150]):
        date = entry.birth_dates[0] if entry.birth_dates else None
        rows.append(
            {
                "name": entry.name if number % 3 else labelled_names[number],
                "birth_date": date if number % 2 else "1901-01-01",
                "country": ("KP", "Russia", None)[number % 3],
                "imo": entry.imo_numbers[0] if entry.imo_numbers else None,
            }
        )
    rows = rows * 3
    queries = pa.Table.from_pylist(
        [{"row": number, **row} for number, row in enumerate(rows, 1)], schema=QUERIES
    )
    assert len(set(queries.column("name").to_pylist())) <= IN_MEMORY_NAMES
    engine = Screener(screener.lists)
    whole = lines(engine.screen(pa.concat_tables([queries, *extra_names(labelled_names)])))
    batched = lines(engine.screen(queries))
    assert whole[: len(batched)] == batched
    assert any(line["features"].get("imo_number") for line in batched)
    assert any(line["features"].get("birth_date") for line in batched)


def extra_names(names: list[str]) -> list[pa.Table]:
    """Distinct names after the rows of interest, so that the whole takes the engine."""
    extra = name_queries(names).to_pylist()
    return [
        pa.Table.from_pylist([{**row, "row": 10_000 + row["row"]} for row in extra], schema=QUERIES)
    ]


class _NoEngine:
    """A backend that fails on use: a few names must not need the engine."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the engine was used ({name})")


def test_a_few_names_are_screened_without_the_engine(
    un_2020: ListFile, ofac_2024: ListFile
) -> None:
    screener = Screener([un_2020, ofac_2024], backend=_NoEngine())
    screening = screener.screen(name_queries(["Lee Won-ho", "Kim Jong-un", "John Doe"]))
    found = {(line["name"], line["ref"]) for line in screening.matches.to_pylist()}
    assert ("Kim Jong-un", "20157") in found
    assert ("Lee Won-ho", "KPi.033") in found


def test_screenings_from_many_threads_answer_as_one_at_a_time(
    screener: Screener, labelled_names: list[str]
) -> None:
    batches = [name_queries(labelled_names[start::40][:20]) for start in range(40)]
    alone = [lines(screener.screen(batch)) for batch in batches]
    started = threading.Barrier(8, timeout=30)

    def together(number: int) -> list[dict[str, Any]]:
        if number < 8:
            started.wait()
        return lines(screener.screen(batches[number]))

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(together, range(len(batches)))) == alone
