"""ICD-10 diagnosis codes (letter, two digits, optional dot and up to four more characters)."""

from __future__ import annotations

import re

from udfs.detectors.base import Detector, has_digit

PATTERN = re.compile(r"\b([A-TV-Z])(\d)([0-9A-Z])(?:\.([0-9A-Z]{1,4}))?\b")

ICD10 = Detector(
    "icd10", PATTERN, may_contain=has_digit, candidate=r"[A-TV-Z]\p{Nd}",
    ascii_candidate=r"[A-TV-Z]\d", joinable=True,
)  # fmt: skip


def icd10_category(code: str) -> str | None:
    """The three-character category of a code (`E11.9` → `E11`), or None when not a code."""
    match = PATTERN.fullmatch(code.strip().upper()) if code else None
    return match.group(0)[:3] if match else None
