"""JSON built a column at a time: one document per row from Arrow columns, the same bytes
`json.dumps(..., separators=(",", ":"))` writes for it (ASCII only: anything else escaped).

A document is a list of parts — literal JSON text and columns — joined row by row by one
kernel (`concat`). A string column without nulls whose bytes are all printable ASCII but the
quote and the backslash (checked with numpy over its data buffer) goes in as it is, its quotes
merged into the literals beside it; any other column is first written as JSON text, only its
values that need escaping through `json.dumps`, one at a time.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udfs.arrow import STRING, value_bytes

Part = str | pa.Array  # literal JSON text, or a column of JSON text (or of a string's inside)

# The bytes json.dumps leaves as they are inside a string: printable ASCII but `"` and `\`.
_PLAIN = np.zeros(256, dtype=bool)
_PLAIN[0x20:0x7F] = True
_PLAIN[[ord('"'), ord("\\")]] = False


def _string_column(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values if values.type == STRING else pc.cast(values, STRING)


def escaped_rows(values: pa.Array) -> np.ndarray:
    """The values (a string column) json.dumps would escape something in."""
    offsets, data = value_bytes(values)
    odd = ~_PLAIN[data]
    if not odd.any():
        return np.zeros(len(values), dtype=bool)
    counts = np.concatenate([[0], np.cumsum(odd, dtype=np.int64)])
    start = offsets - offsets[0]
    return counts[start[1:]] > counts[start[:-1]]


def json_strings(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each string as a JSON string literal (`json.dumps(value)`); a null as `null`."""
    values = _string_column(values)
    return _quoted(values, escaped_rows(values))


def _quoted(values: pa.Array, escape: np.ndarray) -> pa.Array:
    """`json_strings` of a string column whose `escaped_rows` are known."""
    quoted = pc.binary_join_element_wise('"', values, '"', "")
    if escape.any():
        odd = values.filter(pa.array(escape)).to_pylist()
        replaced = pa.array([json.dumps(v) for v in odd], STRING)
        quoted = pc.replace_with_mask(quoted, pa.array(escape), replaced)
    return pc.fill_null(quoted, "null") if values.null_count else quoted


def string_parts(values: pa.Array | pa.ChunkedArray) -> list[Part]:
    """A string column as parts of a document: the values between quotes where nothing needs
    escaping and none is null, else `json_strings`."""
    values = _string_column(values)
    escape = escaped_rows(values)
    if values.null_count or escape.any():
        return [_quoted(values, escape)]
    return ['"', values, '"']


def json_numbers(values: pa.Array) -> pa.Array:
    """Each integer as JSON; a null as `null`."""
    return pc.fill_null(pc.cast(values, STRING), "null")


def json_object(members: list[tuple[str, Part | list[Part]]]) -> list[Part]:
    """The parts of one object per row: `members` are (key, its value's parts) in order."""
    parts: list[Part] = ["{"]
    for i, (key, value) in enumerate(members):
        parts.append(("," if i else "") + json.dumps(key) + ":")
        parts += value if isinstance(value, list) else [value]
    parts.append("}")
    return parts


def concat(parts: list[Part], rows: int) -> pa.Array:
    """The parts joined row by row (neighbouring literals merged first)."""
    merged: list[Part] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    if not any(isinstance(p, pa.Array) for p in merged):
        return pa.array(["".join(merged)] * rows, STRING)
    return pc.binary_join_element_wise(*merged, "")


def json_arrays(elements: pa.Array, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """Per row, the JSON array of `elements[starts[i]:ends[i]]` (JSON texts, in order)."""
    lengths = (ends - starts).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    picked = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
    lists = pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()), elements.take(pa.array(picked, pa.int64()))
    )
    return concat(["[", pc.binary_join(lists, ","), "]"], len(lengths))
