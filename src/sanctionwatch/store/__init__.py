"""The store, the only owner of its tables: flows, rejects, ingests, the history of revised
flows, check runs and list downloads (`_runs`), in a DuckDB file (`_duckdb`) or a Spark
warehouse (`_spark`), laid out by `_layout`."""

from sanctionwatch.store._fetched import CachedResponse, FetchedAnswer
from sanctionwatch.store._runs import FINDING_KEY, LIST_DOWNLOADS, RUN_FINDINGS, RUNS
from sanctionwatch.store._schema import FLOW_KINDS, FLOWS, INGESTS, REJECTS
from sanctionwatch.store._spark import SPARK_SCHEME
from sanctionwatch.store._store import DEFAULT_STORE, Store, default_store_location

__all__ = [
    "DEFAULT_STORE",
    "FINDING_KEY",
    "FLOWS",
    "FLOW_KINDS",
    "INGESTS",
    "LIST_DOWNLOADS",
    "REJECTS",
    "RUNS",
    "RUN_FINDINGS",
    "SPARK_SCHEME",
    "CachedResponse",
    "FetchedAnswer",
    "Store",
    "default_store_location",
]
