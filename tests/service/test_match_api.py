"""`POST /match/{dataset}` answers yente's documented requests in yente's response shape.

The requests below are written as yente documents them; each names where it comes from. They
run against a store holding a small UN list (official XML layout) and a small OFAC SDN list
(official headerless CSV), through starlette's TestClient.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from followthemoney import model
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sanctionwatch.screening import DEFAULT_THRESHOLD, load_list
from sanctionwatch.service import match_routes
from sanctionwatch.store import Store

UN_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<CONSOLIDATED_LIST dateGenerated="2020-03-20T00:00:00"><INDIVIDUALS>'
    "<INDIVIDUAL><DATAID>6908555</DATAID><FIRST_NAME>RI</FIRST_NAME>"
    "<SECOND_NAME>WON HO</SECOND_NAME><UN_LIST_TYPE>DPRK</UN_LIST_TYPE>"
    "<REFERENCE_NUMBER>KPi.033</REFERENCE_NUMBER><LISTED_ON>2016-11-30</LISTED_ON>"
    "<COMMENTS1>Ri Won Ho is a DPRK Ministry of State Security Official.</COMMENTS1>"
    "<NATIONALITY><VALUE>Democratic People's Republic of Korea</VALUE></NATIONALITY>"
    "<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1964-07-17</DATE>"
    "</INDIVIDUAL_DATE_OF_BIRTH></INDIVIDUAL>"
    "</INDIVIDUALS><ENTITIES>"
    "<ENTITY><DATAID>110445</DATAID><FIRST_NAME>KOREA MINING DEVELOPMENT TRADING CORPORATION"
    "</FIRST_NAME><UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPe.001</REFERENCE_NUMBER>"
    "<LISTED_ON>2009-04-24</LISTED_ON><ENTITY_ALIAS><QUALITY>Good</QUALITY>"
    "<ALIAS_NAME>KOMID</ALIAS_NAME></ENTITY_ALIAS></ENTITY>"
    "</ENTITIES></CONSOLIDATED_LIST>"
)
OFAC_CSV = (
    '17069,"CHONG CHON GANG","vessel","DPRK",-0- ,-0- ,"General Cargo",-0- ,-0- ,'
    '"Democratic People\'s Republic of Korea",-0- ,"Vessel Registration Identification '
    'IMO 7937317."\n'
    '12345,"KIM, Chol Su","individual","DPRK",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    '"DOB 12 Mar 1970; nationality Korea, North."\n'
)

# yente/routers/match.py, the docstring of `match`: "the following would be valid query
# examples".
YENTE_DOCSTRING_QUERIES = {
    "queries": {
        "entity1": {
            "schema": "Person",
            "properties": {
                "name": ["John Doe"],
                "birthDate": ["1975-04-21"],
                "nationality": ["us"],
            },
        },
        "entity2": {
            "schema": "Company",
            "properties": {
                "name": ["Brilliant Amazing Limited"],
                "jurisdiction": ["hk"],
                "registrationNumber": ["84BA99810"],
            },
        },
    }
}
# yente tests/test_match.py, EXAMPLE: a property given as one string, not a list.
YENTE_TEST_EXAMPLE = {
    "schema": "Person",
    "properties": {
        "name": ["Vladimir Putin"],
        "birthDate": ["1952"],
        "country": "Russia",
    },
}
# opensanctions/api-examples, python/match_name.py: "query for entities of the Person schema
# matching a single full name".
API_EXAMPLES_MATCH_NAME = {
    "queries": {"q1": {"schema": "Person", "properties": {"name": ["Barack Obama"]}}}
}
# opensanctions.org/docs/api/quickstart/: a person by name parts and a birth year.
QUICKSTART_QUERY = {
    "schema": "Person",
    "properties": {
        "firstName": ["Aleksandr"],
        "lastName": ["Zacharov"],
        "birthDate": ["1965"],
    },
}

ENTITY_KEYS = {
    "id",
    "caption",
    "schema",
    "properties",
    "datasets",
    "referents",
    "target",
    "first_seen",
    "last_seen",
    "last_change",
}
SCORED_KEYS = ENTITY_KEYS | {"score", "match", "features", "explanations", "explanation"}
SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    folder = tmp_path_factory.mktemp("match")
    (folder / "consolidated.xml").write_text(UN_XML, "utf-8")
    (folder / "sdn_2024-05-03.csv").write_text(OFAC_CSV, "utf-8")
    location = folder / "lists.duckdb"
    with Store.open(location) as store:
        load_list(store, folder / "consolidated.xml")
        load_list(store, folder / "sdn_2024-05-03.csv")
    return TestClient(Starlette(routes=match_routes(location)))


def assert_scored_entity(result: dict[str, Any]) -> None:
    """yente's ScoredEntityResponse, key by key and type by type."""
    assert set(result) == SCORED_KEYS, sorted(result)
    assert isinstance(result["id"], str)
    assert result["id"]
    assert isinstance(result["caption"], str)
    assert result["caption"]
    assert result["schema"] in model.schemata
    assert isinstance(result["properties"], dict)
    for name, values in result["properties"].items():
        assert model.get(result["schema"]).get(name) is not None, name
        assert isinstance(values, list), name
        assert all(isinstance(v, str) for v in values), name
    assert all(isinstance(name, str) for name in result["datasets"])
    assert result["datasets"]
    assert isinstance(result["referents"], list)
    assert isinstance(result["target"], bool)
    for key in ("first_seen", "last_seen", "last_change"):
        assert result[key] is None or SECONDS.match(result[key]), (key, result[key])
    assert isinstance(result["score"], float)
    assert 0.0 <= result["score"] <= 1.0
    assert isinstance(result["match"], bool)
    assert isinstance(result["features"], dict)
    assert all(isinstance(v, float) for v in result["features"].values())
    assert set(result["explanations"]) == set(result["features"])
    for name, explained in result["explanations"].items():
        assert set(explained) == {"score", "detail", "query", "candidate"}
        assert explained["score"] == result["features"][name]
        assert isinstance(explained["detail"], str)
        assert explained["detail"]
    assert isinstance(result["explanation"], str)
    assert result["explanation"]


