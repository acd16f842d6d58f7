"""Protection over columns: the same tokens, masks and coarsened coordinates as
`udfs.protect.record.Protector`, a batch at a time.

Tokens are computed once per distinct value of a batch (dictionary-encoded); the value's normal
form and the token's letters are built by Arrow and numpy, so Python runs only the keyed
HMAC-SHA256 itself, once per distinct value. Fewer than PER_VALUE_BELOW values (a kind of span
in a small batch) are tokenized one by one, which is cheaper than the column-wise path's fixed
cost.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udfs.anonymity.hierarchies import truncate_decimals
from udfs.arrow import (
    STRING,
    all_ascii,
    as_bool,
    ends_in,
    present,
    pylist,
    scatter,
    small,
    value_bytes,
)
from udfs.detectors.gps import plain_mask, significant_decimals
from udfs.detectors.spans import ColumnSpans
from udfs.protect.mask import NEVER_TOKENIZED, mask_text, placeholder
from udfs.protect.record import ProtectionPolicy
from udfs.protect.splice import replace_spans, span_texts
from udfs.protect.tokenize import (
    _LETTERS,
    COMPACT_FIELDS,
    TOKEN_CHARS,
    TokenKey,
    normalize,
    tokenize_identifier,
)
from udfs.rules.batch import BatchView

# What str.strip() removes from an ASCII string.
_ASCII_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "
_SEPARATORS = " -.()"  # what normalize() removes from numbers
# Fewer values than this are tokenized one by one: the column-wise path costs ~0.3 ms a call
# whatever its size, the per-value one ~4 µs a value.
PER_VALUE_BELOW = 48
_UPPER = np.arange(256, dtype=np.uint8)
_UPPER[ord("a") : ord("z") + 1] -= 32
_LOWER = np.arange(256, dtype=np.uint8)
_LOWER[ord("A") : ord("Z") + 1] += 32
_LETTER_CODES = np.frombuffer(_LETTERS.encode(), dtype=np.uint8)
# Two letters per 10 bits, as little-endian pairs of bytes (udfs.protect.tokenize._PAIRS).
_PAIR_CODES = _LETTER_CODES[np.arange(1024) >> 5].astype("<u2") | (
    _LETTER_CODES[np.arange(1024) & 31].astype("<u2") << 8
)


def normalize_column(field: str, values: pa.Array) -> pa.Array:
    """`normalize(field, value)` per value: numpy over the data buffer or Arrow's ASCII kernels
    for ASCII text, Python's own string methods for the rest (their Unicode rules differ)."""
    out = values
    if ends_in(values, _ASCII_SPACE).any():
        out = pc.utf8_trim(values, characters=_ASCII_SPACE)
    if field in COMPACT_FIELDS:
        if not out.null_count:
            out = _rewrite_bytes(out, _UPPER, drop=_SEPARATORS)
        else:
            used = _used_bytes(out)
            for separator in _SEPARATORS:
                if used[ord(separator)]:  # a pass only for the separators held at all
                    out = pc.replace_substring(out, separator, "")
            out = pc.ascii_upper(out)
    elif field == "email":
        out = _rewrite_bytes(out, _LOWER) if not out.null_count else pc.ascii_lower(out)
    elif _used_bytes(out)[ord("@")]:
        out = pc.if_else(pc.match_substring(out, "@"), pc.ascii_lower(out), out)
    if not all_ascii(values):
        rows = np.flatnonzero(as_bool(pc.invert(pc.string_is_ascii(values))))
        fixed = [normalize(field, v) for v in pylist(values.take(pa.array(rows)))]
        out = scatter(len(values), rows, pa.array(fixed, STRING), out)
    return out


def _rewrite_bytes(column: pa.Array, table: np.ndarray, drop: str = "") -> pa.Array:
    """A column without nulls with every byte mapped through `table` and the ASCII `drop`
    bytes removed: numpy over the data buffer (UTF-8 sequences never hold ASCII bytes, and a
    table changing only ASCII bytes leaves them valid)."""
    if column.buffers()[2] is None or not len(column):
        return column
    offsets, used = value_bytes(column)
    offsets = offsets - offsets[0]
    if drop:
        keep = np.ones(256, dtype=bool)
        keep[np.frombuffer(drop.encode("ascii"), dtype=np.uint8)] = False
        kept = keep[used]
        running = np.zeros(len(used) + 1, dtype=np.int32)
        np.cumsum(kept, out=running[1:])
        offsets = running[offsets]
        used = used[kept]
    return pa.StringArray.from_buffers(
        len(column), pa.py_buffer(offsets.tobytes()), pa.py_buffer(table[used].tobytes())
    )


def _used_bytes(column: pa.Array) -> np.ndarray:
    """Which byte values occur in a column's data (to skip kernels with nothing to do)."""
    data = column.buffers()[2]
    if data is None:
        return np.zeros(256, dtype=bool)
    return np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256) > 0


