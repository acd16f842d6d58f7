"""Precise coordinates: a latitude or longitude written with more decimals than allowed."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udfs.arrow import byte_lengths, pylist, small
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


def _significant(value: str | None) -> int:
    """What coordinate_is_precise compares: decimals written, trailing zeros aside (-1: no
    number at all)."""
    if not value:
        return -1
    text = value.strip()
    try:
        float(text)
    except ValueError:
        return -1
    if "." not in text:
        return 0
    return len(text.split(".", 1)[1].rstrip("0"))


def _plain_decimals(column: pa.Array) -> np.ndarray:
    """For values of the PLAIN shape (ASCII): the digits after the '.' up to the last non-zero
    one — where the value ends once its trailing zeros are cut, less where its '.' is (other
    values get meaningless numbers)."""
    if len(column) == 0:
        return np.zeros(0, dtype=np.int64)
    dot = pc.find_substring(column, ".").fill_null(-1).to_numpy(zero_copy_only=False)
    ends = byte_lengths(pc.utf8_rtrim(column, characters="0"))
    return np.where(dot >= 0, np.maximum(ends - dot - 1, 0), 0).astype(np.int64)


def plain_mask(column: pa.Array) -> np.ndarray:
    """The values of the PLAIN shape (none judged so for a small column: Python is quicker)."""
    return np.zeros(len(column), dtype=bool) if small(column) else regex_mask(column, PLAIN)


def significant_decimals(column: pa.Array, plain: np.ndarray | None = None) -> np.ndarray:
    """Per value, its significant decimals (see _significant): `> allowed` is precision beyond
    what is allowed, for any `allowed`. `plain`: values known to be of the PLAIN shape (any
    subset of them: the others are read by Python)."""
    if plain is None:
        plain = plain_mask(column)
    found = np.full(len(column), -1, dtype=np.int64)
    if plain.any():
        found[plain] = _plain_decimals(column)[plain]
    rest = np.flatnonzero(~plain & present(column))
    if len(rest):
        found[rest] = [_significant(t) for t in pylist(column.take(pa.array(rest)))]
    return found


def precise_column(column: pa.Array, allowed_decimals: int = 2) -> np.ndarray:
    """`coordinate_is_precise` for every value of a column."""
    return significant_decimals(column) > allowed_decimals
