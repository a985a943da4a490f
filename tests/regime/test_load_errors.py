"""A bad regime file fails with one message naming the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanctionwatch import RegimeError, load_regime

VALID = """\
id: test
name: Test regime
target: PRK
target_code: 408
measures:
  - id: coal-cap
    title: Coal cap
    resolution: "2321"
    paragraph: OP26(b)
    citation:
      document: S/RES/2321 (2016)
      url: https://undocs.org/S/RES/2321(2016)
    direction: from_target
    scope:
      hs: ["2701"]
      hs_version: 2012
    kind: cap
    start: 2017-01-01
    end: 2017-12-31
    cap:
      limits:
        - {amount: 400870018, unit: USD}
      period: {kind: calendar_year}
  - id: coal-ban
    title: Coal ban
    resolution: "2371"
    paragraph: OP8
    citation:
      document: S/RES/2371 (2017)
      url: https://undocs.org/S/RES/2371(2017)
    direction: from_target
    scope:
      hs: ["2701", "50-63"]
      hs_version: 2017
    kind: ban
    start: 2017-08-05
    grace:
      days: 30
    supersedes:
      - {measure: coal-cap, from: 2017-08-05}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "regime.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(RegimeError) as caught:
        load_regime(path)
    return str(caught.value).replace(str(path), "regime.yaml")


def test_the_valid_file_loads(tmp_path: Path) -> None:
    regime = load_regime(write(tmp_path, VALID))
    assert [m.id for m in regime.measures] == ["coal-cap", "coal-ban"]


def test_unknown_hs_chapter(tmp_path: Path) -> None:
    text = VALID.replace('hs: ["2701", "50-63"]', 'hs: ["2701", "99"]')
    assert error_for(tmp_path, text) == (
        'regime.yaml:33: measures[1] (coal-ban).scope.hs: unknown HS chapter "99"'
    )


def test_chapter_range_past_the_nomenclature(tmp_path: Path) -> None:
    text = VALID.replace('"50-63"', '"50-99"')
    assert error_for(tmp_path, text) == (
        'regime.yaml:33: measures[1] (coal-ban).scope.hs: unknown HS chapter "99" in range "50-99"'
    )


def test_end_before_start(tmp_path: Path) -> None:
    text = VALID.replace("end: 2017-12-31", "end: 2016-12-31")
    assert error_for(tmp_path, text) == (
        "regime.yaml:19: measures[0] (coal-cap).end: end 2016-12-31 is before start 2017-01-01"
    )


def test_cap_limit_with_no_unit(tmp_path: Path) -> None:
    text = VALID.replace("{amount: 400870018, unit: USD}", "{amount: 400870018}")
    assert error_for(tmp_path, text) == (
        "regime.yaml:22: measures[0] (coal-cap).cap.limits[0].unit: Field required"
    )


def test_cap_with_an_unknown_unit(tmp_path: Path) -> None:
    text = VALID.replace("unit: USD}", "unit: EUR}")
    message = error_for(tmp_path, text)
    assert message.startswith("regime.yaml:22: measures[0] (coal-cap).cap.limits[0].unit: ")
    assert "'USD', 'tonne' or 'barrel'" in message


def test_supersession_of_an_unknown_measure(tmp_path: Path) -> None:
    text = VALID.replace("{measure: coal-cap,", "{measure: coal-quota,")
    assert error_for(tmp_path, text) == (
        "regime.yaml:40: measures[1] (coal-ban).supersedes[0].measure: "
        'supersedes unknown measure "coal-quota"'
    )


def test_duplicate_ids(tmp_path: Path) -> None:
    text = VALID.replace("  - id: coal-ban", "  - id: coal-cap")
    assert error_for(tmp_path, text) == (
        'regime.yaml:24: measures[1] (coal-cap).id: duplicate measure id "coal-cap" '
        "(first at measures[0])"
    )


def test_unquoted_code_loses_its_leading_zero(tmp_path: Path) -> None:
    text = VALID.replace('hs: ["2701"]', "hs: [03]")
    assert error_for(tmp_path, text) == (
        "regime.yaml:15: measures[0] (coal-cap).scope.hs: "
        "HS code 3 must be quoted so leading zeros survive"
    )


