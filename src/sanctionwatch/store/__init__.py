"""The store, the only owner of its tables: flows, rejects, ingests and the history of revised
flows, in a DuckDB file (`_duckdb`) or a Spark warehouse (`_spark`), laid out by `_layout`."""

from sanctionwatch.store._fetched import CachedResponse
from sanctionwatch.store._schema import FLOW_KINDS, FLOWS, INGESTS, REJECTS
from sanctionwatch.store._spark import SPARK_SCHEME
from sanctionwatch.store._store import DEFAULT_STORE, Store, default_store_location

__all__ = [
    "DEFAULT_STORE",
    "FLOWS",
    "FLOW_KINDS",
    "INGESTS",
    "REJECTS",
    "SPARK_SCHEME",
    "CachedResponse",
    "Store",
    "default_store_location",
]
