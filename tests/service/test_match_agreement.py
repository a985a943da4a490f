"""`POST /match` answers as `screen` does, and answers requests side by side.

The store holds the real UN (2020) and OFAC (2024) lists; every name of the labelled sets is
asked of `/match` one query per name, and screened by `screen` all at once (the engine's
way). Matches, scores and explanations must agree.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sanctionwatch.screening import (
    DEFAULT_THRESHOLD,
    IN_MEMORY_NAMES,
    Screener,
    entity_id,
    evaluation_set,
    independent_set,
    load_list,
    screen,
    select_lists,
)
from sanctionwatch.service import match_routes
from sanctionwatch.service._match import Matcher
from sanctionwatch.store import Store
from tests.conftest import shared_file

LISTS = ("un_consolidated_list_2020-03-20.xml", "ofac_sdn_2024-05-03.csv")


@pytest.fixture(scope="module")
def real_lists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    paths = [shared_file(name) for name in LISTS]
    location = tmp_path_factory.mktemp("real-lists") / "lists.duckdb"
    with Store.open(location) as store:
        for path in paths:
            load_list(store, path)
    return location


@pytest.fixture(scope="module")
def labelled_names(real_lists: Path) -> list[str]:
    with Store.open(real_lists, read_only=True) as store:
        lists = select_lists(store)
    labelled = [*evaluation_set(lists), *independent_set(lists)]
    return sorted({item.name for item in labelled})


def screened(location: Path, names: list[str], threshold: float) -> list[dict[str, Any]]:
    """Per name, {entity id: (score, explanation)} of its matches as `screen` finds them."""
    assert len(names) > IN_MEMORY_NAMES
    with Store.open(location, read_only=True) as store:
        screening = screen(store, names=names, threshold=threshold)
    found: list[dict[str, Any]] = [{} for _ in names]
    for match in screening.matches.to_pylist():
        found[match["row"] - 1][entity_id(match["list"], match["ref"])] = (
            match["score"],
            match["explanation"],
        )
    return found


def matched(client: TestClient, names: list[str], threshold: float) -> list[dict[str, Any]]:
    """The same from `/match/default`, one query per name, a hundred to a request."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(names), 100):
        batch = names[start : start + 100]
        body = {
            "queries": {
                str(number): {"schema": "Thing", "properties": {"name": [name]}}
                for number, name in enumerate(batch)
            }
        }
        answer = client.post(f"/match/default?limit=500&threshold={threshold}", json=body)
        assert answer.status_code == 200, answer.text
        responses = answer.json()["responses"]
        for number in range(len(batch)):
            results = responses[str(number)]["results"]
            assert all(result["match"] for result in results)
            found.append(
                {result["id"]: (result["score"], result["explanation"]) for result in results}
            )
    return found


@pytest.mark.parametrize("threshold", [DEFAULT_THRESHOLD, 0.7])
def test_match_agrees_with_screen_on_the_labelled_names(
    real_lists: Path, labelled_names: list[str], threshold: float
) -> None:
    client = TestClient(Starlette(routes=match_routes(real_lists)))
    by_match = matched(client, labelled_names, threshold)
    by_screen = screened(real_lists, labelled_names, threshold)
    differing = [
        (name, one, other)
        for name, one, other in zip(labelled_names, by_match, by_screen, strict=True)
        if one != other
    ]
    assert not differing, differing[:3]
    assert sum(bool(found) for found in by_screen) > 1000


def test_requests_are_screened_side_by_side(
    real_lists: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests are inside the screener at once: neither waits for the other."""
    matcher = Matcher(real_lists)
    body = {"queries": {"q": {"schema": "Person", "properties": {"name": ["Ri Won Ho"]}}}}
    matcher.match("default", body, {})
    both_inside = threading.Barrier(2, timeout=20)
    screen_alone = Screener.screen

    def screen_together(self: Any, *args: Any, **kwargs: Any) -> Any:
        both_inside.wait()
        return screen_alone(self, *args, **kwargs)

    monkeypatch.setattr(Screener, "screen", screen_together)
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: matcher.match("default", body, {}), range(2)))
    for answer in answers:
        ids = {result["id"] for result in answer["responses"]["q"]["results"]}
        assert {"sw-un-kpi-033", "sw-ofac-19609"} <= ids
