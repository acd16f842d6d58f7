"""Payment card numbers: 13–19 digits, optional space/dash groups, Luhn plus issuer ranges."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa

from udfs.arrow import value_bytes
from udfs.detectors.base import Detector, digits_only, has_digit

# Not after a word character or '-' (checked just after the first digit, so that Python's
# regex engine can jump from digit to digit: ~2x faster than a look-behind in front).
PATTERN = re.compile(r"\d(?<![\w-]\d)(?:[ -]?\d){12,18}(?![\w-])")
# Thirteen digits, not 13-19: a text holds a match of one exactly when it holds one of the
# other, and RE2 compiles the counted range ~25x slower (on every call).
CANDIDATE = r"\p{Nd}(?:[ -]?\p{Nd}){12}"
ASCII_CANDIDATE = r"\d(?:[ -]?\d){12}"
# A whole value of 13-19 digits in groups: Python's greedy match at its start is all of it.
WHOLE = r"^\d(?:[ -]?\d){12,18}$"

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


# Per issuer range: its low and high prefix as numbers of 6 digits' scale, and its lengths as
# a table over 0-19 digits (the per-value loop in card_issuer, as arrays).
_RANGES = [
    (int(low) * 10 ** (6 - len(low)), (int(high) + 1) * 10 ** (6 - len(high)),
     np.isin(np.arange(20), sorted(lengths)))
    for ranges in ISSUER_RANGES.values()
    for low, high, lengths in ranges
]  # fmt: skip
_DOUBLED = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9], dtype=np.uint8)  # Luhn's doubled digit
_PLACES = np.arange(19, dtype=np.int32)
_SCALE = 10 ** np.arange(5, -1, -1, dtype=np.int64)


def _shaped(column: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The values matching WHOLE (13-19 ASCII digits, a single space or dash between two of
    them), read off the data buffer; and the buffer's digits alone (their values 0-9), with
    where each value's digits begin among them and how many it has."""
    offsets, data = value_bytes(column)
    at = offsets - offsets[0]
    digit = (data - np.uint8(48)) < 10
    separator = (data == 32) | (data == 45)
    digits_before = np.zeros(len(data) + 1, dtype=np.int32)  # int32: int64 sums are slow
    np.cumsum(digit, out=digits_before[1:])
    count = digits_before[at[1:]] - digits_before[at[:-1]]
    others_before = np.zeros(len(data) + 1, dtype=np.int32)
    np.cumsum(~(digit | separator), out=others_before[1:])
    shaped = (others_before[at[1:]] == others_before[at[:-1]]) & (count >= 13) & (count <= 19)
    rows = np.flatnonzero(shaped)
    shaped[rows] = digit[at[rows]] & digit[at[rows + 1] - 1]  # a digit at both ends
    doubled = np.flatnonzero(separator[:-1] & separator[1:])  # two separators in a row
    if len(doubled):
        shaped[np.searchsorted(at, doubled, side="right") - 1] = False
    if column.null_count:
        shaped &= column.is_valid().to_numpy(zero_copy_only=False)
    return shaped, data[digit] - np.uint8(48), digits_before[at[:-1]], count


def _whole(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """card_is_valid for whole values of the card shape: Luhn and the issuer ranges in numpy,
    over a matrix of each number's digits."""
    found = np.zeros(len(column), dtype=bool)
    if not len(column) or column.buffers()[2] is None:
        return found.copy(), found
    decided, digits, begin, count = _shaped(column)
    rows = np.flatnonzero(decided)
    if not len(rows):
        return decided, found
    begin, length = begin[rows], count[rows]
    # The k-th digit from the right in column k (0 past the number's length).
    held = length[:, None] > _PLACES
    last = begin + length - 1
    from_right = np.where(held, digits[last[:, None] - _PLACES * held], np.uint8(0))
    from_right[:, 1::2] = _DOUBLED[from_right[:, 1::2]]
    luhn = from_right.sum(axis=1, dtype=np.int32) % 10 == 0
    prefix = digits[begin[:, None] + _PLACES[:6]].astype(np.int64) @ _SCALE  # 13 digits at least
    issued = np.zeros(len(rows), dtype=bool)
    for low, high, lengths in _RANGES:
        issued |= (prefix >= low) & (prefix < high) & lengths[length]
    found[rows] = luhn & issued
    return decided, found


CARD = Detector(
    "card", PATTERN, _validate, has_digit, CANDIDATE, ASCII_CANDIDATE, _whole,
    ascii_candidate_digits=13, joinable=True, validate_column=_whole,
)  # fmt: skip
