"""Small Arrow helpers shared by the column-wise code (engine, detectors, rules, protection):
masks as numpy, a regex test over a column, lengths read off the offsets, and the Python
fallback that runs a per-value function only where a fast path could not decide."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

STRING = pa.string()
# Columns shorter than this are judged value by value by the per-record code itself: an RE2
# kernel compiles its pattern on every call (0.02–1 ms), more than Python spends on the checks
# of a few hundred values — streaming batches are often that small.
SMALL_BATCH = 256


def small(column: pa.Array) -> bool:
    return len(column) < SMALL_BATCH


def as_bool(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array as numpy, null read as False."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.null_count:
        array = array.fill_null(False)
    return array.to_numpy(zero_copy_only=False)


def matches(column: pa.Array, pattern: str) -> np.ndarray:
    """Rows whose text matches the RE2 `pattern` somewhere (null rows: False)."""
    return as_bool(pc.match_substring_regex(column, pattern))


def present(column: pa.Array) -> np.ndarray:
    """Rows holding a non-empty value (what `if value:` means per record)."""
    return byte_lengths(column) > 0


def take_rows(column: pa.Array, rows: np.ndarray) -> pa.Array:
    return column.take(pa.array(rows, pa.int64()))


def strings_at(column: pa.Array, rows: np.ndarray) -> list[str | None]:
    """The values of `rows` as Python strings: the input of a per-value fallback."""
    if len(rows) == 0:
        return []
    return pylist(take_rows(column, rows))


def python_where(
    column: pa.Array, mask: np.ndarray, func: Callable[[str], Any], default: Any = False
) -> np.ndarray:
    """func(value) for the rows of `mask`, `default` elsewhere, as a numpy array. The slow,
    exact path for values no vectorized rule could decide."""
    result = np.full(len(column), default, dtype=object if not isinstance(default, bool) else bool)
    rows = np.flatnonzero(mask)
    if len(rows):
        result[rows] = [func(v) for v in strings_at(column, rows)]
    return result


def scatter(
    length: int, rows: np.ndarray, values: pa.Array, fill: pa.Array | None = None
) -> pa.Array:
    """An array of `length` with `values` at `rows` and `fill` (or null) elsewhere."""
    if len(rows) == length and np.array_equal(rows, np.arange(length)):
        return values
    if fill is None:
        if len(rows) == 0:
            return pa.nulls(length, values.type)
        # One take, a null index where no value goes: the step's output columns (~20 a call)
        # at 13 µs each against 21 for the masked replacement below.
        index = np.full(length, -1, dtype=np.int32)
        index[rows] = np.arange(len(rows), dtype=np.int32)
        return values.take(pa.array(index, mask=index < 0))
    if len(rows) == 0:
        return fill
    mask = np.zeros(length, dtype=bool)
    mask[rows] = True
    # replace_with_mask takes the replacements in row order.
    order = np.argsort(rows, kind="stable")
    return pc.replace_with_mask(fill, pa.array(mask), values.take(pa.array(order)))


def string_array(values: list[str | None] | np.ndarray) -> pa.Array:
    return pa.array(values, STRING)


def _offsets(column: pa.Array) -> np.ndarray:
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)
    return offsets[column.offset : column.offset + len(column) + 1]


def value_bytes(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A string column's offsets (int32, one past each value) and the data bytes its values
    use (uint8): value i is data[offsets[i] - offsets[0] : offsets[i + 1] - offsets[0]]."""
    offsets = _offsets(column)
    buffer = column.buffers()[2]
    if buffer is None:
        return offsets, np.zeros(0, dtype=np.uint8)
    return offsets, np.frombuffer(buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]


def byte_lengths(column: pa.Array) -> np.ndarray:
    """The UTF-8 length in bytes of every value (0 for nulls), read off the offsets."""
    if len(column) == 0:
        return np.zeros(0, dtype=np.int64)
    lengths = np.diff(_offsets(column)).astype(np.int64)
    if column.null_count:
        lengths[column.is_null().to_numpy(zero_copy_only=False)] = 0
    return lengths


def digit_counts(column: pa.Array) -> np.ndarray:
    """The ASCII digits in every value (0 for nulls): what `count_substring_regex(column,
    "[0-9]")` counts (a UTF-8 sequence never holds those bytes), by one numpy pass over the
    data buffer instead of a regex per value."""
    return byte_counts(column, "0123456789")


