"""E-mail addresses (a practical subset of RFC 5322: dotted local part, a domain with a TLD)."""

from __future__ import annotations

import re

from udfs.detectors.base import Detector

PATTERN = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)


def _validate(match: re.Match[str]) -> bool:
    local = match.group(0).split("@", 1)[0]
    return ".." not in local


EMAIL = Detector("email", PATTERN, _validate, lambda text: "@" in text)
