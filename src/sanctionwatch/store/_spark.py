"""Spark stores: the Parquet folders `Store.export` writes, read by Spark as the store's tables.

A Spark store is read only: ingest goes to a DuckDB store, whose tables then move to the
warehouse.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from sanctionwatch._errors import SanctionwatchError

__all__ = ["SPARK_SCHEME", "spark_backend"]

SPARK_SCHEME = "spark://"


def spark_backend(location: str) -> Any:
    """An Ibis PySpark backend over the Parquet folders of the warehouse `location` names, each
    a table, computed by Spark (local mode or a cluster)."""
    master, _, query = location.removeprefix(SPARK_SCHEME).partition("?")
    if not master.startswith(("local", "yarn", "k8s")):
        master = f"spark://{master}"
    options = parse_qs(query)
    warehouse = options.get("warehouse", ["sanctionwatch-warehouse"])[0]
    try:
        from pyspark.sql import SparkSession
        from pyspark.sql.functions import lit

        from sanctionwatch.store._spark_backend import connect
    except ImportError as error:
        raise SanctionwatchError(
            f"{location}: Spark stores need PySpark: pip install 'sanctionwatch[spark]'"
        ) from error
    # Other Spark settings ride in the location (`&spark.sql.shuffle.partitions=8`): given to
    # the builder, for settings read when Spark starts (`spark.driver.memory`), and SQL
    # settings to the session too, which a session already running takes.
    settings = {key: values[-1] for key, values in options.items() if key.startswith("spark.")}
    builder = (
        SparkSession.builder.master(master)
        .appName("sanctionwatch")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(os.cpu_count() or 2))
        .config("spark.default.parallelism", str(os.cpu_count() or 2))
    )
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    for key, value in settings.items():
        if key.startswith("spark.sql."):
            session.conf.set(key, value)
    session.sparkContext.setLogLevel("ERROR")
    backend = connect(session)
    root = Path(warehouse)
    if not (root / "flows").is_dir():
        raise SanctionwatchError(
            f"{location}: no flows table in warehouse {warehouse} "
            "(write one with `sanctionwatch export WAREHOUSE --store FILE.duckdb`)"
        )
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and any(folder.glob("*.parquet")):
            table = backend.read_parquet(str(folder), table_name=folder.name)
            if folder.name == "flows" and "reconciled" not in table.columns:
                # Exported before flows said whether they are reconciled: read, as
                # `load_flows` reads such files, as reports.
                frame = session.table("flows").withColumn("reconciled", lit(False))
                frame.createOrReplaceTempView("flows")
    return backend
