"""What a field declared to hold one identifier holds, judged per value and per column alike.

For most kinds it is what the detector finds in the value. Two kinds differ, because a field's
declaration says more than a pattern can: a medical record number has no checksum and no
universal format, so any value with a digit in an MRN field is one (unless it is already one of
our tokens or placeholders); and a phone field holds a phone number when the detector finds one
or the value is a plausible number as a whole (phone.plausible)."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udfs.arrow import all_ascii, as_bool, digit_counts, ends_in, present, pylist, small
from udfs.detectors.base import Detector, has_digit
from udfs.detectors.columns import contains_column, regex_mask
from udfs.detectors.phone import phone_in_field

TOKEN_PREFIX = "tok_"
PLACEHOLDER = re.compile(r"\[[A-Z0-9_]+\]")  # udfs.protect.mask.placeholder


def mrn_in_field(value: str) -> bool:
    value = value.strip() if value else ""
    return (
        bool(value) and has_digit(value) and not value.startswith(TOKEN_PREFIX)
        and PLACEHOLDER.fullmatch(value) is None
    )  # fmt: skip


PER_VALUE: dict[str, Callable[[str], bool]] = {"mrn": mrn_in_field, "phone": phone_in_field}

# Python's str.strip() removes these ASCII characters; a value with one at either end, or with
# any non-ASCII character, is judged in Python.
_EDGE = "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f "


def in_field(detector: Detector, value: str | None) -> bool:
    """Per value: does a field declared to hold `detector.kind` hold one."""
    if not value:
        return False
    judge = PER_VALUE.get(detector.kind)
    return judge(value) if judge else detector.contains(value)


def _python_rows(column: pa.Array, rows: np.ndarray, judge: Callable[[str], bool]) -> list[bool]:
    return [judge(v) for v in pylist(column.take(pa.array(rows)))]


def in_field_column(detector: Detector, column: pa.Array) -> np.ndarray:
    """`in_field` for every value of the column."""
    judge = PER_VALUE.get(detector.kind)
    if judge is None:
        return contains_column(detector, column)
    if small(column):
        found = present(column)
        rows = np.flatnonzero(found)
        found[rows] = _python_rows(column, rows, judge)
        return found
    ascii_rows = present(column)
    if not all_ascii(column):
        ascii_rows &= as_bool(pc.string_is_ascii(column))
    python = present(column) & (~ascii_rows | ends_in(column, _EDGE))
    fast = ascii_rows & ~python
    if detector.kind == "mrn":
        found = fast & (digit_counts(column) > 0) & ~as_bool(pc.starts_with(column, TOKEN_PREFIX))
        found &= ~regex_mask(column, f"^{PLACEHOLDER.pattern}$")
    else:
        shape = regex_mask(column, r"^\+?[0-9 ().\-/]+$")
        digits = digit_counts(column)
        found = fast & shape & (digits >= 8) & (digits <= 15)
        rest = np.flatnonzero(fast & ~found)
        if len(rest):  # not a plausible number: what the detector finds in it
            found[rest] = contains_column(detector, column.take(pa.array(rest)))
    rows = np.flatnonzero(python)
    if len(rows):
        found[rows] = _python_rows(column, rows, judge)
    return found
