"""Spans of a whole column as arrays, and one detector's spans over many texts at once.

`ColumnSpans` holds every span of a column: row, start, end and the detector (an index into
`kinds`), sorted by row and start. Rules and masking read it with numpy; `as_dict` gives the
per-row lists the per-record code uses.

`joined_spans` runs a detector's Python pattern once over its candidate texts joined by line
breaks instead of once per text (the per-text call, its generator and the spans it builds cost
more than the search). A detector may do so when it is `joinable`: its pattern reads a line
break as it reads a text's end (no anchors, no look-around that a line break passes
differently). A match that reaches over a line break is no match of one text: its texts are
marked for the per-text scan (a line break, not a NUL: the URL and track patterns run on over
a NUL, so every text ending in a URL would be). Offsets are characters, so the texts must be
ASCII (a character is a byte) and hold no line break.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udfs.detectors.base import Detector, Span, has_digit

SEPARATOR = "\n"


class ColumnSpans(NamedTuple):
    kinds: tuple[str, ...]
    rows: np.ndarray  # int64, sorted (with `starts`)
    starts: np.ndarray
    ends: np.ndarray
    detector: np.ndarray  # index into `kinds`

    @classmethod
    def empty(cls, kinds: tuple[str, ...]) -> ColumnSpans:
        none = np.zeros(0, dtype=np.int64)
        return cls(kinds, none, none, none, none)

    @classmethod
    def from_dict(cls, kinds: tuple[str, ...], found: dict[int, list[Span]]) -> ColumnSpans:
        index = {k: i for i, k in enumerate(kinds)}
        flat = [(row, s.start, s.end, index[s.kind]) for row in sorted(found) for s in found[row]]
        if not flat:
            return cls.empty(kinds)
        rows, starts, ends, detector = (
            np.array(c, dtype=np.int64) for c in zip(*flat, strict=True)
        )
        return cls(kinds, rows, starts, ends, detector)

    def as_dict(self) -> dict[int, list[Span]]:
        """Row → its spans in order (rows without spans absent)."""
        found: dict[int, list[Span]] = {}
        kinds = self.kinds
        for row, start, end, d in zip(
            self.rows.tolist(),
            self.starts.tolist(),
            self.ends.tolist(),
            self.detector.tolist(),
            strict=True,
        ):
            span = Span(kinds[d], start, end)
            spans = found.get(row)
            if spans is None:
                found[row] = [span]
            else:
                spans.append(span)
        return found

    def of_kinds(self, kinds) -> np.ndarray:
        """Per span: is it of one of `kinds`."""
        wanted = [i for i, k in enumerate(self.kinds) if k in set(kinds)]
        return np.isin(self.detector, wanted)

    def rows_with(self, kinds, size: int) -> np.ndarray:
        """Per row of a column of `size`: does it hold a span of one of `kinds`."""
        found = np.zeros(size, dtype=bool)
        found[self.rows[self.of_kinds(kinds)]] = True
        return found

    def select(self, keep: np.ndarray) -> ColumnSpans:
        return ColumnSpans(
            self.kinds, self.rows[keep], self.starts[keep], self.ends[keep], self.detector[keep]
        )


def _joined_text(texts: pa.Array) -> tuple[str, pa.Buffer, np.ndarray]:
    """The texts joined, each followed by a line break: as one str and as bytes; and where
    each text begins."""
    joined = pc.binary_join_element_wise(texts, SEPARATOR, "")
    if isinstance(joined, pa.ChunkedArray):
        joined = joined.combine_chunks()
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int32)
    offsets = offsets[joined.offset : joined.offset + len(joined) + 1].astype(np.int64)
    data = joined.buffers()[2].slice(offsets[0], offsets[-1] - offsets[0])
    return data.to_pybytes().decode("latin-1"), data, offsets[:-1] - offsets[0]


def joined_spans(
    detector: Detector, texts: pa.Array, digits: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The detector's valid spans over `texts` (ASCII, no line break, none null): (row,
    start, end) sorted, and the rows a match reached over a line break in (their spans are
    missing: scan them one by one). `digits`: the texts' digit_counts, when known."""
    text, data, begins = _joined_text(texts)
    ends = np.append(begins[1:], len(text)) - 1  # where each text's line break sits
    pattern, group, check = detector.pattern, detector.span_group, detector.validate_column
    matches = list(pattern.finditer(text))
    none = np.zeros(0, dtype=np.int64)
    if not matches:
        return none, none, none, none
    bounds = np.array([m.span() for m in matches], dtype=np.int64).reshape(-1, 2)
    rows = np.searchsorted(begins, bounds[:, 0], "right") - 1
    inside = bounds[:, 1] <= ends[rows]
    if not inside.all():
        last = np.searchsorted(begins, np.maximum(bounds[:, 1] - 1, bounds[:, 0]), "right") - 1
        crossed = [np.arange(a, b + 1) for a, b in zip(rows[~inside], last[~inside], strict=True)]
        crossed = np.unique(np.concatenate(crossed)) if crossed else none
    else:
        crossed = none
    valid = np.zeros(len(matches), dtype=bool)
    undecided = np.flatnonzero(inside)
    if check is not None and len(undecided):
        # The match texts as an Arrow array: offsets start, end, start, end ... over the joined
        # text, every second value a match.
        edges = bounds[undecided].ravel()
        if edges.max() < 2**31:
            every = pa.StringArray.from_buffers(
                len(edges) - 1, pa.py_buffer(edges.astype(np.int32)), data
            )
            decided, found = check(every.take(pa.array(np.arange(0, len(edges), 2))))
            valid[undecided[decided]] = found[decided]
            undecided = undecided[~decided]
    validate = detector.validate
    for i in undecided.tolist():
        valid[i] = validate(matches[i])
    picked = np.flatnonzero(valid) if group != 0 else none
    if len(picked):  # (an empty list does not fit bounds[[]]'s shape (0, 2))
        bounds[picked] = [matches[i].span(group) for i in picked.tolist()]
    valid &= ~np.isin(rows, crossed)
    rows, bounds = rows[valid], bounds[valid]
    if len(rows) and detector.may_contain is not _ANY:
        # The per-text scan skips a text its cheap pre-test rejects.
        test = detector.may_contain
        if test is has_digit and digits is not None:  # ASCII: a digit is one of 0-9
            rejected = np.unique(rows[digits[rows] == 0])
        else:
            distinct = np.unique(rows).tolist()
            rejected = [r for r in distinct if not test(text[begins[r] : ends[r]])]
        if len(rejected):
            keep = ~np.isin(rows, rejected)
            rows, bounds = rows[keep], bounds[keep]
    return rows, bounds[:, 0] - begins[rows], bounds[:, 1] - begins[rows], crossed


_ANY = Detector.__dataclass_fields__["may_contain"].default
