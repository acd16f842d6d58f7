"""US Social Security Number: dashed, spaced or plain; the SSA's never-issued values are invalid."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa

from udfs.arrow import byte_lengths
from udfs.detectors.base import Detector, has_digit
from udfs.detectors.columns import regex_mask

# The look-behind just after the first digit: see udfs.detectors.card.PATTERN.
PATTERN = re.compile(r"(\d(?<![\w-]\d)\d{2})([- ]?)(\d{2})\2(\d{4})(?![\w-])")
# Column-wise: any text holding a match holds this (Python's \d is any Unicode digit).
CANDIDATE = r"\p{Nd}{3}[- ]?\p{Nd}{2}[- ]?\p{Nd}{4}"
# A whole value of one of these shapes holds exactly one candidate match: the value itself.
WHOLE = r"^(?:\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|\d{9})$"
# Where a separated value's nine digits sit, less where a plain one's do.
_SEPARATED_SHIFT = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])


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
        # Each shape has its digits at fixed places: read them off the data buffer.
        data = np.frombuffer(column.buffers()[2], dtype=np.uint8)
        start = np.frombuffer(column.buffers()[1], dtype=np.int32)[column.offset + rows]
        dashed = (byte_lengths(column)[rows] == 11).astype(np.int64)
        at = start[:, None] + np.arange(9) + dashed[:, None] * _SEPARATED_SHIFT
        digits = data[at].astype(np.int64) - 48
        area = digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]
        group = digits[:, 3] * 10 + digits[:, 4]
        serial = digits[:, 5:] @ np.array([1000, 100, 10, 1])
        found[rows] = (area != 0) & (area != 666) & (area < 900) & (group != 0) & (serial != 0)
    return decided, found


SSN = Detector(
    "ssn", PATTERN, _validate, has_digit, CANDIDATE, r"\d{3}[- ]?\d{2}[- ]?\d{4}", _whole,
    ascii_candidate_digits=9, joinable=True, validate_column=_whole,
)  # fmt: skip
