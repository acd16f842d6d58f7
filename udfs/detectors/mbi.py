"""Medicare Beneficiary Identifiers (CMS): 11 characters, numeric and alphabetic by position —
1 a digit 1–9; 2, 5, 8 and 9 letters; 3 and 6 a letter or digit; 4, 7, 10 and 11 digits —
with the letters S, L, O, I, B and Z never used; upper case, optionally dashed 4-3-4."""

from __future__ import annotations

import re

from udfs.detectors.base import Detector, has_digit

LETTER = "[AC-HJKMNP-RT-Y]"  # A–Z without B, I, L, O, S, Z
EITHER = "[AC-HJKMNP-RT-Y0-9]"
PATTERN = re.compile(
    # The look-behind just after the first digit: see udfs.detectors.card.PATTERN.
    rf"[1-9](?<![\w-][1-9]){LETTER}{EITHER}[0-9]-?{LETTER}{EITHER}[0-9]-?{LETTER}{{2}}[0-9]{{2}}(?![\w-])"
)
MBI = Detector(
    "mbi", PATTERN, may_contain=has_digit,
    candidate=r"[1-9][A-Z][A-Z0-9][0-9]-?[A-Z][A-Z0-9][0-9]-?[A-Z]{2}[0-9]{2}",
    joinable=True,
)  # fmt: skip
