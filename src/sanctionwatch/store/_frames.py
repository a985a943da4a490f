"""Small Arrow tables read beside the store's: registered on a DuckDB connection as typed
temporary views, and registered again only when they change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import pyarrow as pa

__all__ = ["RegisteredTables"]

# Types pandas holds without Arrow: DuckDB scans a frame of them natively, where an Arrow table
# makes it import pyarrow's dataset module, a tenth of a second in some new processes.
_NATIVE = {
    pa.string(): pd.StringDtype("python"),
    pa.bool_(): pd.BooleanDtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.float64(): pd.Float64Dtype(),
}


def _frame(name: str, table: pa.Table) -> tuple[pd.DataFrame, str]:
    """A table as a frame DuckDB scans natively, registered as `{name}_rows`, and the view
    `name` giving its columns their types back: dates travel as ISO text, since pandas would
    hold them as objects, and a column of them all null would be read as numbers."""
    dates = [field.name for field in table.schema if field.type == pa.date32()]
    for column in dates:
        table = table.set_column(
            table.schema.get_field_index(column), column, table[column].cast(pa.string())
        )
    frame = table.to_pandas(types_mapper=_NATIVE.get)
    typed = ", ".join(f'CAST("{column}" AS DATE) AS "{column}"' for column in dates)
    columns = f"* REPLACE ({typed})" if dates else "*"
    return frame, f'CREATE OR REPLACE TEMP VIEW "{name}" AS SELECT {columns} FROM "{name}_rows"'


class RegisteredTables:
    """The tables one DuckDB connection holds registered, with the frames it scans."""

    def __init__(self) -> None:
        self.held: dict[str, tuple[pa.Table, pd.DataFrame]] = {}

    def register(self, con: Any, tables: Mapping[str, pa.Table]) -> None:
        """Each of `tables` readable under its name; one equal to the table registered under
        that name before is not registered again."""
        for name, table in tables.items():
            if name in self.held and self.held[name][0].equals(table):
                continue
            self.held.pop(name, None)
            frame, view = _frame(name, table)
            con.register(f"{name}_rows", frame)
            con.execute(view)
            self.held[name] = (table, frame)
