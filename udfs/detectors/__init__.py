"""Detectors that find identifiers and validate them (checksums, issuer and number ranges).

`TextScanner` runs a chosen set over free text and resolves overlaps: where two detectors claim
the same characters, the one earlier in PRIORITY wins (a card number is not also a phone, a URL
is not also the e-mail address inside it). A plugin adds a detector with `register_detector`.
"""

from __future__ import annotations

from collections.abc import Iterable

from udfs.detectors.base import Detector, Span
from udfs.detectors.card import CARD
from udfs.detectors.cvv import CVV, TRACK
from udfs.detectors.dob import DOB
from udfs.detectors.email import EMAIL
from udfs.detectors.iban import IBAN
from udfs.detectors.icd10 import ICD10
from udfs.detectors.mbi import MBI
from udfs.detectors.mrn import MRN, mrn_detector
from udfs.detectors.network import IP, WEB_URL
from udfs.detectors.phone import PHONE
from udfs.detectors.ssn import SSN

PRIORITY: list[str] = [
    "track", "card", "cvv", "iban", "mrn", "ssn", "url", "email", "ip", "mbi", "phone", "dob",
    "icd10",
]  # fmt: skip

BUILTIN: dict[str, Detector] = {
    d.kind: d
    for d in (TRACK, CARD, CVV, IBAN, MRN, SSN, WEB_URL, EMAIL, IP, MBI, PHONE, DOB, ICD10)
}


def register_detector(detector: Detector, before: str | None = None) -> Detector:
    """Adds a detector (a plugin's): its kind can then be named in the rules' YAML like a
    built-in one. It loses overlaps to every detector before it in PRIORITY: last by default,
    or just before the kind `before`. A kind already known is refused."""
    if detector.kind in BUILTIN:
        raise ValueError(f"detector {detector.kind!r} is already registered")
    if before is not None and before not in PRIORITY:
        raise ValueError(f"register_detector: unknown kind {before!r} in before=")
    BUILTIN[detector.kind] = detector
    PRIORITY.insert(PRIORITY.index(before) if before else len(PRIORITY), detector.kind)
    return detector


def detectors_for(
    kinds: Iterable[str], mrn_pattern: str | list[str] | None = None
) -> list[Detector]:
    chosen = []
    for kind in kinds:
        if kind not in BUILTIN:
            raise KeyError(f"unknown detector {kind!r}; known: {', '.join(sorted(BUILTIN))}")
        chosen.append(mrn_detector(mrn_pattern) if kind == "mrn" and mrn_pattern else BUILTIN[kind])
    return sorted(chosen, key=lambda d: PRIORITY.index(d.kind))


class TextScanner:
    """Finds non-overlapping identifier spans in free text with a fixed set of detectors."""

    def __init__(self, detectors: Iterable[Detector]):
        self.detectors = sorted(detectors, key=lambda d: PRIORITY.index(d.kind))
        self.by_kind = {d.kind: d for d in self.detectors}

    def scan(self, text: str | None, starts: list[int] | None = None) -> list[Span]:
        """`starts`: per detector, where its search may begin (see Detector.finditer)."""
        if not text:
            return []
        taken: list[Span] = []
        tested: dict = {}  # each distinct cheap test (most are has_digit) once per text
        for i, detector in enumerate(self.detectors):
            test = detector.may_contain
            may = tested.get(test)
            if may is None:
                may = tested[test] = test(text)
            if not may:
                continue
            for span in detector.finditer(text, starts[i] if starts else 0, checked=True):
                if all(span.end <= t.start or span.start >= t.end for t in taken):
                    taken.append(span)
        taken.sort(key=lambda s: s.start)
        return taken


__all__ = [
    "BUILTIN", "PRIORITY", "Detector", "Span", "TextScanner", "detectors_for", "register_detector",
]  # fmt: skip