def _letters(digests: bytes, count: int) -> np.ndarray:
    """The first 80 bits of each digest as 16 letters (udfs.protect.tokenize._letters): each
    half of the 80 bits is five bytes, read as four 10-bit indices into the table of pairs."""
    heads = np.frombuffer(digests, dtype=np.uint8).reshape(count, 32)[:, :10]
    b = heads.reshape(count, 2, 5).astype(np.uint16)
    tens = np.empty((count, 2, 4), dtype=np.uint16)
    tens[:, :, 0] = (b[:, :, 0] << 2) | (b[:, :, 1] >> 6)
    tens[:, :, 1] = ((b[:, :, 1] & 63) << 4) | (b[:, :, 2] >> 4)
    tens[:, :, 2] = ((b[:, :, 2] & 15) << 6) | (b[:, :, 3] >> 2)
    tens[:, :, 3] = ((b[:, :, 3] & 3) << 8) | b[:, :, 4]
    return _PAIR_CODES[tens.reshape(count, 8)].view(np.uint8).reshape(count, TOKEN_CHARS)


def _fixed_width(rows: np.ndarray) -> pa.Array:
    """A string array from a (n, width) matrix of ASCII codes."""
    n, width = rows.shape
    offsets = np.arange(n + 1, dtype=np.int32) * width
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets.tobytes()), pa.py_buffer(np.ascontiguousarray(rows).tobytes())
    )


def _last4(values: pa.Array) -> pa.Array:
    """`_` and the last four digits of each value (null where it has fewer than four)."""
    out = pa.nulls(len(values), STRING)
    data = values.buffers()[2]
    if data is not None and len(values):
        # The m-th digit of the data sits just before the first place its running count is m.
        offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)
        offsets = offsets[values.offset : values.offset + len(values) + 1].astype(np.int64)
        used = np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]]
        running = np.zeros(len(used) + 1, dtype=np.int32)  # int64 sums are ~10x slower
        np.cumsum((used - np.uint8(48)) < 10, out=running[1:])
        before, after = running[offsets[:-1] - offsets[0]], running[offsets[1:] - offsets[0]]
        if values.null_count:
            after = np.where(values.is_null().to_numpy(zero_copy_only=False), before, after)
        rows = np.flatnonzero(after - before >= 4)
        if len(rows):
            wanted = (after[rows, None] - 3 + np.arange(4)).astype(np.int32)
            tails = used[np.searchsorted(running, wanted, "left") - 1]
            marks = np.full((len(rows), 1), ord("_"), dtype=np.uint8)
            out = scatter(len(values), rows, _fixed_width(np.hstack([marks, tails])))
    if not all_ascii(values):
        rows = np.flatnonzero(as_bool(pc.invert(pc.string_is_ascii(values))))
        fixed = []
        for value in pylist(values.take(pa.array(rows))):
            found = [c for c in value if c.isdigit()]
            fixed.append("_" + "".join(found[-4:]) if len(found) >= 4 else None)
        out = scatter(len(values), rows, pa.array(fixed, STRING), out)
    return out


def tokenize_values(
    key: TokenKey, field: str, values: pa.Array, keep_last4: bool = False
) -> pa.Array:
    """`tokenize_identifier(key, field, v, keep_last4)` for every (non-null) value."""
    if len(values) < PER_VALUE_BELOW:
        return pa.array(
            [
                None if v is None else tokenize_identifier(key, field, v, keep_last4)
                for v in pylist(values)
            ],
            STRING,
        )
    messages = pc.binary_join_element_wise(f"{field}\x00", normalize_column(field, values), "")
    digests = key.digests_of_binary(pc.cast(messages, pa.binary()))
    prefix = np.frombuffer(f"tok_{field}_{key.prefix}".encode(), dtype=np.uint8)
    rows = np.empty((len(values), len(prefix) + TOKEN_CHARS), dtype=np.uint8)
    rows[:, : len(prefix)] = prefix
    rows[:, len(prefix) :] = _letters(digests, len(values))
    tokens = _fixed_width(rows)
    if keep_last4:
        tails = _last4(values)
        tokens = pc.binary_join_element_wise(tokens, pc.fill_null(tails, ""), "")
    return tokens


def tokenize_column(
    key: TokenKey, field: str, column: pa.Array, keep_last4: bool = False
) -> pa.Array:
    """The column with every non-empty value that is not yet a token tokenized, each distinct
    value once."""
    todo = present(column) & ~as_bool(pc.starts_with(column, "tok_"))
    rows = np.flatnonzero(todo)
    if not len(rows):
        return column
    encoded = pc.dictionary_encode(column.take(pa.array(rows)))
    tokens = tokenize_values(key, field, encoded.dictionary, keep_last4).take(encoded.indices)
    return scatter(len(column), rows, tokens, column)