def test_missing_field(tmp_path: Path) -> None:
    text = VALID.replace("    direction: from_target\n", "", 1)
    assert error_for(tmp_path, text) == (
        "regime.yaml:6: measures[0] (coal-cap).direction: Field required"
    )


def test_not_yaml(tmp_path: Path) -> None:
    message = error_for(tmp_path, "id: [unclosed\n")
    assert message.startswith("regime.yaml:2: not valid YAML")


def test_not_a_mapping(tmp_path: Path) -> None:
    assert error_for(tmp_path, "- a\n- b\n") == (
        "regime.yaml:1: expected a mapping with id, name, target and measures"
    )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RegimeError, match=r"nope\.yaml: No such file or directory"):
        load_regime(tmp_path / "nope.yaml")


def test_an_exemption_outside_its_measures_scope(tmp_path: Path) -> None:
    text = VALID.replace(
        "    supersedes:\n      - {measure: coal-cap",
        "    exemptions:\n"
        '      - {id: aircraft, text: Aircraft parts, observable: false, hs: ["8803"]}\n'
        "    supersedes:\n      - {measure: coal-cap",
    )
    assert error_for(tmp_path, text) == (
        "regime.yaml:40: measures[1] (coal-ban).exemptions[0] (aircraft).hs: "
        'exemption "aircraft" names HS code 8803, outside the measure\'s scope'
    )


def test_a_grace_outside_its_measures_scope(tmp_path: Path) -> None:
    text = VALID.replace("      days: 30\n", '      days: 30\n      hs: ["2601"]\n')
    assert error_for(tmp_path, text) == (
        "regime.yaml:39: measures[1] (coal-ban).grace.hs: "
        "grace names HS code 2601, outside the measure's scope"
    )


def test_cap_terms_that_overlap(tmp_path: Path) -> None:
    text = VALID.replace(
        "    cap:\n      limits:",
        "    cap:\n"
        "      terms:\n"
        "        - {from: 2017-01-01, to: 2017-03-31, limits: [{amount: 1, unit: USD}]}\n"
        "        - {from: 2017-03-01, to: 2017-06-30, limits: [{amount: 2, unit: USD}]}\n"
        "      limits:",
    )
    assert error_for(tmp_path, text) == (
        "regime.yaml:23: measures[0] (coal-cap).cap.terms[1].from: "
        "cap term 2017-03-01..2017-06-30 overlaps the term 2017-01-01..2017-03-31"
    )


def test_an_item_value_threshold_with_no_unit(tmp_path: Path) -> None:
    text = VALID.replace(
        "    grace:\n      days: 30\n", '    item_value:\n      - {hs: ["2701"], over: 500}\n'
    )
    assert error_for(tmp_path, text) == (
        "regime.yaml:38: measures[1] (coal-ban).item_value[0].unit: Field required"
    )


def test_verified_is_not_set_by_hand(tmp_path: Path) -> None:
    text = VALID.replace("    paragraph: OP8\n", "    paragraph: OP8\n    verified: true\n")
    assert error_for(tmp_path, text) == (
        "regime.yaml:24: measures[1] (coal-ban): verified is derived from the evidence: "
        "remove it and cite the sources that confirm each field under evidence:"
    )


def test_evidence_cannot_support_a_field_the_measure_lacks(tmp_path: Path) -> None:
    text = VALID.replace(
        "    kind: cap\n",
        "    kind: cap\n"
        "    evidence:\n"
        "      - {source: A notice, url: https://example.org/n, quote: No grace, "
        "supports: [grace]}\n",
    )
    assert error_for(tmp_path, text) == (
        "regime.yaml:19: measures[0] (coal-cap).evidence[0].supports: "
        "supports grace, which the measure does not have"
    )


def test_a_quotation_is_short(tmp_path: Path) -> None:
    words = " ".join(["word"] * 31)
    text = VALID.replace(
        "    kind: cap\n",
        "    kind: cap\n"
        "    evidence:\n"
        f"      - {{source: A notice, url: https://example.org/n, quote: {words}, "
        "supports: [scope]}\n",
    )
    assert error_for(tmp_path, text) == (
        "regime.yaml:19: measures[0] (coal-cap).evidence[0].quote: a quotation is at most 30 words"
    )
