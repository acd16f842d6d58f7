"""Free text with its spans replaced, a whole column at once: the bytes of every changed value
gathered by one numpy index from the column's data and the replacements' data, no Python per
span. Offsets are characters, so the values with spans must be ASCII (the caller sends the
others to `udfs.protect.mask.mask_text`)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from udfs.detectors.spans import ColumnSpans


def _offsets(column: pa.Array) -> np.ndarray:
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)
    return offsets[column.offset : column.offset + len(column) + 1].astype(np.int64)


def _data(column: pa.Array) -> np.ndarray:
    data = column.buffers()[2]
    return np.zeros(0, np.uint8) if data is None else np.frombuffer(data, dtype=np.uint8)


def span_texts(column: pa.Array, spans: ColumnSpans) -> pa.Array:
    """The text of every span (ASCII values; spans sorted and not overlapping), as one array:
    its offsets run start, end, start, end ... over the column's data, every second value a
    span."""
    where = _offsets(column)[spans.rows]
    edges = np.column_stack([where + spans.starts, where + spans.ends]).ravel()
    if not len(edges):
        return pa.array([], pa.string())
    every = pa.StringArray.from_buffers(
        len(edges) - 1, pa.py_buffer(edges.astype(np.int32)), column.buffers()[2]
    )
    return every.take(pa.array(np.arange(0, len(edges), 2)))


def replace_spans(
    column: pa.Array, spans: ColumnSpans, replacements: pa.Array
) -> tuple[np.ndarray, pa.Array]:
    """(rows, their new values): each row holding spans with every span replaced by its
    replacement (one per span, in the spans' order)."""
    rows, first = np.unique(spans.rows, return_index=True)
    count = len(spans.rows)
    offsets = _offsets(column)
    # Pieces in output order: per row its text before each span, the span's replacement, and
    # after its last span the rest of its text. Sources: the column's data, then the
    # replacements' data.
    source = np.concatenate([_data(column), _data(replacements)])
    base = len(_data(column))
    made = _offsets(replacements)
    row_start = offsets[spans.rows]
    last = np.r_[first[1:], count] - 1  # each row's last span
    gap_from = row_start + np.r_[0, spans.ends[:-1]]
    gap_from[first] = row_start[first]
    gap_to = row_start + spans.starts
    piece_from = np.empty(2 * count + len(rows), dtype=np.int64)
    piece_to = np.empty_like(piece_from)
    # Slots: span i's gap at 2i + (its row's index), its replacement after it, a row's tail
    # after its last replacement.
    row_of_span = np.repeat(np.arange(len(rows)), np.diff(np.r_[first, count]))
    slot = 2 * np.arange(count) + row_of_span
    piece_from[slot], piece_to[slot] = gap_from, gap_to
    piece_from[slot + 1] = base + made[:-1]
    piece_to[slot + 1] = base + made[1:]
    tail = slot[last] + 2
    piece_from[tail] = row_start[last] + spans.ends[last]
    piece_to[tail] = offsets[rows + 1]
    lengths = piece_to - piece_from
    total = int(lengths.sum())
    out_at = np.cumsum(lengths) - lengths
    kind = np.int32 if len(source) < 2**31 and total < 2**31 else np.int64  # int32: ~2x faster
    index = np.arange(total, dtype=kind) + np.repeat((piece_from - out_at).astype(kind), lengths)
    data = source[index]
    # Row ends in the output: after each row's tail piece.
    ends = np.cumsum(lengths)[tail]
    new_offsets = np.r_[0, ends].astype(np.int32)
    values = pa.StringArray.from_buffers(len(rows), pa.py_buffer(new_offsets), pa.py_buffer(data))
    return rows, values
