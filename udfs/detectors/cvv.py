"""Card security codes when labelled (CVV, CVC, CID), and magnetic-stripe track data."""

from __future__ import annotations

import re

from udfs.detectors.base import Detector, has_digit

CVV_PATTERN = re.compile(
    r"\b(?:cvv2?|cvc2?|cid|security code)\s*(?:is|[:#=])?\s*\d{3,4}(?!\d)", re.IGNORECASE
)
TRACK_PATTERN = re.compile(r"%B\d{13,19}\^[^^\n]{2,26}\^\d{4}|;\d{13,19}=\d{4}\d*\??")

CVV = Detector("cvv", CVV_PATTERN, may_contain=has_digit)
TRACK = Detector("track", TRACK_PATTERN, may_contain=lambda text: "^" in text or "=" in text)