def assert_matches_shape(answer: dict[str, Any], keys: set[str], limit: int) -> None:
    """yente's EntityMatchResponse: a response per query key, and the limit."""
    assert set(answer) == {"responses", "limit"}
    assert answer["limit"] == limit
    assert set(answer["responses"]) == keys
    for response in answer["responses"].values():
        assert set(response) == {"status", "results", "total", "query"}
        assert response["status"] == 200
        assert set(response["total"]) == {"value", "relation"}
        assert response["total"]["relation"] == "eq"
        assert isinstance(response["total"]["value"], int)
        assert response["total"]["value"] >= len(response["results"])
        assert len(response["results"]) <= limit
        assert set(response["query"]) == {"id", "schema", "properties"}
        for result in response["results"]:
            assert_scored_entity(result)


def test_yente_docstring_example_answers_in_yente_shape(client: TestClient) -> None:
    answer = client.post("/match/default", json=YENTE_DOCSTRING_QUERIES)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-batch-size"] == "2"
    payload = answer.json()
    assert_matches_shape(payload, {"entity1", "entity2"}, 5)
    person, company = payload["responses"]["entity1"], payload["responses"]["entity2"]
    assert person["query"]["properties"]["nationality"] == ["us"]
    assert company["query"]["properties"]["registrationNumber"] == ["84BA99810"]
    assert person["results"] == []
    assert company["results"] == []


def test_yente_test_example_reads_one_string_as_a_value_and_passes_the_id(
    client: TestClient,
) -> None:
    example = {**YENTE_TEST_EXAMPLE, "id": "putin"}
    query = {"queries": {"vv": example, "xx": YENTE_TEST_EXAMPLE, "zz": YENTE_TEST_EXAMPLE}}
    answer = client.post("/match/default", json=query)
    assert answer.status_code == 200, answer.text
    payload = answer.json()
    assert_matches_shape(payload, {"vv", "xx", "zz"}, 5)
    echoed = payload["responses"]["vv"]["query"]
    assert (echoed["id"], echoed["schema"]) == ("putin", "Person")
    assert echoed["properties"]["country"] == ["ru"]
    assert payload["responses"]["xx"]["query"]["id"] is None


def test_api_examples_and_quickstart_requests_are_answered(client: TestClient) -> None:
    for body in (API_EXAMPLES_MATCH_NAME, {"queries": {"q": QUICKSTART_QUERY}}):
        answer = client.post("/match/default", json=body)
        assert answer.status_code == 200, answer.text
        assert_matches_shape(answer.json(), set(body["queries"]), 5)


