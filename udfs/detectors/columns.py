"""Detectors over a whole column (an Arrow array of texts), with the answers of the per-record
detectors.

Each detector may give column-wise helpers (see Detector): `candidate`, an RE2 pattern true for
every text in which its Python pattern could find anything (a superset: RE2 has no look-behind
or back-reference, so candidates drop those, and use Unicode digit classes where Python's `\\d`
is Unicode, unless the text is ASCII), and `whole`, which decides the common whole-value shapes
of a field (a dashed SSN, a NANP phone, a plain e-mail) with vectorized checks. Whatever neither
decides is judged by the detector's own Python code, one value at a time, so every answer is
exact.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udfs.arrow import all_ascii, as_bool, digit_counts, holds_any, present, pylist, small
from udfs.detectors.base import Detector, Span
from udfs.detectors.spans import SEPARATOR, ColumnSpans, joined_spans

Mask = np.ndarray


def regex_mask(column: pa.Array, pattern: str) -> Mask:
    return as_bool(pc.match_substring_regex(column, pattern))


def _with_digits(
    column: pa.Array, pattern: str, digits: int, counts: np.ndarray | None = None
) -> Mask:
    """`regex_mask(column, pattern)` for a pattern whose every match holds at least `digits`
    ASCII digits: the regex runs only over the values holding that many (`counts`: the
    column's digit_counts, when known)."""
    return _where(column, pattern, (digit_counts(column) if counts is None else counts) >= digits)


def _where(column: pa.Array, pattern: str, held: Mask) -> Mask:
    """`regex_mask(column, pattern)`, known False outside `held`."""
    rows = np.flatnonzero(held)
    if len(rows) == len(column):
        return regex_mask(column, pattern)
    found = np.zeros(len(column), dtype=bool)
    if len(rows):
        found[rows] = regex_mask(column.take(pa.array(rows)), pattern)
    return found


def candidate_pattern(detector: Detector, ascii_text: bool) -> str | None:
    """The detector's candidate pattern for ASCII text or for any text (None: every text)."""
    if ascii_text and detector.ascii_candidate is not None:
        return detector.ascii_candidate
    return detector.candidate


def candidate_mask(
    detector: Detector,
    column: pa.Array,
    ascii_text: bool | None = None,
    digits: np.ndarray | None = None,
) -> Mask:
    """Texts in which the detector could find something (`digits`: the column's
    digit_counts, when known)."""
    if ascii_text is None:
        ascii_text = all_ascii(column)
    pattern = candidate_pattern(detector, ascii_text)
    if pattern is None:
        return present(column)
    if ascii_text and detector.ascii_candidate_bytes:
        held = holds_any(column, detector.ascii_candidate_bytes)
        if detector.ascii_candidate_digits:
            counts = digit_counts(column) if digits is None else digits
            held &= counts >= detector.ascii_candidate_digits
        return _where(column, pattern, held)
    if ascii_text and pattern is detector.ascii_candidate and detector.ascii_candidate_digits:
        return _with_digits(column, pattern, detector.ascii_candidate_digits, digits)
    found = regex_mask(column, pattern)
    if not ascii_text and detector.ascii_candidate is not None:
        # Mixed text: the tighter pattern for the ASCII rows, the superset for the others.
        ascii_rows = as_bool(pc.string_is_ascii(column))
        found &= ~ascii_rows
        found |= ascii_rows & regex_mask(column, detector.ascii_candidate)
    return found


def contains_column(detector: Detector, column: pa.Array) -> Mask:
    """`detector.contains(value)` for every value of the column."""
    if small(column):
        found = present(column)
        rest = np.flatnonzero(found)
        found[rest] = [detector.contains(t) for t in pylist(column.take(pa.array(rest)))]
        return found
    if detector.whole is None:
        found = candidate_mask(detector, column)
        decided = np.zeros(len(column), dtype=bool)
    else:
        # The common shapes first (exact: no candidate there means not found); the candidate
        # pass only over the values they leave.
        decided, found = detector.whole(column)
        open_rows = np.flatnonzero(~decided)
        if len(open_rows) == len(column):
            found = candidate_mask(detector, column)
        elif len(open_rows):
            found = found.copy()
            found[open_rows] = candidate_mask(detector, column.take(pa.array(open_rows)))
    rest = np.flatnonzero(found & ~decided)
    if len(rest):
        texts = pylist(column.take(pa.array(rest)))
        found[rest] = [detector.contains(t) for t in texts]
    return found


class ColumnScanner:
    """`TextScanner.scan` for every text of a column: one RE2 pass for any detector's candidate,
    each detector's own candidates on those rows, then the Python scan of each candidate text
    with only the detectors whose candidates hold it (a detector with no candidate in a text has
    no span there, so overlaps resolve as before)."""

    def __init__(self, detectors: Iterable[Detector]):
        from udfs.detectors import TextScanner

        self.detectors = list(TextScanner(detectors).detectors)  # in priority order
        self._scanners: dict[tuple[bool, ...], TextScanner] = {}
        self._make = TextScanner

    def upto(self, kinds: Iterable[str]) -> int:
        """How many detectors (in priority order) decide whether spans of `kinds` survive:
        a span is only ever dropped for one of higher priority."""
        wanted = set(kinds)
        last = max((i for i, d in enumerate(self.detectors) if d.kind in wanted), default=-1)
        return last + 1

    def _any_candidate(self, detectors: list[Detector], column: pa.Array, ascii_text: bool) -> Mask:
        patterns = [candidate_pattern(d, ascii_text) for d in detectors]
        if any(p is None for p in patterns) or not ascii_text:
            masks = [candidate_mask(d, column, ascii_text) for d in detectors]
            return np.logical_or.reduce(masks)
        return regex_mask(column, "|".join(f"(?:{p})" for p in patterns))

    def has_kind(self, column: pa.Array, kinds: Iterable[str]) -> Mask:
        """Rows whose spans hold one of `kinds`. Where the only detector with a candidate in a
        value is one of `kinds` and its `whole` decides the value, that answer is the span's."""
        kinds = set(kinds)
        upto = self.upto(kinds)
        detectors = self.detectors[:upto]
        if not detectors or len(column) == 0:
            return np.zeros(len(column), dtype=bool)
        if small(column):
            found = np.zeros(len(column), dtype=bool)
            for row, spans in self._scan_in_python(column, detectors).items():
                found[row] = any(s.kind in kinds for s in spans)
            return found
        ascii_text = all_ascii(column)
        digits = digit_counts(column) if ascii_text else None
        masks = np.column_stack([candidate_mask(d, column, ascii_text, digits) for d in detectors])
        found = np.zeros(len(column), dtype=bool)
        # No candidate of the asked kinds: no span of theirs.
        undecided = masks[:, [d.kind in kinds for d in detectors]].any(axis=1)
        alone = masks.sum(axis=1) == 1
        for j, detector in enumerate(detectors):
            if detector.kind in kinds and detector.whole is not None:
                only = alone & masks[:, j]
                if only.any():
                    decided, whole_found = detector.whole(column)
                    decided &= only
                    found[decided] = whole_found[decided]
                    undecided &= ~decided
        rows = np.flatnonzero(undecided)
        if len(rows):
            spans = self.scan_columns(column.take(pa.array(rows)), upto)
            found[rows] = spans.rows_with(kinds, len(rows))
        return found

    def _scan_in_python(self, column: pa.Array, detectors: list[Detector]) -> dict[int, list[Span]]:
        key = tuple(d in detectors for d in self.detectors)
        scanner = self._scanners.get(key)
        if scanner is None:
            scanner = self._scanners[key] = self._make(detectors)
        rows = np.flatnonzero(present(column))
        found = {}
        for row, text in zip(rows.tolist(), pylist(column.take(pa.array(rows))), strict=True):
            spans = scanner.scan(text)
            if spans:
                found[row] = spans
        return found

    def scan(self, column: pa.Array, upto: int | None = None) -> dict[int, list[Span]]:
        """Row → spans, for the rows with at least one span; with `upto`, the spans of the
        first `upto` detectors only."""
        return self.scan_columns(column, upto).as_dict()

    def scan_columns(self, column: pa.Array, upto: int | None = None) -> ColumnSpans:
        """`scan` as arrays. Each joinable detector's pattern runs once over its candidate
        texts joined (udfs.detectors.spans); a text that is not ASCII, holds a line break or a
        candidate of a detector that cannot join is scanned on its own, as is a text a joined
        match reached out of."""
        detectors = self.detectors[:upto]
        kinds = tuple(d.kind for d in detectors)
        if not detectors or len(column) == 0:
            return ColumnSpans.empty(kinds)
        if small(column):
            return ColumnSpans.from_dict(kinds, self._scan_in_python(column, detectors))
        ascii_text = all_ascii(column)
        rows = np.flatnonzero(self._any_candidate(detectors, column, ascii_text))
        if not len(rows):
            return ColumnSpans.empty(kinds)
        subset = column.take(pa.array(rows))
        digits = digit_counts(subset)
        masks = np.column_stack([candidate_mask(d, subset, ascii_text, digits) for d in detectors])
        alone = ~masks[:, [d.joinable for d in detectors]].any(axis=1) | masks[
            :, [not d.joinable for d in detectors]
        ].any(axis=1)
        if not ascii_text:
            alone |= ~as_bool(pc.string_is_ascii(subset))
        if pc.any(pc.match_substring(subset, SEPARATOR)).as_py():
            alone |= as_bool(pc.match_substring(subset, SEPARATOR))
        parts = []
        for j, detector in enumerate(detectors):
            picked = np.flatnonzero(masks[:, j] & ~alone)
            if not len(picked):
                continue
            texts = subset.take(pa.array(picked))
            found, starts, ends, crossed = joined_spans(detector, texts, digits[picked])
            alone[picked[crossed]] = True
            parts.append((picked[found], starts, ends, np.full(len(found), j, dtype=np.int64)))
        joined = _resolve(kinds, parts, alone)
        single = np.flatnonzero(alone)
        if not len(single):
            return _at_rows(joined, rows)
        texts = pylist(subset.take(pa.array(single)))
        found: dict[int, list[Span]] = {}
        for i, text in zip(single.tolist(), texts, strict=True):
            key = tuple(masks[i])
            scanner = self._scanners.get(key)
            if scanner is None:
                picked = [d for d, on in zip(detectors, key, strict=True) if on]
                scanner = self._scanners[key] = self._make(picked)
            spans = scanner.scan(text)
            if spans:
                found[i] = spans
        return _at_rows(_merge(joined, ColumnSpans.from_dict(kinds, found)), rows)


def _resolve(kinds: tuple[str, ...], parts: list, dropped: np.ndarray) -> ColumnSpans:
    """Each detector's spans (row, start, end, detector) in one ColumnSpans sorted by row and
    start, without the rows `dropped`; where detectors' spans overlap in a row, the earlier
    detector's win (TextScanner.scan)."""
    if not parts:
        return ColumnSpans.empty(kinds)
    rows, starts, ends, detector = (np.concatenate(c) for c in zip(*parts, strict=True))
    keep = ~dropped[rows]
    spans = ColumnSpans(kinds, rows[keep], starts[keep], ends[keep], detector[keep])
    order = np.lexsort((spans.starts, spans.rows))
    spans = spans.select(order)
    if not len(spans.rows):
        return spans
    # Rows with spans of two or more detectors may overlap: resolved in Python, span by span.
    first = np.r_[True, spans.rows[1:] != spans.rows[:-1]]
    group = np.cumsum(first) - 1
    low = np.minimum.reduceat(spans.detector, np.flatnonzero(first))
    high = np.maximum.reduceat(spans.detector, np.flatnonzero(first))
    mixed = (low != high)[group]
    if not mixed.any():
        return spans
    keep = np.ones(len(spans.rows), dtype=bool)
    where = np.flatnonzero(mixed)
    by_row: dict[int, list[int]] = {}
    for i, row in zip(where.tolist(), spans.rows[where].tolist(), strict=True):
        by_row.setdefault(row, []).append(i)
    s, e, d = spans.starts.tolist(), spans.ends.tolist(), spans.detector.tolist()
    for members in by_row.values():
        taken: list[int] = []
        for i in sorted(members, key=lambda i: d[i]):  # stable: in order within a detector
            if all(e[i] <= s[t] or s[i] >= e[t] for t in taken):
                taken.append(i)
            else:
                keep[i] = False
    return spans.select(keep)


def _merge(a: ColumnSpans, b: ColumnSpans) -> ColumnSpans:
    parts = [(x.rows, x.starts, x.ends, x.detector) for x in (a, b)]
    rows, starts, ends, detector = (np.concatenate(c) for c in zip(*parts, strict=True))
    merged = ColumnSpans(a.kinds, rows, starts, ends, detector)
    return merged.select(np.lexsort((starts, rows)))


def _at_rows(spans: ColumnSpans, rows: np.ndarray) -> ColumnSpans:
    """Spans of a subset's rows at the column's rows."""
    return spans._replace(rows=rows[spans.rows])
