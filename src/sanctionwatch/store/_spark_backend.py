"""Ibis's PySpark backend, made to keep any expression it can run: imported only with PySpark."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
from ibis.backends.pyspark import Backend

__all__ = ["SparkBackend", "connect"]


class SparkBackend(Backend):  # type: ignore[misc]
    """Ibis's PySpark backend, whose `cache` also takes expressions that read in-memory tables
    (`ibis.memtable`): it registers them first, as it does before running one. Ibis's own
    compiles the expression without them, and Spark finds no such view."""

    def _create_cached_table(self, name: str, expr: ir.Table) -> Any:
        self._run_pre_execute_hooks(expr)
        return super()._create_cached_table(name, expr)


def connect(session: Any) -> SparkBackend:
    """The backend over a running Spark session, with the options Ibis gives PySpark's
    compiler set up, as `ibis.pyspark` sets them up when first used."""
    if getattr(ibis.options, "pyspark", None) is None:
        SparkBackend.register_options()
    backend: SparkBackend = SparkBackend().connect(session)
    return backend
