"""Payment card numbers: 13–19 digits, optional space/dash groups, Luhn plus issuer ranges."""

from __future__ import annotations

import re

from udfs.detectors.base import Detector, digits_only, has_digit

PATTERN = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")

# (prefix low, prefix high, allowed lengths); prefixes compared on their own number of digits.
ISSUER_RANGES: dict[str, list[tuple[str, str, frozenset[int]]]] = {
    "visa": [("4", "4", frozenset({13, 16, 19}))],
    "mastercard": [("51", "55", frozenset({16})), ("2221", "2720", frozenset({16}))],
    "amex": [("34", "34", frozenset({15})), ("37", "37", frozenset({15}))],
    "discover": [
        ("6011", "6011", frozenset(range(16, 20))),
        ("644", "649", frozenset(range(16, 20))),
        ("65", "65", frozenset(range(16, 20))),
        ("622126", "622925", frozenset(range(16, 20))),
    ],
    "jcb": [("3528", "3589", frozenset(range(16, 20)))],
    "diners": [
        ("300", "305", frozenset(range(14, 20))),
        ("36", "36", frozenset(range(14, 20))),
        ("38", "39", frozenset(range(16, 20))),
    ],
}


def luhn_is_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_issuer(digits: str) -> str | None:
    """The issuer whose range and lengths hold this number, or None."""
    for issuer, ranges in ISSUER_RANGES.items():
        for low, high, lengths in ranges:
            if len(digits) in lengths and low <= digits[: len(low)] <= high:
                return issuer
    return None


def card_is_valid(text: str) -> bool:
    digits = digits_only(text)
    return 13 <= len(digits) <= 19 and card_issuer(digits) is not None and luhn_is_valid(digits)


def _validate(match: re.Match[str]) -> bool:
    return card_is_valid(match.group(0))


CARD = Detector("card", PATTERN, _validate, has_digit)
