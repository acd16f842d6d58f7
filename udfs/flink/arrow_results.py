"""A vectorized (Pandas) UDF's result handed to PyFlink as the Arrow table it already is.

PyFlink takes a Pandas UDF's result as a DataFrame and turns it back into Arrow
(`pyflink.table.utils.pandas_to_arrow`): for the engine, whose rows are Arrow, that is a round
trip through Python objects — Arrow → pandas in the UDF, pandas → Arrow in PyFlink's coder —
~30 µs per record of the streaming step's ~150 on batches of ~300 messages (docs/performance.md).
`arrow_frame` wraps the table in an empty DataFrame of the right length (PyFlink checks a result's
type and length); `install` makes the coders' `pandas_to_arrow` take the table from it as is.
Any other DataFrame goes the usual way, so a worker without the patch (`install` returned False:
PyFlink's internals changed) is only slower: `frame_of` then converts.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pandas as pd
import pyarrow as pa

ARROW = "flink_compliance.arrow"  # the DataFrame attribute that holds the table
CODERS = ("pyflink.fn_execution.coder_impl_fast", "pyflink.fn_execution.coder_impl_slow")

_installed: bool | None = None


def arrow_frame(table: pa.Table) -> pd.DataFrame:
    """`table` as a DataFrame without columns, of its length, that carries it."""
    frame = pd.DataFrame(index=pd.RangeIndex(table.num_rows))
    frame.attrs[ARROW] = table
    return frame


def frame_of(table: pa.Table) -> pd.DataFrame:
    """The UDF's result: the table as is where the coders take it, else as pandas."""
    return arrow_frame(table) if _installed else table.to_pandas()


def as_struct(table: pa.Table, struct: pa.StructType) -> pa.StructArray:
    """The table's columns, in order, as the struct the coder's schema wants (a column whose
    Arrow type differs, e.g. large_string for string, is cast)."""
    if table.num_columns != struct.num_fields:
        raise ValueError(
            f"a result of {table.num_columns} columns for a row of {struct.num_fields} fields"
        )
    arrays = []
    for column, field in zip(table.columns, struct, strict=True):
        array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        arrays.append(array if array.type == field.type else array.cast(field.type))
    return pa.StructArray.from_arrays(arrays, fields=list(struct))


def passing_arrow(original: Callable) -> Callable:
    """`pandas_to_arrow` that takes a carried table as is and gives anything else to `original`."""

    def pandas_to_arrow(schema: pa.Schema, timezone: Any, field_types: list, series: list):
        tables = [getattr(s, "attrs", {}).get(ARROW) for s in series]
        if not any(t is not None for t in tables):
            return original(schema, timezone, field_types, series)
        arrays = []
        for i, (s, table) in enumerate(zip(series, tables, strict=True)):
            if table is None:
                batch = original(pa.schema([schema.field(i)]), timezone, [field_types[i]], [s])
                arrays.append(batch.column(0))
            else:
                arrays.append(as_struct(table, schema.field(i).type))
        return pa.RecordBatch.from_arrays(arrays, schema=schema)

    pandas_to_arrow.passes_arrow = True
    return pandas_to_arrow


def install() -> bool:
    """Patch the coders of this Python worker (once); False where they have no `pandas_to_arrow`
    to patch."""
    global _installed
    if _installed is None:
        patched = 0
        for name in CODERS:
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            original = getattr(module, "pandas_to_arrow", None)
            if original is None:
                continue
            if not getattr(original, "passes_arrow", False):
                module.pandas_to_arrow = passing_arrow(original)
            patched += 1
        _installed = patched > 0
    return _installed
