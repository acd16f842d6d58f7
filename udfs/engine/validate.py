"""Tag-based validation over columns: the same reasons as `udfs.validation.validate_record`, the
first bad field in schema order deciding, computed a field at a time for the whole batch."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udfs.arrow import as_bool, byte_lengths, matches, small, strings_at
from udfs.engine.timestamps import dates_valid, parse_timestamps
from udfs.schema import DomainSchema
from udfs.validation import _PROBLEM, MAX_FIELD_CHARS, _is_valid, missing_reason

# Shapes whose validity needs no Python: anything else is judged by udfs.validation itself.
_DECIMAL = r"^-?\d{1,15}(?:\.\d{1,15})?$"
_COORDINATE = r"^-?\d{1,3}(?:\.\d{1,17})?$"
_LIMITS = {"latitude": 90.0, "longitude": 180.0}


@dataclass
class Validated:
    reasons: np.ndarray  # object: the quarantine reason per row, None where valid
    micros: dict[str, np.ndarray]  # per timestamp field: µs since the epoch (0 where empty)
    # Per coordinate field: the rows whose value is a plain decimal (-?d{1,3}(.d+)?), which is
    # what udfs.detectors.gps reads without Python.
    plain: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def valid(self) -> np.ndarray:
        return np.equal(self.reasons, None)


def _fallback(column: pa.Array, rows: np.ndarray, kind: str, valid: np.ndarray) -> None:
    for row, text in zip(rows, strings_at(column, rows), strict=True):
        valid[row] = _is_valid(kind, text)


def type_valid(
    kind: str, column: pa.Array
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(valid, µs for timestamps, plain shape for coordinates) for non-empty values of one field
    type."""
    if kind == "timestamp":
        return (*parse_timestamps(column), None)
    if kind == "date":
        return dates_valid(column), None, None
    if kind == "boolean":
        fast = as_bool(pc.is_in(column, pa.array(["true", "false"])))
        valid = fast.copy()
        _fallback(column, np.flatnonzero(~fast), kind, valid)
        return valid, None, None
    pattern = _DECIMAL if kind == "decimal" else _COORDINATE
    fast = np.zeros(len(column), dtype=bool) if small(column) else matches(column, pattern)
    valid = fast.copy()
    if kind in _LIMITS:
        rows = np.flatnonzero(fast)
        numbers = pc.cast(column.take(pa.array(rows)), pa.float64()).to_numpy()
        valid[rows] = np.abs(numbers) <= _LIMITS[kind]
    _fallback(column, np.flatnonzero(~fast), kind, valid)
    return valid, None, fast if kind in _LIMITS else None


def validate_columns(values: dict[str, pa.Array | None], schema: DomainSchema, n: int) -> Validated:
    reasons = np.full(n, None, dtype=object)
    open_rows = np.ones(n, dtype=bool)  # no reason yet
    micros: dict[str, np.ndarray] = {}
    plain: dict[str, np.ndarray] = {}
    for spec in schema.fields:
        column = values.get(spec.name)
        lengths = byte_lengths(column) if column is not None else np.zeros(n, dtype=np.int64)
        empty = lengths == 0
        if spec.required:
            failed = empty & open_rows
            reasons[failed] = missing_reason(spec.name)
            open_rows &= ~failed
        if column is None:
            continue
        # More characters than allowed needs more bytes than that: count characters only there.
        too_long = open_rows & (lengths > MAX_FIELD_CHARS)
        if too_long.any():
            long_rows = np.flatnonzero(too_long)
            chars = pc.utf8_length(column.take(pa.array(long_rows))).to_numpy(False)
            too_long[long_rows[chars <= MAX_FIELD_CHARS]] = False
        reasons[too_long] = f"field {spec.name} longer than {MAX_FIELD_CHARS} characters"
        open_rows &= ~too_long
        if spec.type in ("string", "text"):
            continue
        rows = np.flatnonzero(~empty & open_rows)
        subset = column if len(rows) == n else column.take(pa.array(rows))
        valid, us, shaped = type_valid(spec.type, subset)
        failed = rows[~valid]
        reasons[failed] = f"invalid {spec.name}: {_PROBLEM[spec.type]}"
        open_rows[failed] = False
        if us is not None:
            field_us = np.zeros(n, dtype=np.int64)
            field_us[rows] = us
            micros[spec.name] = field_us
        if shaped is not None:
            plain[spec.name] = np.zeros(n, dtype=bool)
            plain[spec.name][rows] = shaped
    return Validated(reasons, micros, plain)
