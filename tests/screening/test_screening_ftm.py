"""followthemoney export: entries and matches as entities OpenSanctions tools can read."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest

from sanctionwatch.screening import (
    QUERIES,
    ListFile,
    Screener,
    entity_id,
    list_entities,
    match_entities,
    to_json_lines,
)


def by_id(lists: list[ListFile]) -> dict[str, dict[str, Any]]:
    return {entity["id"]: entity for entity in list_entities(lists)}


def test_person_entity_carries_names_dates_and_codes(un_2020: ListFile) -> None:
    person = by_id([un_2020])["sw-un-kpi-047"]
    assert person["schema"] == "Person"
    properties = person["properties"]
    assert properties["name"] == ["MIN BYONG CHOL"]
    assert properties["alias"] == [
        "Min Pyo\u2019ng-ch\u2019o\u2019l",
        "Min Byong-chol",
        "Min Byong Chun",
    ]
    assert properties["birthDate"] == ["1948-08-10"]
    assert properties["nationality"] == ["kp"]
    assert properties["topics"] == ["sanction"]


def test_vessel_entity_and_its_sanction(ofac_2024: ListFile) -> None:
    entities = by_id([ofac_2024])
    vessel = entities["sw-ofac-17069"]
    assert vessel["schema"] == "Vessel"
    assert vessel["properties"]["imoNumber"] == ["IMO7937317"]
    assert vessel["properties"]["flag"] == ["kp"]
    sanction = entities["sw-ofac-17069-sanction"]
    assert sanction["schema"] == "Sanction"
    assert sanction["properties"]["entity"] == ["sw-ofac-17069"]
    assert sanction["properties"]["program"] == ["DPRK"]
    assert sanction["properties"]["publisher"][0].startswith("ofac@2024-05-03")


def test_every_entry_exports_once_with_a_sanction(un_2020: ListFile, ofac_2024: ListFile) -> None:
    entities = list(list_entities([un_2020, ofac_2024]))
    assert len(entities) == 2 * (155 + 484)
    lines = to_json_lines(entities).splitlines()
    assert json.loads(lines[0])["id"] == entity_id("un", un_2020.entries[0].ref)


def test_matches_export_as_similar_links(screener: Screener) -> None:
    queries = pa.Table.from_pylist(
        [{"row": 1, "name": "Lee Won-ho", "birth_date": None, "country": None, "imo": None}],
        schema=QUERIES,
    )
    matches = screener.screen(queries).matches
    entities = list(match_entities(matches, source_label="names.csv"))
    query, *links = entities
    assert query["schema"] == "LegalEntity"
    assert {link["properties"]["match"][0] for link in links} == {
        "sw-un-kpi-033",
        "sw-ofac-19609",
    }
    assert all(link["properties"]["candidate"] == [query["id"]] for link in links)


def test_entities_are_valid_followthemoney(un_2020: ListFile, ofac_2024: ListFile) -> None:
    model = pytest.importorskip("followthemoney").model
    for entity in list_entities([un_2020, ofac_2024]):
        proxy = model.get_proxy(entity, cleaned=False)
        for name, values in entity["properties"].items():
            assert name in proxy.schema.properties, (entity["id"], name)
            assert len(proxy.get(name)) == len(values), (entity["id"], name)