class ColumnProtector:
    """Protector.protect for a batch: tokenize, mask free text, coarsen, drop."""

    def __init__(self, policy: ProtectionPolicy, key: TokenKey):
        self.policy = policy
        self.key = key
        self.mask_kinds = frozenset(policy.mask_kinds)

    def protect(self, batch: BatchView) -> dict[str, pa.Array]:
        out = {name: batch.column(name) for name in batch.values}
        policy = self.policy
        for name in policy.tokenize:
            if name in out:
                out[name] = tokenize_column(self.key, name, out[name], name in policy.keep_last4)
        for name, mode in policy.mask_text.items():
            if name in out:
                out[name] = self._mask(out[name], batch.column_spans(name), mode)
        for name, decimals in policy.coarsen.items():
            if name in out:
                if out[name] is batch.column(name):  # unchanged: its decimals are known
                    found = batch.decimals(name), batch.plain(name)
                    out[name] = coarsen_column(out[name], decimals, *found)
                else:
                    out[name] = coarsen_column(out[name], decimals)
        for name in policy.drop:
            if name in out:
                out[name] = pa.nulls(batch.size, STRING)
        return out

    def _mask(self, column: pa.Array, spans: ColumnSpans, mode: str) -> pa.Array:
        """The column with the spans of the masked kinds replaced: in ASCII values by one
        splice over the column (udfs.protect.splice), in the others value by value."""
        spans = spans.select(spans.of_kinds(self.mask_kinds))
        if not len(spans.rows):
            return column
        if not all_ascii(column):
            ascii_rows = as_bool(pc.string_is_ascii(column))
            other = ~ascii_rows[spans.rows]
            if other.any():
                column = self._mask_in_python(column, spans.select(other).as_dict(), mode)
                spans = spans.select(~other)
                if not len(spans.rows):
                    return column
        rows, values = replace_spans(column, spans, self._replacements(column, spans, mode))
        return scatter(len(column), rows, values, column)

    def _replacements(self, column: pa.Array, spans: ColumnSpans, mode: str) -> pa.Array:
        """Per span its placeholder or its text's token (each distinct text of a kind once)."""
        names = pa.array([placeholder(kind) for kind in spans.kinds], STRING)
        out = names.take(pa.array(spans.detector))
        if mode == "placeholder":
            return out
        texts = span_texts(column, spans)
        for d, kind in enumerate(spans.kinds):
            if kind in NEVER_TOKENIZED:
                continue
            where = np.flatnonzero(spans.detector == d)
            if not len(where):
                continue
            encoded = pc.dictionary_encode(texts.take(pa.array(where)))
            tokens = tokenize_values(self.key, kind, encoded.dictionary).take(encoded.indices)
            out = scatter(len(out), where, tokens, out)
        return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out

    def _mask_in_python(self, column: pa.Array, chosen: dict, mode: str) -> pa.Array:
        rows = np.array(sorted(chosen), dtype=np.int64)
        texts = pylist(column.take(pa.array(rows)))
        wanted: dict[str, set[str]] = {}
        if mode != "placeholder":
            for row, text in zip(rows, texts, strict=True):
                if text:
                    for s in chosen[row]:
                        if s.kind not in NEVER_TOKENIZED:
                            wanted.setdefault(s.kind, set()).add(text[s.start : s.end])
        tokens: dict[tuple[str, str], str] = {}
        for kind, found in wanted.items():
            distinct = sorted(found)
            made = pylist(tokenize_values(self.key, kind, pa.array(distinct, STRING)))
            tokens.update(((kind, v), t) for v, t in zip(distinct, made, strict=True))

        def replace(kind: str, text: str) -> str:
            if mode == "placeholder" or kind in NEVER_TOKENIZED:
                return placeholder(kind)
            return tokens[(kind, text)]

        masked = [
            mask_text(text, chosen[row], replace) if text else text
            for row, text in zip(rows, texts, strict=True)
        ]
        return scatter(len(column), rows, pa.array(masked, STRING), column)


def coarsen_column(
    column: pa.Array,
    decimals: int,
    significant: np.ndarray | None = None,
    plain: np.ndarray | None = None,
) -> pa.Array:
    """Coordinates more precise than `decimals` cut to that many (truncate_decimals);
    `significant`, `plain`: the column's significant decimals and plain values, when known."""
    if plain is None:
        plain = plain_mask(column)
    if significant is None:
        significant = significant_decimals(column, plain)
    precise = significant > decimals
    rows = np.flatnonzero(precise)
    if not len(rows):
        return column
    values = column.take(pa.array(rows))
    if small(values):
        fixed = [truncate_decimals(v, decimals) for v in pylist(values)]
        return scatter(len(column), rows, pa.array(fixed, STRING), column)
    plain = plain[rows]
    cut = rf"^(-?\d+\.\d{{{decimals}}})\d*$" if decimals else r"^(-?\d+)\.\d*$"
    out = pc.replace_substring_regex(values, cut, r"\1")
    if not plain.all():
        odd = np.flatnonzero(~plain)
        fixed = [truncate_decimals(v, decimals) for v in pylist(values.take(pa.array(odd)))]
        out = scatter(len(values), odd, pa.array(fixed, STRING), out)
    return scatter(len(column), rows, out, column)


__all__ = ["ColumnProtector", "coarsen_column", "tokenize_column", "tokenize_values"]