def byte_counts(column: pa.Array, chars: str) -> np.ndarray:
    """How many of the ASCII `chars` every value holds (0 for nulls), by one numpy pass over
    the data buffer."""
    if len(column) == 0 or column.buffers()[2] is None:
        return np.zeros(len(column), dtype=np.int64)
    offsets, data = value_bytes(column)
    # int32 counts (offsets are int32 too): numpy sums booleans into int64 ~10x slower.
    running = np.zeros(len(data) + 1, dtype=np.int32)
    if chars == "0123456789":
        np.cumsum((data - np.uint8(48)) < 10, out=running[1:])
    else:
        wanted = np.zeros(256, dtype=bool)
        wanted[np.frombuffer(chars.encode("ascii"), dtype=np.uint8)] = True
        np.cumsum(wanted[data], out=running[1:])
    counts = (running[offsets[1:] - offsets[0]] - running[offsets[:-1] - offsets[0]]).astype(
        np.int64
    )
    if column.null_count:
        counts[column.is_null().to_numpy(zero_copy_only=False)] = 0
    return counts


def holds_any(column: pa.Array, chars: str) -> np.ndarray:
    """Values holding any of the ASCII `chars` (null: False): the places of those bytes in the
    data buffer, then the values they fall in (cheap where the bytes are rare)."""
    found = np.zeros(len(column), dtype=bool)
    if len(column) == 0 or column.buffers()[2] is None:
        return found
    offsets, data = value_bytes(column)
    codes = chars.encode("ascii")
    hit = data == codes[0]
    for code in codes[1:]:
        hit |= data == code
    at = np.flatnonzero(hit)
    if len(at):
        found[np.searchsorted(offsets, at + offsets[0], side="right") - 1] = True
    if column.null_count:
        found &= column.is_valid().to_numpy(zero_copy_only=False)
    return found


def holds_pair(column: pa.Array, pair: str) -> np.ndarray:
    """Values holding the two ASCII characters `pair` one after the other (null: False), by
    numpy over the data buffer."""
    found = np.zeros(len(column), dtype=bool)
    if len(column) == 0 or column.buffers()[2] is None:
        return found
    offsets, data = value_bytes(column)
    first, second = pair.encode("ascii")
    at = np.flatnonzero((data[:-1] == first) & (data[1:] == second)) + offsets[0]
    if len(at):
        rows = np.searchsorted(offsets, at, side="right") - 1
        inside = at + 1 < offsets[rows + 1]  # both characters in the same value
        found[rows[inside]] = True
    if column.null_count:
        found &= column.is_valid().to_numpy(zero_copy_only=False)
    return found


def ends_in(column: pa.Array, chars: str) -> np.ndarray:
    """Values whose first or last byte is one of the ASCII `chars` (null and empty values:
    False): the two ends read off the data buffer, no regex."""
    return first_byte_in(column, chars) | last_byte_in(column, chars)


def _byte_at_in(column: pa.Array, chars: str, last: bool) -> np.ndarray:
    found = np.zeros(len(column), dtype=bool)
    lengths = byte_lengths(column)
    rows = np.flatnonzero(lengths > 0)
    if not len(rows):
        return found
    wanted = np.zeros(256, dtype=bool)
    wanted[np.frombuffer(chars.encode("latin-1"), dtype=np.uint8)] = True
    data = np.frombuffer(column.buffers()[2], dtype=np.uint8)
    offsets = _offsets(column)
    found[rows] = wanted[data[offsets[rows + 1] - 1 if last else offsets[rows]]]
    return found


def first_byte_in(column: pa.Array, chars: str) -> np.ndarray:
    """Values whose first byte is one of `chars` (each a byte value, U+0000–U+00FF; null and
    empty values: False)."""
    return _byte_at_in(column, chars, last=False)


def last_byte_in(column: pa.Array, chars: str) -> np.ndarray:
    """Values whose last byte is one of `chars` (as first_byte_in)."""
    return _byte_at_in(column, chars, last=True)


def all_ascii(column: pa.Array) -> bool:
    """Whether every value is ASCII (one numpy pass over the data buffer)."""
    if len(column) == 0:
        return True
    offsets = _offsets(column)
    data = column.buffers()[2]
    if data is None:
        return True
    used = np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]]
    return not len(used) or int(used.max()) < 128


def pylist(column: pa.Array) -> list:
    """A string or binary column as a Python list (None for nulls). `to_pylist` builds a Scalar
    per value (~0.5 µs each); this goes through numpy's object conversion (~20 ns)."""
    return column.to_numpy(zero_copy_only=False).tolist()
