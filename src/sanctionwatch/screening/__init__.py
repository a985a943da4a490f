"""Designated parties: UN and OFAC lists as data, and screening names against them.

Lists load from the UN Security Council Consolidated List (XML) and the OFAC SDN list (CSV),
keep their publication date in the store, and export as followthemoney entities. Screening
matches names across Korean romanisations, hyphens and spacing, name order and aliases,
vessels by IMO number, and says for every match which names matched and how.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanctionwatch._lazy import lazy_names

if TYPE_CHECKING:
    from sanctionwatch.screening._countries import country_code
    from sanctionwatch.screening._defaults import DEFAULT_THRESHOLD, LIST_SOURCES
    from sanctionwatch.screening._evaluation import (
        SPELLING_AGREEMENT,
        Evaluation,
        LabelledName,
        evaluate,
        evaluation_set,
        independent_set,
    )
    from sanctionwatch.screening._fetch import LIST_URLS, ListFetch, fetch_list, refresh_lists
    from sanctionwatch.screening._ftm import (
        entity_id,
        entry_entity,
        list_entities,
        match_entities,
        to_json_lines,
    )
    from sanctionwatch.screening._lists import (
        EntryChange,
        ListDiff,
        LoadReport,
        StoredList,
        diff_lists,
        load_list,
        open_list,
        read_list,
        read_stored_list,
        select_lists,
        stored_lists,
    )
    from sanctionwatch.screening._match import (
        CANDIDATE_SIMILARITY,
        IN_MEMORY_NAMES,
        MATCH,
        MATCHES,
        MAX_NAME_LENGTH,
        NO_MATCH,
        QUERIES,
        RESULTS,
        Feature,
        MatchKey,
        ProgressCallback,
        Screener,
        Screening,
        name_queries,
        read_queries,
        screen,
    )
    from sanctionwatch.screening._model import (
        DroppedName,
        ListEntry,
        ListFile,
        ListName,
        SkippedRecord,
    )
    from sanctionwatch.screening._names import NameKey, name_key, variant_table
    from sanctionwatch.screening._ofac import DPRK_PROGRAMMES, read_ofac_list
    from sanctionwatch.screening._un import read_un_list

__all__ = [
    "CANDIDATE_SIMILARITY",
    "DEFAULT_THRESHOLD",
    "DPRK_PROGRAMMES",
    "IN_MEMORY_NAMES",
    "LIST_SOURCES",
    "LIST_URLS",
    "MATCH",
    "MATCHES",
    "MAX_NAME_LENGTH",
    "NO_MATCH",
    "QUERIES",
    "RESULTS",
    "SPELLING_AGREEMENT",
    "DroppedName",
    "EntryChange",
    "Evaluation",
    "Feature",
    "LabelledName",
    "ListDiff",
    "ListEntry",
    "ListFetch",
    "ListFile",
    "ListName",
    "LoadReport",
    "MatchKey",
    "NameKey",
    "ProgressCallback",
    "Screener",
    "Screening",
    "SkippedRecord",
    "StoredList",
    "country_code",
    "diff_lists",
    "entity_id",
    "entry_entity",
    "evaluate",
    "evaluation_set",
    "fetch_list",
    "independent_set",
    "list_entities",
    "load_list",
    "match_entities",
    "name_key",
    "name_queries",
    "open_list",
    "read_list",
    "read_ofac_list",
    "read_queries",
    "read_stored_list",
    "read_un_list",
    "refresh_lists",
    "screen",
    "select_lists",
    "stored_lists",
    "to_json_lines",
    "variant_table",
]

_HOMES = {
    "Feature": "sanctionwatch.screening._match",
    "MatchKey": "sanctionwatch.screening._match",
    "country_code": "sanctionwatch.screening._countries",
    "entry_entity": "sanctionwatch.screening._ftm",
    "CANDIDATE_SIMILARITY": "sanctionwatch.screening._match",
    "IN_MEMORY_NAMES": "sanctionwatch.screening._match",
    "DEFAULT_THRESHOLD": "sanctionwatch.screening._defaults",
    "DPRK_PROGRAMMES": "sanctionwatch.screening._ofac",
    "LIST_SOURCES": "sanctionwatch.screening._defaults",
    "LIST_URLS": "sanctionwatch.screening._fetch",
    "MATCH": "sanctionwatch.screening._match",
    "MATCHES": "sanctionwatch.screening._match",
    "MAX_NAME_LENGTH": "sanctionwatch.screening._match",
    "NO_MATCH": "sanctionwatch.screening._match",
    "QUERIES": "sanctionwatch.screening._match",
    "RESULTS": "sanctionwatch.screening._match",
    "SPELLING_AGREEMENT": "sanctionwatch.screening._evaluation",
    "DroppedName": "sanctionwatch.screening._model",
    "EntryChange": "sanctionwatch.screening._lists",
    "Evaluation": "sanctionwatch.screening._evaluation",
    "LabelledName": "sanctionwatch.screening._evaluation",
    "ListDiff": "sanctionwatch.screening._lists",
    "ListEntry": "sanctionwatch.screening._model",
    "ListFetch": "sanctionwatch.screening._fetch",
    "ListFile": "sanctionwatch.screening._model",
    "ListName": "sanctionwatch.screening._model",
    "LoadReport": "sanctionwatch.screening._lists",
    "NameKey": "sanctionwatch.screening._names",
    "ProgressCallback": "sanctionwatch.screening._match",
    "Screener": "sanctionwatch.screening._match",
    "Screening": "sanctionwatch.screening._match",
    "SkippedRecord": "sanctionwatch.screening._model",
    "StoredList": "sanctionwatch.screening._lists",
    "diff_lists": "sanctionwatch.screening._lists",
    "entity_id": "sanctionwatch.screening._ftm",
    "evaluate": "sanctionwatch.screening._evaluation",
    "evaluation_set": "sanctionwatch.screening._evaluation",
    "fetch_list": "sanctionwatch.screening._fetch",
    "refresh_lists": "sanctionwatch.screening._fetch",
    "independent_set": "sanctionwatch.screening._evaluation",
    "list_entities": "sanctionwatch.screening._ftm",
    "load_list": "sanctionwatch.screening._lists",
    "match_entities": "sanctionwatch.screening._ftm",
    "name_key": "sanctionwatch.screening._names",
    "name_queries": "sanctionwatch.screening._match",
    "open_list": "sanctionwatch.screening._lists",
    "read_list": "sanctionwatch.screening._lists",
    "read_ofac_list": "sanctionwatch.screening._ofac",
    "read_queries": "sanctionwatch.screening._match",
    "read_stored_list": "sanctionwatch.screening._lists",
    "read_un_list": "sanctionwatch.screening._un",
    "screen": "sanctionwatch.screening._match",
    "select_lists": "sanctionwatch.screening._lists",
    "stored_lists": "sanctionwatch.screening._lists",
    "to_json_lines": "sanctionwatch.screening._ftm",
    "variant_table": "sanctionwatch.screening._names",
}
"""The module each public name is imported from, the first time it is asked for."""

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(globals(), __all__, _HOMES)