def test_a_listed_person_is_the_hit_with_its_features(client: TestClient) -> None:
    query = {
        "schema": "Person",
        "properties": {"name": ["Ri Won Ho"], "birthDate": ["1964-07-17"], "nationality": ["kp"]},
    }
    answer = client.post("/match/default", json={"queries": {"q1": query}})
    assert answer.status_code == 200, answer.text
    payload = answer.json()
    assert_matches_shape(payload, {"q1"}, 5)
    (hit,) = payload["responses"]["q1"]["results"]
    assert (hit["id"], hit["caption"], hit["schema"]) == ("sw-un-kpi-033", "RI WON HO", "Person")
    assert hit["datasets"] == ["un"]
    assert hit["target"] is True
    assert hit["properties"]["birthDate"] == ["1964-07-17"]
    assert (hit["first_seen"], hit["last_seen"]) == ("2016-11-30T00:00:00", "2020-03-20T00:00:00")
    assert hit["score"] == 1.0
    assert hit["match"] is True
    assert hit["features"] == {"name": 1.0, "birth_date": 0.05, "country": 0.02}
    assert hit["explanations"]["name"]["query"] == "Ri Won Ho"
    assert hit["explanations"]["name"]["candidate"] == "RI WON HO"
    assert "date of birth 1964-07-17 matches" in hit["explanation"]


def test_name_parts_are_joined_into_a_name(client: TestClient) -> None:
    query = {"schema": "Person", "properties": {"firstName": ["Chol Su"], "lastName": ["Kim"]}}
    answer = client.post("/match/ofac", json={"queries": {"q": query}})
    (hit,) = answer.json()["responses"]["q"]["results"]
    assert hit["id"] == "sw-ofac-12345"
    assert hit["match"] is True


def test_a_vessel_is_found_by_its_imo_number(client: TestClient) -> None:
    query = {"schema": "Vessel", "properties": {"name": ["Other Name"], "imoNumber": ["7937317"]}}
    answer = client.post("/match/ofac", json={"queries": {"ship": query}})
    (hit,) = answer.json()["responses"]["ship"]["results"]
    assert (hit["id"], hit["schema"], hit["score"]) == ("sw-ofac-17069", "Vessel", 1.0)
    assert hit["features"]["imo_number"] == 1.0
    assert hit["properties"]["imoNumber"] == ["IMO7937317"]


def test_a_query_is_compared_only_with_its_kind_of_entity(client: TestClient) -> None:
    body = {"queries": {"q": {"schema": "Organization", "properties": {"name": ["Ri Won Ho"]}}}}
    assert client.post("/match/default", json=body).json()["responses"]["q"]["results"] == []
    body["queries"]["q"]["properties"]["name"] = ["KOMID"]
    (hit,) = client.post("/match/default", json=body).json()["responses"]["q"]["results"]
    assert hit["id"] == "sw-un-kpe-001"


def test_dataset_path_chooses_the_list(client: TestClient) -> None:
    body = {"queries": {"q": {"schema": "Person", "properties": {"name": ["Ri Won Ho"]}}}}
    assert len(client.post("/match/un", json=body).json()["responses"]["q"]["results"]) == 1
    assert client.post("/match/ofac", json=body).json()["responses"]["q"]["results"] == []
    missing = client.post("/match/eu", json=body)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No such dataset."}


def test_threshold_cutoff_and_limit_follow_yente(client: TestClient) -> None:
    body = {"queries": {"q": {"schema": "Person", "properties": {"name": ["Ri Won Hoo"]}}}}
    default = client.post("/match/default", json=body).json()["responses"]["q"]
    assert default["results"] == []
    assert DEFAULT_THRESHOLD == 0.9
    loose = client.post("/match/default", json=body, params={"threshold": 0.5}).json()
    (near,) = loose["responses"]["q"]["results"]
    assert near["match"] is True
    assert 0.5 <= near["score"] < 0.9
    listed_only = client.post(
        "/match/default", json=body, params={"threshold": 0.95, "cutoff": 0.5}
    ).json()
    (candidate,) = listed_only["responses"]["q"]["results"]
    assert candidate["match"] is False
    limited = client.post(
        "/match/default",
        json={"queries": {"q": {"schema": "Thing", "properties": {"name": ["Kim"]}}}},
        params={"threshold": 0.1, "limit": 1},
    ).json()
    assert limited["limit"] == 1
    assert len(limited["responses"]["q"]["results"]) <= 1


