"""Medical record numbers: the institution's pattern comes from config."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udfs.detectors.base import Detector, has_digit
from udfs.detectors.columns import regex_mask

DEFAULT_MRN_PATTERN = r"MRN-?\d{8}"
ANY_DIGIT = r"\p{Nd}"


def _re2_compiles(pattern: str) -> bool:
    try:
        pc.match_substring_regex(pa.array([""]), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def mrn_detector(pattern: str | list[str] = DEFAULT_MRN_PATTERN) -> Detector:
    """`pattern`: the institution's MRN pattern, or a list of them (any one matches). An MRN is
    found only in a text with a digit (`may_contain`). Column-wise, where RE2 compiles the
    pattern, an ASCII text is a candidate when RE2 finds it (RE2 and Python read ASCII alike)
    and a whole ASCII value that is one match is an MRN; any other text goes to Python."""
    if not isinstance(pattern, str):
        patterns = list(pattern)
        if not patterns or not all(isinstance(p, str) and p for p in patterns):
            raise ValueError(f"mrn_pattern: expected a pattern or a list of them, got {pattern!r}")
        pattern = "|".join(f"(?:{p})" for p in patterns)
    compiled = re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])")
    if not _re2_compiles(f"(?:{pattern})"):
        return Detector("mrn", compiled, may_contain=has_digit, candidate=ANY_DIGIT)
    whole_pattern = f"^(?:{pattern})$"

    def whole(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        found = regex_mask(column, whole_pattern) & regex_mask(column, r"\d")
        found &= regex_mask(column, r"^[\x00-\x7f]*$")
        return found, found

    return Detector(
        "mrn", compiled, may_contain=has_digit, candidate=ANY_DIGIT,
        ascii_candidate=f"(?:{pattern})", whole=whole,
        joinable=pattern == DEFAULT_MRN_PATTERN,  # an institution's own may hold anchors
    )  # fmt: skip


MRN = mrn_detector()
