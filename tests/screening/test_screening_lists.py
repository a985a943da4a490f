"""Loading the UN and OFAC lists: counts, entries, and what the loaders pull out of the text."""

from __future__ import annotations

import datetime as dt
import re
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from tests.screening.conftest import UN_2025_CORRUPTED, shared_file

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.screening import DPRK_PROGRAMMES, ListFile, read_list, read_un_list


def entry(listed: ListFile, ref: str):  # type: ignore[no-untyped-def]
    return next(item for item in listed.entries if item.ref == ref)


def test_un_list_has_80_individuals_and_75_entities(un_2020: ListFile) -> None:
    assert Counter(item.schema for item in un_2020.entries) == {"Person": 80, "Organization": 75}
    assert un_2020.version == "un@2020-03-20"
    assert un_2020.published_from == "dateGenerated"
    assert un_2020.skipped == ()


def test_un_individual_keeps_reference_birth_date_document_and_listing(un_2020: ListFile) -> None:
    ri = entry(un_2020, "KPi.033")
    assert ri.name == "RI WON HO"
    assert ri.birth_dates == ("1964-07-17",)
    assert ri.documents == ("Passport 381310014",)
    assert ri.listed_on == "2016-11-30"
    assert ri.nationalities == ("Democratic People's Republic of Korea",)


def test_un_aliases_keep_their_quality(un_2020: ListFile) -> None:
    min_byong = entry(un_2020, "KPi.047")
    assert [(name.name, name.kind, name.quality) for name in min_byong.names[1:]] == [
        ("Min Pyo\u2019ng-ch\u2019o\u2019l", "alias", "Good"),
        ("Min Byong-chol", "alias", "Good"),
        ("Min Byong Chun", "alias", "Good"),
    ]
    assert entry(un_2020, "KPi.037").names[1].name == "Jang Chang Ha"


def test_un_birth_year_ranges_become_years(un_2020: ListFile) -> None:
    assert entry(un_2020, "KPi.066").birth_dates == ("1967", "1968", "1969")


def test_un_imo_numbers_come_from_entity_comments(un_2020: ListFile) -> None:
    assert entry(un_2020, "KPe.022").imo_numbers == ("5342883",)
    assert entry(un_2020, "KPe.066").imo_numbers == ("5434358",)
    assert entry(un_2020, "KPe.021").imo_numbers == ()


def test_ofac_list_has_484_dprk_entries_and_105_vessels(ofac_2024: ListFile) -> None:
    kinds = Counter(item.schema for item in ofac_2024.entries)
    assert len(ofac_2024.entries) == 484
    assert kinds["Vessel"] == 105
    assert kinds == {"Organization": 199, "Person": 164, "Vessel": 105, "Airplane": 16}
    assert all(DPRK_PROGRAMMES.intersection(item.programmes) for item in ofac_2024.entries)
    assert ofac_2024.version == "ofac@2024-05-03"
    assert ofac_2024.published_from == "file name"


def test_every_ofac_vessel_has_an_imo_number(ofac_2024: ListFile) -> None:
    vessels = [item for item in ofac_2024.entries if item.schema == "Vessel"]
    assert all(len(vessel.imo_numbers) == 1 for vessel in vessels)
    assert entry(ofac_2024, "17069").imo_numbers == ("7937317",)
    assert entry(ofac_2024, "17104").imo_numbers == ("8606173",)
    assert entry(ofac_2024, "17069").flag == "Democratic People's Republic of Korea"
    assert entry(ofac_2024, "17069").vessel_type == "General Cargo"


def test_ofac_remarks_give_aliases_dates_and_nationality(ofac_2024: ListFile) -> None:
    assert [name.name for name in entry(ofac_2024, "9345").names] == [
        "KOREA MINING DEVELOPMENT TRADING CORPORATION",
        "KOMID",
    ]
    ri = entry(ofac_2024, "19609")
    assert ri.name == "RI, Won Ho"
    assert ri.birth_dates == ("1964-07-17",)
    assert ri.nationalities == ("Korea, North",)
    assert ri.documents == ("Passport 381310014",)
    assert entry(ofac_2024, "12211").birth_dates == ("1947", "1946")
    assert entry(ofac_2024, "19792").birth_dates == ("1953",)


def test_ofac_alias_cut_off_by_the_remarks_limit_is_left_out(ofac_2024: ListFile) -> None:
    aliases = [name.name for name in entry(ofac_2024, "27307").names]
    assert "HIDDEN COBRA" in aliases
    assert not any(alias.startswith("WHOIS") for alias in aliases)


def test_ofac_date_comes_from_the_argument_before_the_file_name() -> None:
    path = shared_file("ofac_sdn_2024-05-03.csv")
    listed = read_list(path, published=dt.date(2024, 5, 2))
    assert (listed.version, listed.published_from) == ("ofac@2024-05-02", "given")


