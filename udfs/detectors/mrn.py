"""Medical record numbers: the institution's pattern comes from config."""

from __future__ import annotations

import re

from udfs.detectors.base import Detector, has_digit

DEFAULT_MRN_PATTERN = r"MRN-?\d{8}"


def mrn_detector(pattern: str = DEFAULT_MRN_PATTERN) -> Detector:
    return Detector("mrn", re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])"), may_contain=has_digit)


MRN = mrn_detector()