def test_filters_of_yente_remove_results(client: TestClient) -> None:
    body = {"queries": {"q": {"schema": "Person", "properties": {"name": ["Ri Won Ho"]}}}}
    for params in (
        {"exclude_dataset": "un"},
        {"include_dataset": "ofac"},
        {"exclude_schema": "Person"},
        {"exclude_entity_ids": "sw-un-kpi-033"},
        {"topics": "crime.cyber"},
        {"changed_since": "2021-01-01"},
    ):
        answer = client.post("/match/default", json=body, params=params)
        assert answer.status_code == 200, answer.text
        assert answer.json()["responses"]["q"]["results"] == [], params
    kept = client.post("/match/default", json=body, params={"topics": "sanction"}).json()
    assert len(kept["responses"]["q"]["results"]) == 1


@pytest.mark.parametrize(
    ("body", "params", "status"),
    [
        # yente tests/test_match.py, test_match_no_schema: no schema is a validation error,
        # an unknown schema a bad request.
        ({"queries": {"fail": {"properties": {"name": "Banana"}}}}, {}, 422),
        ({"queries": {"fail": {"schema": "xxx", "properties": {"name": "Banana"}}}}, {}, 400),
        # yente tests/test_match.py, test_match_putin_name_based_mode: an unknown algorithm.
        ({"queries": {"vv": YENTE_TEST_EXAMPLE}}, {"algorithm": "neural-net"}, 400),
        ({"queries": {}}, {}, 400),
        ({"queries": {"vv": YENTE_TEST_EXAMPLE}, "config": {"invalid_option": 0.4}}, {}, 400),
        ({"queries": {"vv": YENTE_TEST_EXAMPLE}}, {"limit": "ten"}, 422),
        ({"queries": {"vv": YENTE_TEST_EXAMPLE}}, {"threshold": "2"}, 422),
        ([1, 2], {}, 422),
    ],
)
def test_refusals_have_yente_status_and_detail(
    client: TestClient, body: Any, params: dict[str, str], status: int
) -> None:
    answer = client.post("/match/default", json=body, params=params)
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    if status == 422:
        assert isinstance(detail[0]["msg"], str)
        assert isinstance(detail[0]["loc"], list)
    else:
        assert isinstance(detail, str)
        assert detail


def test_yente_algorithm_names_are_accepted(client: TestClient) -> None:
    body = {"queries": {"vv": YENTE_TEST_EXAMPLE}}
    for algorithm in ("name-based", "logic-v1", "best"):
        answer = client.post("/match/default", json=body, params={"algorithm": algorithm})
        assert answer.status_code == 200, answer.text


def test_bounds_on_batch_combinations_and_body(client: TestClient) -> None:
    many = {"queries": {f"q{n}": YENTE_TEST_EXAMPLE for n in range(101)}}
    assert client.post("/match/default", json=many).status_code == 400
    names = [f"Name {n}" for n in range(30)]
    dates = [f"19{n:02d}" for n in range(20)]
    wide = {"schema": "Person", "properties": {"name": names, "birthDate": dates}}
    answer = client.post("/match/default", json={"queries": {"wide": wide}})
    assert answer.status_code == 400
    assert "600 combinations" in answer.json()["detail"]
    huge = b'{"queries": {"q": {"schema": "Person", "properties": {"name": ["' + b"a" * 3_000_000
    assert client.post("/match/default", content=huge).status_code == 413
    not_json = client.post("/match/default", content=b"{not json")
    assert not_json.status_code == 422


def test_lists_loaded_after_start_are_matched(tmp_path: Path) -> None:
    location = tmp_path / "later.duckdb"
    with Store.open(location):
        pass
    client = TestClient(Starlette(routes=match_routes(location)))
    body = {"queries": {"q": {"schema": "Person", "properties": {"name": ["Ri Won Ho"]}}}}
    empty = client.post("/match/default", json=body)
    assert empty.status_code == 404
    assert "lists load" in empty.json()["detail"]
    (tmp_path / "consolidated.xml").write_text(UN_XML, "utf-8")
    with Store.open(location) as store:
        load_list(store, tmp_path / "consolidated.xml")
    (hit,) = client.post("/match/default", json=body).json()["responses"]["q"]["results"]
    assert hit["id"] == "sw-un-kpi-033"
