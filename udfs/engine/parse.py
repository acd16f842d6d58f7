"""Parsing a batch of CSV lines or JSON messages into one column per schema field.

Every input gets the answer `udfs.pipeline` gives it one at a time: a record (its values, raw
text and extra columns), a quarantine entry with the same reason, or nothing (a header or a
blank line). Lines without a quote are split by Arrow in C (`split_pattern`, the same as
`str.split(",")`); the few with quotes go through Python's csv module, as before.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from udfs.arrow import (
    STRING,
    as_bool,
    byte_lengths,
    first_byte_in,
    holds_any,
    last_byte_in,
    pylist,
    take_rows,
)
from udfs.pipeline import (
    MAX_LINE_CHARS,
    TOO_DEEP,
    UNPAIRED_SURROGATE,
    Layout,
    _text,
    normalize_path,
    too_deep,
    utf8_encodable,
)

# The characters str.strip() removes (str.isspace): a line of only these is blank.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_BLANK = "^[" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_WHITESPACE) + "]*$"


# A blank line is empty or starts with one of these bytes (an ASCII blank, or the lead byte of
# a multi-byte one): only such lines go through the _BLANK pattern.
_BLANK_LEADS = "".join(c for c in PY_WHITESPACE if ord(c) < 128) + "\xc2\xe1\xe2\xe3"


SPLIT_ROWS = 16_384  # lines split at a time (see _split)


def _blank(text: pa.Array) -> np.ndarray:
    """Lines of only whitespace (what `not line.strip()` says)."""
    found = first_byte_in(text, _BLANK_LEADS) | (byte_lengths(text) == 0)
    found &= ~text.is_null().to_numpy(zero_copy_only=False)
    if found.any():
        found[found] = as_bool(pc.match_substring_regex(text.filter(pa.array(found)), _BLANK))
    return found


@dataclass
class Quarantined:
    """Inputs that cannot enter the pipeline, with their input position."""

    rows: list[int] = field(default_factory=list)
    record_ids: list[str | None] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    raws: list[str] = field(default_factory=list)

    def add(self, row: int, reason: str, raw: str, record_id: str | None = None) -> None:
        self.rows.append(int(row))
        self.reasons.append(reason)
        self.raws.append(raw)
        self.record_ids.append(record_id)

    def add_many(self, rows, reasons, raws, record_ids) -> None:
        self.rows.extend(int(r) for r in rows)
        self.reasons.extend(reasons)
        self.raws.extend(raws)
        self.record_ids.extend(record_ids)


@dataclass
class Parsed:
    """The records found in a batch, a column per schema field (None: no file had the column)."""

    rows: np.ndarray  # input position of each record
    values: dict[str, pa.Array | None]
    raw: pa.Array  # the lines or messages, for a quarantine entry after validation
    extra: pa.Array  # columns beyond the contract, as JSON (null when none)
    quarantined: Quarantined
    skipped: int = 0  # headers and blank lines: no record
    # Where each record's text is in `raw` (None: at the record's own index). Only the few
    # records that fail validation need theirs: no copy of every line.
    raw_at: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.rows)

    def raws(self, records: np.ndarray) -> list[str | None]:
        """The text of the given records (indices into `rows`)."""
        at = records if self.raw_at is None else self.raw_at[records]
        return pylist(take_rows(self.raw, at))


def _decode(lines: pa.Array, quarantined: Quarantined) -> tuple[pa.Array, np.ndarray]:
    """The lines as text, and which of them are valid UTF-8 (the others are quarantined)."""
    try:
        return lines.cast(STRING), np.ones(len(lines), dtype=bool)
    except pa.ArrowInvalid:
        pass
    texts: list[str | None] = []
    ok = np.ones(len(lines), dtype=bool)
    for row, data in enumerate(pylist(lines)):
        try:
            texts.append(data.decode("utf-8"))
        except UnicodeDecodeError:
            quarantined.add(row, "not UTF-8", data.decode("utf-8", "backslashreplace"))
            texts.append(None)
            ok[row] = False
        except AttributeError:  # a null line
            texts.append(None)
            ok[row] = False
    return pa.array(texts, STRING), ok


class CsvLayouts:
    """The layouts of the input files as arrays: per layout its width, header and the position
    of each schema field (-1 where the file has no such column)."""

    def __init__(self, layouts: dict[str, Layout], names: tuple[str, ...]):
        self.paths = list(layouts)
        self.layouts = list(layouts.values())
        self.names = names
        self.widths = np.array([lay.width for lay in self.layouts], dtype=np.int64)
        self.positions = np.array(
            [[-1 if p is None else p for p in lay.positions] for lay in self.layouts],
            dtype=np.int64,
        ).reshape(len(self.layouts), len(names))
        self.index = {path: i for i, path in enumerate(self.paths)}
        self.headers = pa.array([lay.header for lay in self.layouts], STRING)
        self.with_extras = np.array([bool(lay.extras) for lay in self.layouts])

    def of_rows(self, paths: pa.Array | str | None, n: int) -> np.ndarray:
        """The layout index of each line (-1: no header known for its file); `paths` is one
        path per line, or the one path of every line."""
        if len(self.layouts) == 1:
            return np.zeros(n, dtype=np.int64)
        if isinstance(paths, str):
            return np.full(n, self.index.get(normalize_path(paths), -1), dtype=np.int64)
        encoded = pc.dictionary_encode(paths if paths is not None else pa.nulls(n, STRING))
        known = np.array(
            [self.index.get(normalize_path(p or ""), -1) for p in pylist(encoded.dictionary)]
            + [-1],
            dtype=np.int64,
        )
        codes = encoded.indices.fill_null(len(known) - 1).to_numpy()
        return known[codes]


def parse_lines(lines: pa.Array, paths: pa.Array | str | None, layouts: CsvLayouts) -> Parsed:
    n = len(lines)
    quarantined = Quarantined()
    text, utf8 = _decode(lines, quarantined)
    if last_byte_in(text, "\r\n").any():
        text = pc.utf8_rtrim(text, characters="\r\n")
    layout = layouts.of_rows(paths, n)
    unknown = np.flatnonzero(utf8 & (layout < 0))
    for row, line in zip(unknown, pylist(take_rows(text, unknown)), strict=True):
        quarantined.add(row, "no header known for this file", line)
    live = utf8 & (layout >= 0)
    if len(layouts.layouts) == 1:
        not_record = as_bool(pc.equal(text, layouts.headers[0]))
    else:
        headers = layouts.headers.take(pa.array(np.maximum(layout, 0)))
        not_record = as_bool(pc.equal(text, headers))
    not_record |= _blank(text)
    skipped = int((live & not_record).sum())
    live &= ~not_record
    lengths = byte_lengths(text)  # a line of no more bytes has no more characters
    too_long = live & (lengths > MAX_LINE_CHARS)
    if too_long.any():
        too_long[too_long] = as_bool(
            pc.greater(pc.utf8_length(text.filter(pa.array(too_long))), MAX_LINE_CHARS)
        )
    for row in np.flatnonzero(too_long):
        line = text[int(row)].as_py()
        quarantined.add(row, f"line longer than {MAX_LINE_CHARS} characters", line[:1000])
    live &= ~too_long
    parts = [
        _split(text, live, layout, layouts, quarantined, start, min(start + SPLIT_ROWS, n))
        for start in range(0, max(n, 1), SPLIT_ROWS)  # one part when there are no lines
    ]
    return _joined(parts, text, quarantined, skipped)


def _split(
    text: pa.Array, live: np.ndarray, layout: np.ndarray, layouts: CsvLayouts,
    quarantined: Quarantined, start: int, end: int,
) -> Parsed:  # fmt: skip
    """The cells of the live lines start..end (a range at a time: Arrow splits and takes ~30%
    faster over 16,000 lines than over 50,000, whose cells no longer fit the CPU's caches)."""
    piece = text.slice(start, end - start)
    live = live[start:end]
    quoted = live & holds_any(piece, '"')
    plain_rows = np.flatnonzero(live & ~quoted)
    # Lines with a quote: Python's csv module, as per record.
    quoted_rows, quoted_cells = [], []
    for row, line in zip(np.flatnonzero(quoted), pylist(take_rows(piece, np.flatnonzero(quoted))), strict=True):  # fmt: skip
        try:
            quoted_cells.append(next(csv.reader([line]), []))
            quoted_rows.append(row)
        except csv.Error:
            quarantined.add(start + row, "malformed CSV quoting", line)
    plain = piece if len(plain_rows) == len(piece) else take_rows(piece, plain_rows)
    cells = pc.split_pattern(plain, ",")
    rows = plain_rows
    if quoted_rows:
        rows = np.concatenate([plain_rows, np.array(quoted_rows, dtype=np.int64)])
        cells = pa.concat_arrays([cells, pa.array(quoted_cells, pa.list_(STRING))])
    # Back in input order: the rows' cell positions are reordered, never the cells themselves.
    order = np.argsort(rows, kind="stable") if quoted_rows else None
    if order is not None:
        rows = rows[order]
    rows = rows + start
    return _cells_to_columns(rows, cells, layout[rows], text, layouts, quarantined, 0, order)


def _joined(parts: list[Parsed], text: pa.Array, quarantined: Quarantined, skipped: int) -> Parsed:
    """The parts of one batch's lines as one Parsed (each column's pieces concatenated)."""
    if len(parts) == 1:
        parts[0].skipped = skipped
        return parts[0]
    values: dict[str, pa.Array | None] = {}
    for name in parts[0].values:
        pieces = [part.values[name] for part in parts]
        values[name] = (
            None if any(p is None for p in pieces) else pa.concat_arrays(pieces)
        )  # a part without rows has an empty column; one with rows has None only if all do
    return Parsed(
        np.concatenate([part.rows for part in parts]),
        values,
        text,
        pa.concat_arrays([part.extra for part in parts]),
        quarantined,
        skipped,
        raw_at=np.concatenate([part.raw_at for part in parts]),
    )


def _cells_to_columns(
    rows: np.ndarray, cells: pa.ListArray, layout: np.ndarray, text: pa.Array,
    layouts: CsvLayouts, quarantined: Quarantined, skipped: int, order: np.ndarray | None = None,
) -> Parsed:  # fmt: skip
    """`order`: where each row's cells are in `cells` (None: in row order)."""
    counts = pc.list_value_length(cells).to_numpy()
    flat = cells.flatten()
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    if order is not None:
        counts, starts = counts[order], starts[order]
    widths = layouts.widths[layout]
    ok = counts == widths
    # Wrong number of columns: the reason names both, the record id is kept where there is one.
    bad = np.flatnonzero(~ok)
    if len(bad):
        id_pos = layouts.positions[layout[bad], 0]
        has_id = (id_pos >= 0) & (counts[bad] > id_pos)
        ids = pylist(flat.take(pa.array(starts[bad] + np.maximum(id_pos, 0), mask=~has_id)))
        quarantined.add_many(
            rows[bad],
            [f"expected {w} columns, got {c}" for w, c in zip(widths[bad], counts[bad], strict=True)],
            pylist(take_rows(text, rows[bad])),
            ids,
        )  # fmt: skip
    good = np.flatnonzero(ok)
    positions = layouts.positions[layout[good]]
    values: dict[str, pa.Array | None] = {}
    for f, name in enumerate(layouts.names):
        pos = positions[:, f]
        if len(pos) and (pos < 0).all():
            values[name] = (
                None if (layouts.positions[:, f] < 0).all() else pa.nulls(len(good), STRING)
            )
            continue
        values[name] = flat.take(pa.array(starts[good] + np.maximum(pos, 0), mask=pos < 0))
    extra = pa.nulls(len(good), STRING)
    extra_rows = np.flatnonzero(layouts.with_extras[layout[good]])
    if len(extra_rows):
        texts: list[str | None] = [None] * len(good)
        at = good[extra_rows] if order is None else order[good[extra_rows]]
        picked = cells.take(pa.array(at)).to_pylist()
        for i, row_cells in zip(extra_rows, picked, strict=True):
            lay = layouts.layouts[layout[good[i]]]
            texts[i] = json.dumps({name: row_cells[at] for name, at in lay.extras})
        extra = pa.array(texts, STRING)
    return Parsed(rows[good], values, text, extra, quarantined, skipped, raw_at=rows[good])


class _Unencodable(ValueError):
    pass


def _loads(message: str) -> Any:
    try:
        return orjson.loads(message)
    except orjson.JSONDecodeError:
        pass
    data = json.loads(message)  # what orjson refuses and json accepts (NaN, huge ints, …)
    if isinstance(data, dict) and "\\u" in message and not utf8_encodable(data):
        raise _Unencodable
    return data


def _text_column(values: list) -> pa.Array:
    """JSON values as text (udfs.pipeline._text): Arrow takes strings and nulls as they are;
    a column holding numbers, booleans or objects goes through _text value by value."""
    try:
        return pa.array(values, STRING)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([_text(v) for v in values], STRING)


def parse_messages(messages: list[bytes | str | None], names: tuple[str, ...]) -> Parsed:
    """JSON objects, one per Kafka message value (see RecordProcessor.process_message)."""
    quarantined = Quarantined()
    name_set = frozenset(names)
    rows: list[int] = []
    raws: list[str] = []
    extras: list[str | None] = []
    objects: list[dict] = []
    for row, message in enumerate(messages):
        if message is None:
            quarantined.add(row, "empty message", "")
            continue
        if isinstance(message, bytes):
            try:
                message = message.decode("utf-8")
            except UnicodeDecodeError:
                quarantined.add(row, "not UTF-8", message.decode("utf-8", "backslashreplace"))
                continue
        if too_deep(message):
            quarantined.add(row, TOO_DEEP, message)
            continue
        try:
            data = _loads(message)
        except _Unencodable:
            quarantined.add(row, UNPAIRED_SURROGATE, message)
            continue
        except ValueError:
            quarantined.add(row, "not valid JSON", message)
            continue
        if not isinstance(data, dict):
            quarantined.add(row, "JSON value is not an object", message)
            continue
        objects.append(data)
        rows.append(row)
        raws.append(message)
        if data.keys() <= name_set:
            extras.append(None)
        else:
            extras.append(json.dumps({k: v for k, v in data.items() if k not in name_set}))
    values = {name: _text_column([d.get(name) for d in objects]) for name in names}
    return Parsed(
        np.array(rows, dtype=np.int64),
        values,
        pa.array(raws, STRING),
        pa.array(extras, STRING),
        quarantined,
    )
