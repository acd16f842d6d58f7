"""Phone numbers: NANP (area and exchange codes 2–9, no N11 area) and E.164."""

from __future__ import annotations

import re

from udfs.detectors.base import Detector, digits_only, has_digit

NANP = r"(?:\+?1[ .-]?)?(?:\(([2-9]\d\d)\)|([2-9]\d\d))[ .-]?([2-9]\d\d)[ .-]?(\d{4})"
E164 = r"\+[2-9]\d{7,14}"
PATTERN = re.compile(rf"(?<![\w+-])(?:{NANP}|{E164})(?![\w-])")


def nanp_is_valid(area: str, exchange: str) -> bool:
    return area[1:] != "11" and exchange[1:] != "11"


def _validate(match: re.Match[str]) -> bool:
    area = match.group(1) or match.group(2)
    if area is None:  # E.164 outside NANP
        return 8 <= len(digits_only(match.group(0))) <= 15
    return nanp_is_valid(area, match.group(3))


PHONE = Detector("phone", PATTERN, _validate, has_digit)
