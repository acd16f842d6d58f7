"""Rules over a whole batch: the records' values as columns, detector results computed once per
column and shared by every rule and by protection (the column-wise twin of RecordView)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa

from udfs.arrow import pylist
from udfs.detectors import Span, TextScanner
from udfs.detectors.columns import ColumnScanner, contains_column, present
from udfs.detectors.fields import in_field_column
from udfs.detectors.spans import ColumnSpans
from udfs.rules.base import RecordView

STRING = pa.string()


@dataclass
class Found:
    """Violations of one rule on some records of a batch: `rows` are record positions; `field`,
    `description` and `severity` are one value for all of them or one per row (None: the rule's
    own severity)."""

    rows: np.ndarray
    field: str | list[str]
    description: str | list[str]
    severity: str | list[str] | None = None


class BatchView:
    """The valid records of a batch: a column per schema field, and per column the detector
    answers (`contains`, `spans`) computed once, on first use."""

    def __init__(
        self,
        values: dict[str, pa.Array | None],
        size: int,
        scanner: TextScanner,
        as_of: datetime,
        micros: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
        plain: dict[str, np.ndarray] | None = None,
    ):
        self.values = values
        self.size = size
        self.scanner = scanner
        self.as_of = as_of
        self._micros = dict(micros or {})
        self._column_scanner = ColumnScanner(scanner.detectors)
        self._spans: dict[tuple[str, int], ColumnSpans] = {}
        self._span_dicts: dict[tuple[str, int], dict[int, list[Span]]] = {}
        self._has_kind: dict[tuple[str, frozenset[str]], np.ndarray] = {}
        self._contains: dict[tuple[str, str], np.ndarray] = {}
        self._present: dict[str, np.ndarray] = {}
        self._decimals: dict[str, np.ndarray] = {}
        self._plain = dict(plain or {})  # coordinate fields: rows known to be plain decimals
        self._texts: dict[str, list[str | None]] = {}

    def column(self, field: str) -> pa.Array:
        column = self.values.get(field)
        return pa.nulls(self.size, STRING) if column is None else column

    def present(self, field: str) -> np.ndarray:
        """Rows where the field holds a non-empty value."""
        found = self._present.get(field)
        if found is None:
            found = self._present[field] = present(self.column(field))
        return found

    def contains(self, kind: str, field: str) -> np.ndarray:
        """Per row: does the field hold a valid identifier of `kind` (Detector.contains)."""
        key = (kind, field)
        found = self._contains.get(key)
        if found is None:
            detector = self.scanner.by_kind[kind]
            found = self._contains[key] = contains_column(detector, self.column(field))
        return found

    def in_field(self, kind: str, field: str) -> np.ndarray:
        """Per row: does the field, declared to hold `kind`, hold one (detectors.fields)."""
        key = ("in_field", kind, field)
        found = self._contains.get(key)
        if found is None:
            detector = self.scanner.by_kind[kind]
            found = self._contains[key] = in_field_column(detector, self.column(field))
        return found

    def column_spans(self, field: str, kinds: Iterable[str] | None = None) -> ColumnSpans:
        """The scanner's spans in the field as arrays. With `kinds`, only the detectors that
        decide whether those survive run (the others' spans may be missing from the answer)."""
        full = len(self._column_scanner.detectors)
        upto = full if kinds is None else self._column_scanner.upto(kinds)
        for key in ((field, full), (field, upto)):
            if key in self._spans:
                return self._spans[key]
        found = self._column_scanner.scan_columns(self.column(field), upto)
        self._spans[(field, upto)] = found
        return found

    def spans(self, field: str, kinds: Iterable[str] | None = None) -> dict[int, list[Span]]:
        """`column_spans` as row → spans (rows without spans absent)."""
        found = self.column_spans(field, kinds)
        key = (field, len(found.kinds))
        as_dict = self._span_dicts.get(key)
        if as_dict is None:
            as_dict = self._span_dicts[key] = found.as_dict()
        return as_dict

    def has_kind(self, field: str, kinds: Iterable[str]) -> np.ndarray:
        """Rows whose spans in the field hold one of `kinds`."""
        key = (field, frozenset(kinds))
        found = self._has_kind.get(key)
        if found is None:
            if (field, len(self._column_scanner.detectors)) in self._spans:
                found = self.column_spans(field).rows_with(key[1], self.size)
            else:
                found = self._column_scanner.has_kind(self.column(field), key[1])
            self._has_kind[key] = found
        return found

    def decimals(self, field: str) -> np.ndarray:
        """Per row the coordinate's significant decimals (udfs.detectors.gps)."""
        found = self._decimals.get(field)
        if found is None:
            from udfs.detectors.gps import significant_decimals

            column = self.column(field)
            found = significant_decimals(column, self.plain(field))
            self._decimals[field] = found
        return found

    def plain(self, field: str) -> np.ndarray:
        """Rows whose coordinate is a plain decimal (udfs.detectors.gps.PLAIN; a subset of them
        where validation said so)."""
        found = self._plain.get(field)
        if found is None:
            from udfs.detectors.gps import plain_mask

            found = self._plain[field] = plain_mask(self.column(field))
        return found

    def micros(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        """(parsed, µs since the epoch) of a timestamp field, as udfs.validation reads it."""
        found = self._micros.get(field)
        if found is None:
            from udfs.engine.timestamps import parse_timestamps

            found = self._micros[field] = parse_timestamps(self.column(field))
        return found

    def texts(self, field: str) -> list[str | None]:
        found = self._texts.get(field)
        if found is None:
            found = self._texts[field] = pylist(self.column(field))
        return found

    def record(self, row: int) -> RecordView:
        """One record as the per-record rules see it, its spans taken from this batch."""
        values = {name: self.texts(name)[row] for name in self.values}
        view = RecordView(values, self.scanner, self.as_of)
        full = len(self._column_scanner.detectors)
        for name, upto in self._spans:
            if upto == full:
                view._spans[name] = self.spans(name).get(row, [])
        return view
