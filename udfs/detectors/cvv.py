"""Card security codes when labelled (CVV, CVC, CID), and magnetic-stripe track data."""

from __future__ import annotations

import re

from udfs.detectors.base import Detector, has_digit

CVV_PATTERN = re.compile(
    # The look-ahead: see udfs.detectors.phone.PATTERN.
    r"(?=[cs])\b(?:cvv2?|cvc2?|cid|security code)\s*(?:is|[:#=])?\s*\d{3,4}(?!\d)",
    re.IGNORECASE,
)
TRACK_PATTERN = re.compile(r"%B\d{13,19}\^[^^\n]{2,26}\^\d{4}|;\d{13,19}=\d{4}\d*\??")

# Column-wise: in ASCII text a match needs one of the words (any case) and, after it, three
# digits; in other text Python's case folding reaches further (ſ matches s), so the digits do.
CVV = Detector(
    "cvv", CVV_PATTERN, may_contain=has_digit, candidate=r"\p{Nd}{3}",
    ascii_candidate=r"(?is)(?:cvv|cvc|cid|security code).*\d{3}", ascii_candidate_digits=3,
    joinable=True,
)  # fmt: skip
TRACK = Detector(
    "track", TRACK_PATTERN, may_contain=lambda text: "^" in text or "=" in text,
    candidate=r"%B\p{Nd}{13,19}\^|;\p{Nd}{13,19}=", ascii_candidate=r"%B\d{13,19}\^|;\d{13,19}=",
    ascii_candidate_digits=13, ascii_candidate_bytes="%;", joinable=True,
)  # fmt: skip
