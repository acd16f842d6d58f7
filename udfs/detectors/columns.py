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

from udfs.arrow import all_ascii, as_bool, digit_counts, present, pylist, small
from udfs.detectors.base import Detector, Span

Mask = np.ndarray


def regex_mask(column: pa.Array, pattern: str) -> Mask:
    return as_bool(pc.match_substring_regex(column, pattern))


def _with_digits(column: pa.Array, pattern: str, digits: int) -> Mask:
    """`regex_mask(column, pattern)` for a pattern whose every match holds at least `digits`
    ASCII digits: the regex runs only over the values holding that many."""
    rows = np.flatnonzero(digit_counts(column) >= digits)
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


def candidate_mask(detector: Detector, column: pa.Array, ascii_text: bool | None = None) -> Mask:
    """Texts in which the detector could find something."""
    if ascii_text is None:
        ascii_text = all_ascii(column)
    pattern = candidate_pattern(detector, ascii_text)
    if pattern is None:
        return present(column)
    if ascii_text and pattern is detector.ascii_candidate and detector.ascii_candidate_digits:
        return _with_digits(column, pattern, detector.ascii_candidate_digits)
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
    found = candidate_mask(detector, column)
    decided = np.zeros(len(column), dtype=bool)
    if detector.whole is not None and found.any():
        decided, whole_found = detector.whole(column)
        decided &= found
        found = np.where(decided, whole_found, found)
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
        masks = np.column_stack([candidate_mask(d, column, ascii_text) for d in detectors])
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
            spans = self.scan(column.take(pa.array(rows)), upto)
            for i, found_spans in spans.items():
                found[rows[i]] = any(s.kind in kinds for s in found_spans)
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
        detectors = self.detectors[:upto]
        if not detectors or len(column) == 0:
            return {}
        if small(column):
            return self._scan_in_python(column, detectors)
        ascii_text = all_ascii(column)
        rows = np.flatnonzero(self._any_candidate(detectors, column, ascii_text))
        if not len(rows):
            return {}
        subset = column.take(pa.array(rows))
        if ascii_text:
            # Where each detector's first candidate starts: its Python search starts there
            # (less its lead), for in ASCII text a character is a byte.
            starts = np.column_stack(
                [
                    pc.find_substring_regex(subset, candidate_pattern(d, True))
                    .fill_null(-1)
                    .to_numpy(False)
                    - d.candidate_lead
                    for d in detectors
                ]
            )
            masks = starts > -1 - np.array([d.candidate_lead for d in detectors])
            starts = np.maximum(starts, 0)
        else:
            masks = np.column_stack([candidate_mask(d, subset, False) for d in detectors])
            starts = np.zeros(masks.shape, dtype=np.int64)
        found: dict[int, list[Span]] = {}
        single = masks.sum(axis=1) == 1
        which = masks.argmax(axis=1)
        for i, (row, text) in enumerate(zip(rows.tolist(), pylist(subset), strict=True)):
            if single[i]:  # one detector: its spans need no overlap resolution
                j = which[i]
                spans = list(detectors[j].finditer(text, int(starts[i, j])))
            else:
                key = tuple(masks[i])
                scanner = self._scanners.get(key)
                if scanner is None:
                    picked = [d for d, on in zip(detectors, key, strict=True) if on]
                    scanner = self._scanners[key] = self._make(picked)
                spans = scanner.scan(text, starts[i][masks[i]].tolist())
            if spans:
                found[row] = spans
        return found
