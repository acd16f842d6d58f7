"""Precise coordinates: a latitude or longitude written with more decimals than allowed."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udfs.arrow import pylist
from udfs.detectors.columns import present, regex_mask

# A plain coordinate; `f` is its fraction without trailing zeros (what adds precision).
PLAIN = r"^-?\d{1,3}(?:\.(?P<f>\d*?)0*)?$"


def decimals_of(value: str) -> int:
    """Number of digits after the decimal point as written (`"40.71280"` → 5)."""
    text = value.strip()
    if "." not in text:
        return 0
    fraction = text.split(".", 1)[1]
    return len(fraction) - len(fraction.lstrip("0123456789")) if fraction else 0


def coordinate_is_precise(value: str | None, allowed_decimals: int = 2) -> bool:
    """True when the written value carries more significant decimals than allowed.

    Trailing zeros add no precision: `40.7100` is as coarse as `40.71`.
    """
    if not value:
        return False
    text = value.strip()
    try:
        float(text)
    except ValueError:
        return False
    if "." not in text:
        return False
    return len(text.split(".", 1)[1].rstrip("0")) > allowed_decimals


def precise_column(column: pa.Array, allowed_decimals: int = 2) -> np.ndarray:
    """`coordinate_is_precise` for every value of a column."""
    plain = regex_mask(column, PLAIN)
    found = np.zeros(len(column), dtype=bool)
    rows = np.flatnonzero(plain)
    if len(rows):
        fraction = pc.extract_regex(column.take(pa.array(rows)), PLAIN).field("f")
        found[rows] = pc.greater(pc.utf8_length(fraction), allowed_decimals).to_numpy(False)
    rest = np.flatnonzero(~plain & present(column))
    if len(rest):
        texts = pylist(column.take(pa.array(rest)))
        found[rest] = [coordinate_is_precise(t, allowed_decimals) for t in texts]
    return found
