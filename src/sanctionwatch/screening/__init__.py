"""Designated parties: UN and OFAC lists as data, and screening names against them.

Lists load from the UN Security Council Consolidated List (XML) and the OFAC SDN list (CSV),
keep their publication date in the store, and export as followthemoney entities. Screening
matches names across Korean romanisations, hyphens and spacing, name order and aliases,
vessels by IMO number, and says for every match which names matched and how.
"""

from sanctionwatch.screening._evaluation import (
    SPELLING_AGREEMENT,
    Evaluation,
    LabelledName,
    evaluate,
    evaluation_set,
    independent_set,
)
from sanctionwatch.screening._fetch import LIST_URLS, ListFetch, fetch_list, refresh_lists
from sanctionwatch.screening._ftm import entity_id, list_entities, match_entities, to_json_lines
from sanctionwatch.screening._lists import (
    LIST_SOURCES,
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
    DEFAULT_THRESHOLD,
    MATCH,
    MATCHES,
    MAX_NAME_LENGTH,
    NO_MATCH,
    QUERIES,
    RESULTS,
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
    "LabelledName",
    "ListDiff",
    "ListEntry",
    "ListFetch",
    "ListFile",
    "ListName",
    "LoadReport",
    "NameKey",
    "ProgressCallback",
    "Screener",
    "Screening",
    "SkippedRecord",
    "StoredList",
    "diff_lists",
    "entity_id",
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
