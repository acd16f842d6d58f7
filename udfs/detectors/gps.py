"""Precise coordinates: a latitude or longitude written with more decimals than allowed."""

from __future__ import annotations


def decimals_of(value: str) -> int:
    """Number of digits after the decimal point as written (`"40.71280"` → 5)."""
    text = value.strip()
    if "." not in text:
        return 0
    fraction = text.split(".", 1)[1]
    return len(fraction) - len(fraction.lstrip("0123456789")) if fraction else 0


def coordinate_is_precise(value: str | None, allowed_decimals: int = 2) -> bool:
    """True when the written value carries more significant decimals than allowed.

    Trailing zeros add no precision: `40.7100` is as coarse as `40.71`.
    """
    if not value:
        return False
    text = value.strip()
    try:
        float(text)
    except ValueError:
        return False
    if "." not in text:
        return False
    return len(text.split(".", 1)[1].rstrip("0")) > allowed_decimals
