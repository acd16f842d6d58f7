"""Masking free text: detected spans replaced by their token or by a typed placeholder."""

from __future__ import annotations

from collections.abc import Callable

from udfs.detectors import Span

NEVER_TOKENIZED = {"cvv", "track"}  # PCI-DSS: sensitive authentication data is never stored


def placeholder(kind: str) -> str:
    return f"[{kind.upper()}]"


def mask_text(text: str, spans: list[Span], replace: Callable[[str, str], str]) -> str:
    """Replace each span (sorted, non-overlapping) with replace(kind, matched text)."""
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for span in spans:
        parts.append(text[last : span.start])
        parts.append(replace(span.kind, text[span.start : span.end]))
        last = span.end
    parts.append(text[last:])
    return "".join(parts)
