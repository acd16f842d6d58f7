"""International Bank Account Numbers, validated by length per country and ISO 7064 mod-97."""

from __future__ import annotations

import re

from udfs.detectors.base import Detector, has_digit

# The look-ahead names the characters a match can start with: Python's regex engine then skips
# to them instead of trying every position (~1.5-2x faster over free text, the same matches).
PATTERN = re.compile(r"(?=[A-Z])\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")

IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "CH": 21, "CZ": 24, "DE": 22, "DK": 18, "ES": 24, "FI": 18, "FR": 27,
    "GB": 22, "GR": 27, "HU": 28, "IE": 22, "IT": 27, "LU": 20, "NL": 18, "NO": 15, "PL": 28,
    "PT": 25, "SE": 24, "SK": 24,
}  # fmt: skip


def iban_is_valid(text: str) -> bool:
    iban = text.replace(" ", "").upper()
    if IBAN_LENGTHS.get(iban[:2], len(iban)) != len(iban) or not 15 <= len(iban) <= 34:
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _validate(match: re.Match[str]) -> bool:
    return iban_is_valid(match.group(0))


IBAN = Detector(
    "iban", PATTERN, _validate, has_digit, r"[A-Z]{2}\p{Nd}{2}", r"[A-Z]{2}\d{2}", joinable=True
)