def _scanned_records(data: bytes) -> dict[str, tuple[str, int, bytes]]:
    """Every closed record in the raw file by reference number: (tag, byte offset, body).

    A plain scan for <INDIVIDUAL>...</INDIVIDUAL> and <ENTITY>...</ENTITY>, independent of
    the loader's own record splitting, so the tests below do not check it against itself.
    """
    records = {}
    for found in re.finditer(rb"<(INDIVIDUAL|ENTITY)>(.*?)</\1>", data, re.DOTALL):
        body = found.group(2)
        reference = re.search(rb"<REFERENCE_NUMBER>\s*(.*?)\s*</REFERENCE_NUMBER>", body)
        assert reference is not None
        records[reference.group(1).decode("ascii")] = (
            found.group(1).decode("ascii"),
            found.start(),
            found.group(0),
        )
    return records


def _undamaged(record: bytes) -> ET.Element | None:
    """The record parsed strictly, if it is well-formed UTF-8 XML without control characters."""
    try:
        text = record.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text):
        return None
    try:
        return ET.fromstring(text)
    except ET.ParseError:
        return None


def _primary_name(record: ET.Element) -> str:
    tags = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
    return " ".join(" ".join((record.findtext(tag) or "").split()) for tag in tags).strip()


def test_damaged_un_list_is_recovered_and_the_losses_reported() -> None:
    path = shared_file(UN_2025_CORRUPTED)
    scanned = _scanned_records(path.read_bytes())
    dprk = {
        ref: record
        for ref, record in scanned.items()
        if b"<UN_LIST_TYPE>DPRK</UN_LIST_TYPE>" in record[2]
    }
    listed = read_list(path)
    assert listed.version == "un@2025-08-16"
    expected_schemas = Counter(
        "Person" if tag == "INDIVIDUAL" else "Organization" for tag, _, _ in dprk.values()
    )
    assert Counter(item.schema for item in listed.entries) == expected_schemas
    assert {item.ref for item in listed.entries} == set(dprk)
    assert listed.skipped == ()
    damaged = {ref for ref, (_, _, record) in dprk.items() if _undamaged(record) is None}
    assert damaged, "the damaged list should have damaged DPRK records"
    for dropped in listed.dropped_names:
        assert dropped.ref in damaged
        assert dropped.text not in [name.name for name in entry(listed, dropped.ref).names]
    kept = [name.name for item in listed.entries for name in item.names]
    assert not [name for name in kept if re.search(r"[\x00-\x1f\ufffd]", name)]
    assert any("Latin-1" in repair for repair in listed.repairs)
    restored = [name.name for name in entry(listed, "KPi.013").names]
    assert "Ch\u2019oe Ch\u2019un Sik" in restored


def test_damaged_un_list_names_every_record_it_skips() -> None:
    path = shared_file(UN_2025_CORRUPTED)
    data = path.read_bytes()
    scanned = _scanned_records(data)
    assert len(scanned) == data.count(b"<INDIVIDUAL>") + data.count(b"<ENTITY>")
    listed = read_un_list(path, list_type=None)
    recovered = {item.ref: item for item in listed.entries}
    skipped = {}
    for record in listed.skipped:
        found = re.fullmatch(r"byte (\d+) \((\S+)\)", record.position)
        assert found is not None, record.position
        skipped[found.group(2)] = int(found.group(1))
        assert record.reason.startswith("not well-formed XML even after repair")
    assert len(listed.entries) + len(listed.skipped) == len(scanned)
    assert set(recovered) | set(skipped) == set(scanned)
    assert not set(recovered) & set(skipped)
    for ref, offset in skipped.items():
        assert scanned[ref][1] == offset
        assert _undamaged(scanned[ref][2]) is None
    undamaged = {
        ref: parsed
        for ref, (_, _, raw) in scanned.items()
        if (parsed := _undamaged(raw)) is not None
    }
    assert len(undamaged) > len(scanned) / 2
    for ref, parsed in undamaged.items():
        assert recovered[ref].name == _primary_name(parsed), ref


