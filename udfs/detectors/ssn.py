"""US Social Security Number: dashed, spaced or plain; the SSA's never-issued values are invalid."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udfs.detectors.base import Detector, has_digit
from udfs.detectors.columns import regex_mask

PATTERN = re.compile(r"(?<![\w-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w-])")
# Column-wise: any text holding a match holds this (Python's \d is any Unicode digit).
CANDIDATE = r"\p{Nd}{3}[- ]?\p{Nd}{2}[- ]?\p{Nd}{4}"
# A whole value of one of these shapes holds exactly one candidate match: the value itself.
WHOLE = r"^(?:\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|\d{9})$"


def ssn_is_valid(area: str, group: str, serial: str) -> bool:
    """Area 000, 666 and 900–999, group 00 and serial 0000 were never issued."""
    area_n = int(area)
    return area_n != 0 and area_n != 666 and area_n < 900 and group != "00" and serial != "0000"


def _validate(match: re.Match[str]) -> bool:
    return ssn_is_valid(match.group(1), match.group(3), match.group(4))


def _whole(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    decided = regex_mask(column, WHOLE)
    found = np.zeros(len(column), dtype=bool)
    rows = np.flatnonzero(decided)
    if len(rows):
        digits = pc.replace_substring_regex(column.take(pa.array(rows)), "[- ]", "")
        number = pc.cast(digits, pa.int64()).to_numpy()
        area, group, serial = number // 1_000_000, number // 10_000 % 100, number % 10_000
        found[rows] = (area != 0) & (area != 666) & (area < 900) & (group != 0) & (serial != 0)
    return decided, found


SSN = Detector(
    "ssn", PATTERN, _validate, has_digit, CANDIDATE, r"\d{3}[- ]?\d{2}[- ]?\d{4}", _whole,
    ascii_candidate_digits=9, joinable=True, validate_column=_whole,
)  # fmt: skip
