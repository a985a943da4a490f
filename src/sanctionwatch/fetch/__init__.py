"""Trade data fetched from the UN Comtrade API into the store: paced, retried, split under
the record limit, kept as answered, resumable, incremental, and ingested like a file."""

from sanctionwatch.fetch._client import API_KEY_VARIABLE, API_URL_VARIABLE, FetchSettings
from sanctionwatch.fetch._comtrade import (
    COMTRADE,
    FetchProgress,
    FetchReport,
    clear_fetch_cache,
    fetch_comtrade,
    fetch_subscriptions,
)
from sanctionwatch.fetch._query import ComtradeQuery

__all__ = [
    "API_KEY_VARIABLE",
    "API_URL_VARIABLE",
    "COMTRADE",
    "ComtradeQuery",
    "FetchProgress",
    "FetchReport",
    "FetchSettings",
    "clear_fetch_cache",
    "fetch_comtrade",
    "fetch_subscriptions",
]
