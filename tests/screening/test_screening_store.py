"""Lists in the store: versions by publication date, reloads, selection and diffs."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.screening.conftest import OFAC_2024, UN_2020, UN_2025_CORRUPTED, shared_file

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.screening import (
    ListFile,
    diff_lists,
    load_list,
    open_list,
    read_list,
    read_stored_list,
    select_lists,
    stored_lists,
)
from sanctionwatch.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "lists.duckdb") as opened:
        yield opened


def test_loaded_list_is_kept_with_its_publication_date(store: Store) -> None:
    report = load_list(store, shared_file(UN_2020))
    assert (report.version, report.entries) == ("un@2020-03-20", 155)
    assert report.by_schema == {"Person": 80, "Organization": 75}
    assert [item.version for item in stored_lists(store)] == ["un@2020-03-20"]
    names = store.table("list_names")
    assert names.filter(names.ref == "KPi.037").count().execute() == 2


def test_loading_the_same_file_twice_changes_nothing(store: Store) -> None:
    load_list(store, shared_file(OFAC_2024))
    again = load_list(store, shared_file(OFAC_2024))
    assert again.already
    assert store.table("list_entries").count().execute() == 484


def test_a_different_file_claiming_a_stored_version_is_refused(
    store: Store, tmp_path: Path
) -> None:
    load_list(store, shared_file(OFAC_2024))
    shorter = tmp_path / "ofac_sdn_2024-05-03.csv"
    lines = shared_file(OFAC_2024).read_text(encoding="utf-8").splitlines(keepends=True)
    shorter.write_text("".join(lines[:-2]), encoding="utf-8")
    with pytest.raises(SanctionwatchError, match="already stored as ofac@2024-05-03"):
        load_list(store, shorter)


def test_stored_list_reads_back_as_loaded(store: Store, un_2020: ListFile) -> None:
    load_list(store, shared_file(UN_2020))
    back = read_stored_list(store, "un@2020-03-20")
    assert back.entries == un_2020.entries
    assert back.published == un_2020.published


def test_screening_uses_the_newest_version_unless_told(store: Store) -> None:
    load_list(store, shared_file(UN_2020))
    load_list(store, shared_file(UN_2025_CORRUPTED))
    assert [listed.version for listed in select_lists(store, ["un"])] == ["un@2025-08-16"]
    chosen = select_lists(store, ["un@2020-03-20"])
    assert [listed.version for listed in chosen] == ["un@2020-03-20"]
    with pytest.raises(SanctionwatchError, match="unknown list 'eu'"):
        select_lists(store, ["eu"])
    with pytest.raises(SanctionwatchError, match="no list version 'un@2019-01-01'"):
        select_lists(store, ["un@2019-01-01"])


def test_empty_store_says_how_to_load_a_list(store: Store) -> None:
    with pytest.raises(SanctionwatchError, match="sanctionwatch lists load"):
        select_lists(store)


def test_diff_of_two_real_un_versions(store: Store) -> None:
    load_list(store, shared_file(UN_2020))
    load_list(store, shared_file(UN_2025_CORRUPTED))
    difference = diff_lists(open_list("un@2020-03-20", store), open_list("un@2025-08-16", store))
    assert (difference.old, difference.new) == ("un@2020-03-20", "un@2025-08-16")
    assert difference.added == ()
    assert difference.removed == ()
    changed = {change.ref: change for change in difference.changed}
    assert "names" in changed["KPe.016"].fields
    assert "KPi.033" not in changed


def test_diff_reports_added_removed_and_changed(un_2020: ListFile) -> None:
    kept = [item for item in un_2020.entries if item.ref != "KPi.033"]
    renamed = [
        dataclasses.replace(item, listed_on="2017-01-01") if item.ref == "KPi.037" else item
        for item in kept
    ]
    newcomer = dataclasses.replace(un_2020.entries[0], ref="KPi.999")
    newer = dataclasses.replace(un_2020, entries=(*renamed, newcomer), published=un_2020.published)
    difference = diff_lists(un_2020, newer)
    assert [item.ref for item in difference.added] == ["KPi.999"]
    assert [item.ref for item in difference.removed] == ["KPi.033"]
    assert [(change.ref, change.fields) for change in difference.changed] == [
        ("KPi.037", {"listed_on": ("2016-11-30", "2017-01-01")})
    ]


def test_diff_refuses_lists_of_different_sources(un_2020: ListFile, ofac_2024: ListFile) -> None:
    with pytest.raises(SanctionwatchError, match="cannot compare a un list with a ofac list"):
        diff_lists(un_2020, ofac_2024)


def test_open_list_takes_a_file_or_a_stored_version(store: Store) -> None:
    assert open_list(str(shared_file(UN_2020)), None).version == "un@2020-03-20"
    with pytest.raises(SanctionwatchError, match="neither a list file nor a stored list"):
        open_list("un@2020-03-20", None)
    assert read_list(shared_file(UN_2020)).version == "un@2020-03-20"
