"""US Social Security Number: dashed, spaced or plain; the SSA's never-issued values are invalid."""

from __future__ import annotations

import re

from udfs.detectors.base import Detector, has_digit

PATTERN = re.compile(r"(?<![\w-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w-])")


def ssn_is_valid(area: str, group: str, serial: str) -> bool:
    """Area 000, 666 and 900–999, group 00 and serial 0000 were never issued."""
    area_n = int(area)
    return area_n != 0 and area_n != 666 and area_n < 900 and group != "00" and serial != "0000"


def _validate(match: re.Match[str]) -> bool:
    return ssn_is_valid(match.group(1), match.group(3), match.group(4))


SSN = Detector("ssn", PATTERN, _validate, has_digit)