XXE = """<?xml version="1.0"?>
<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<CONSOLIDATED_LIST dateGenerated="2020-01-01"><INDIVIDUALS><INDIVIDUAL>
<FIRST_NAME>&xxe;</FIRST_NAME><UN_LIST_TYPE>DPRK</UN_LIST_TYPE>
</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>
"""
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<CONSOLIDATED_LIST dateGenerated="2020-01-01">&lol4;</CONSOLIDATED_LIST>
"""


@pytest.mark.parametrize("document", [XXE, BILLION_LAUGHS], ids=["xxe", "billion-laughs"])
def test_xml_with_dtd_or_entities_is_refused(tmp_path, document: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "list.xml"
    path.write_text(document, encoding="utf-8")
    with pytest.raises(SanctionwatchError) as refused:
        read_list(path)
    message = str(refused.value)
    assert str(path) in message
    assert "refused" in message
    assert "\n" not in message


def test_other_xml_and_other_files_get_one_clear_message(tmp_path) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other.xml"
    other.write_text("<?xml version='1.0'?><catalog/>", encoding="utf-8")
    with pytest.raises(SanctionwatchError, match="not a UN consolidated list"):
        read_list(other)
    text = tmp_path / "notes.txt"
    text.write_text("just some notes\n", encoding="utf-8")
    with pytest.raises(SanctionwatchError, match="cannot tell the list format"):
        read_list(text)
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<CONSOLIDATED_LIST dateGenerated='2020-01-01'><INDIVIDUALS><INDI")
    with pytest.raises(SanctionwatchError, match="no readable DPRK records"):
        read_list(broken)


def _individual(ref: str, name: str) -> str:
    return (
        f"<INDIVIDUAL><DATAID>{ref}</DATAID><FIRST_NAME>{name}</FIRST_NAME>"
        f"<UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>{ref}</REFERENCE_NUMBER>"
        "</INDIVIDUAL>"
    )


@pytest.mark.parametrize(
    "ending", ["</INDIVIDUALS></CONSOLIDATED_LIST>", ""], ids=["closed", "cut"]
)
def test_list_with_100k_unclosed_records_is_read_in_linear_time(tmp_path, ending: str) -> None:  # type: ignore[no-untyped-def]
    unclosed = "<INDIVIDUAL><REFERENCE_NUMBER>KPi.X</REFERENCE_NUMBER><FIRST_NAME>LOST"
    parts = [unclosed + _individual(f"KPi.{block:03d}", f"KIM {block}") for block in range(10)]
    parts.append(unclosed * 99_990)
    head = '<CONSOLIDATED_LIST dateGenerated="2020-03-20T00:00:00"><INDIVIDUALS>'
    path = tmp_path / "damaged.xml"
    path.write_text(head + "".join(parts) + ending, encoding="utf-8")
    started = time.perf_counter()
    listed = read_list(path)
    assert time.perf_counter() - started < 20
    assert [item.ref for item in listed.entries] == [f"KPi.{block:03d}" for block in range(10)]
    assert len(listed.skipped) == 1
    assert listed.skipped[0].position == f"byte {len(head)} (KPi.X) and 99999 more"
    assert listed.skipped[0].reason.startswith("100000 record(s) never closed")


def _sdn_row(number: int, name: str, remarks: str) -> str:
    empty = ",".join(['"-0-"'] * 7)
    return f'{number},"{name}","individual","DPRK",{empty},"{remarks}"\n'


def test_ofac_remarks_of_any_length_are_read_in_linear_time(tmp_path) -> None:  # type: ignore[no-untyped-def]
    unclosed = "a.k.a. 'OPEN " * 20_000
    path = tmp_path / "sdn_2024-05-03.csv"
    path.write_text(
        _sdn_row(1, "KIM, Chol", f"{unclosed}; a.k.a. 'KIM CHOL SU'; nationality Korea, North.")
        + _sdn_row(2, "RI, Su", "DOB 17 Jul 1964; a.k.a. 'RI SU IL'."),
        encoding="utf-8",
    )
    started = time.perf_counter()
    listed = read_list(path)
    assert time.perf_counter() - started < 10
    first, second = listed.entries
    assert [name.name for name in first.names] == ["KIM, Chol", "KIM CHOL SU"]
    assert first.nationalities == ("Korea, North",)
    assert len(first.notes or "") > 131_072
    assert [name.name for name in second.names] == ["RI, Su", "RI SU IL"]
    assert listed.skipped == ()


def test_ofac_broken_quote_is_one_line_naming_where(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "sdn_2024-05-03.csv"
    path.write_text(
        _sdn_row(1, "KIM, Chol", "DOB 1964")
        + '2,"RI, Su,"individual","DPRK"\n'
        + _sdn_row(3, "PAK, Il", "DOB 1970"),
        encoding="utf-8",
    )
    with pytest.raises(SanctionwatchError) as refused:
        read_list(path)
    message = str(refused.value)
    assert message == f"{path}: line 2: not valid CSV: ',' expected after '\"'"
    assert "\n" not in message


@pytest.mark.parametrize("head", [b"not a list\rat all\n", b"\r\r\n", b"x\r"])
def test_a_first_line_with_a_bare_carriage_return_is_one_line(tmp_path: Path, head: bytes) -> None:
    path = tmp_path / "list.xml"
    path.write_bytes(head)
    with pytest.raises(SanctionwatchError) as refused:
        read_list(path)
    assert str(path) in str(refused.value)
    assert "\n" not in str(refused.value)
