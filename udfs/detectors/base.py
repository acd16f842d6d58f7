"""What every detector shares: a found span, and the shape of a detector."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple


class Span(NamedTuple):
    """Where an identifier sits in a text; `kind` names the detector that found it (a named
    tuple: made for every match, it is cheaper than a frozen dataclass)."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Detector:
    """A pattern that proposes candidates and a validator that keeps only the true ones.

    `validate` gets the candidate's regex match and says whether it is a real identifier
    (checksum, ranges). `find` returns spans in free text; `judge` says whether a whole field
    value is one identifier.
    """

    kind: str
    pattern: re.Pattern[str]
    validate: Callable[[re.Match[str]], bool] = lambda match: True
    # Cheap test run before the regex: most free text holds no digit or no '@'.
    may_contain: Callable[[str], bool] = lambda text: True
    # Column-wise helpers (udfs.detectors.columns). `candidate` is an RE2 pattern that matches
    # every text this detector could find something in (a superset); `ascii_candidate` a
    # tighter one that holds for ASCII text. `whole(column)` returns (decided, found) for field
    # values of the common shapes, `found` being what `contains` answers.
    candidate: str | None = None
    ascii_candidate: str | None = None
    whole: Callable[[Any], tuple[Any, Any]] | None = None
    # How many characters a match may start before the ASCII candidate found inside it.
    candidate_lead: int = 0
    # The part of a match that is the identifier (a date after "DOB"): a group name or 0.
    span_group: int | str = 0
    # How many ASCII digits any match of `ascii_candidate` holds: ASCII texts with fewer skip
    # its RE2 pass (counted off the buffer: most fields hold no card-length number).
    ascii_candidate_digits: int = 0
    # ASCII characters of which any candidate match in ASCII text holds one: values without
    # skip the RE2 pass too ("" when there are none to name).
    ascii_candidate_bytes: str = ""
    # Whether the pattern may run over many texts joined by line breaks (udfs.detectors.spans):
    # it reads a line break as it reads a text's end. `validate_column(texts)`: (decided, valid) for an
    # array of ASCII match texts (each a whole match), valid being what `validate` answers.
    joinable: bool = False
    validate_column: Callable[[Any], tuple[Any, Any]] | None = None

    def finditer(self, text: str, pos: int = 0, checked: bool = False) -> Iterator[Span]:
        """Valid spans; `pos` skips the search of a prefix known to hold no match (look-behind
        still sees the characters before it); `checked`: `may_contain(text)` is known true."""
        if not text or not (checked or self.may_contain(text)):
            return
        validate, kind, group = self.validate, self.kind, self.span_group
        for match in self.pattern.finditer(text, pos):
            if validate(match):
                yield Span(kind, *match.span(group))

    def contains(self, text: str) -> bool:
        """Whether the text holds at least one valid identifier (stops at the first)."""
        if not text or not self.may_contain(text):
            return False
        validate = self.validate
        return any(validate(match) for match in self.pattern.finditer(text))

    def find(self, text: str) -> list[Span]:
        return list(self.finditer(text))

    def judge(self, value: str) -> bool:
        value = value.strip() if value else ""
        if not value or not self.may_contain(value):
            return False
        match = self.pattern.fullmatch(value)
        return match is not None and self.validate(match)


_DIGIT = re.compile(r"\d")


def has_digit(text: str) -> bool:
    return _DIGIT.search(text) is not None


def digits_only(text: str) -> str:
    return "".join(c for c in text if c.isdigit())
