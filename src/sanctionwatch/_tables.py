"""The shape every result shares: named Arrow tables, the first the main one.

`check`, `pressure`, `relief`, `signals` and `screen` return results that hold several tables;
one way in serves them all (`to_arrow`, `to_pandas`), and the Excel workbook writes a sheet for
each of `tables()`, so the tables a user reads in Python are the sheets they open in Excel.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

import pyarrow as pa

from sanctionwatch._errors import SanctionwatchError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Tables"]


class Tables(ABC):
    """A result made of named Arrow tables."""

    @abstractmethod
    def tables(self) -> dict[str, pa.Table]:
        """The result's tables by name, the main one first."""

    def to_arrow(self, table: str | None = None) -> pa.Table:
        """The table named `table` (default: the main one), as a pyarrow Table."""
        tables = self.tables()
        if table is None:
            return next(iter(tables.values()))
        if table not in tables:
            raise SanctionwatchError(
                f"no table {table!r} in a {type(self).__name__} result "
                f"(expected one of {', '.join(tables)})"
            )
        return tables[table]

    def to_pandas(self, table: str | None = None) -> pd.DataFrame:
        """The table named `table` (default: the main one) as a data frame with Arrow-backed
        columns, so that integers with gaps stay integers and text stays text."""
        import pandas as pd

        frame: pd.DataFrame = self.to_arrow(table).to_pandas(types_mapper=pd.ArrowDtype)
        return frame
