"""The free-text patterns written for Python's regex engine to skip ahead find exactly what they
found as first written: those that check "not after a word character or '-'" just after their
first digit, and those that start with a look-ahead naming their possible first characters."""

import random
import re

import pytest

from udfs.detectors.card import PATTERN as CARD
from udfs.detectors.cvv import CVV_PATTERN
from udfs.detectors.dob import DATE, WORD
from udfs.detectors.dob import PATTERN as DOB
from udfs.detectors.iban import PATTERN as IBAN
from udfs.detectors.mbi import EITHER, LETTER
from udfs.detectors.mbi import PATTERN as MBI
from udfs.detectors.network import IP_PATTERN, IPV4, IPV6, URL
from udfs.detectors.phone import E164, NANP
from udfs.detectors.phone import PATTERN as PHONE
from udfs.detectors.ssn import PATTERN as SSN

IN_FRONT = {
    "card": (CARD, r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])", "0123456789 -a_é١"),
    "ssn": (SSN, r"(?<![\w-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w-])", "0123456789 -a_é١"),
    "mbi": (
        MBI,
        rf"(?<![\w-])[1-9]{LETTER}{EITHER}[0-9]-?{LETTER}{EITHER}[0-9]-?{LETTER}{{2}}[0-9]{{2}}(?![\w-])",
        "1EG4TMK7-a_ 3",
    ),
}


@pytest.mark.parametrize("kind", sorted(IN_FRONT))
def test_the_look_behind_after_the_first_digit_finds_the_same(kind):
    pattern, in_front, alphabet = IN_FRONT[kind]
    reference = re.compile(in_front)
    rng = random.Random(kind)
    for _ in range(3_000):
        text = "".join(rng.choices(alphabet, k=rng.randint(0, 40)))
        if rng.random() < 0.5:  # an identifier's shape, with a neighbour
            shape = {"card": "4111 1111 1111 1111", "ssn": "123-45-6789", "mbi": "1EG4-TE5-MK73"}
            text = rng.choice(["", "-", "_", "a", " ", "é"]) + shape[kind] + text
        found = [(m.span(), m.groups()) for m in pattern.finditer(text)]
        assert found == [(m.span(), m.groups()) for m in reference.finditer(text)], text


# Patterns that start with a look-ahead naming their possible first characters, against the
# same pattern without it (as it was written before).

WITHOUT_LOOK_AHEAD = {
    "phone": (PHONE, re.compile(rf"(?<![\w+-])(?:{NANP}|{E164})(?![\w-])"),
              "+1(415) 555-2671 .-x_٣", ["+1 (415) 555-2671", "(415) 555-2671", "415.555.2671", "+44 20 7946 0958"]),
    "ip": (IP_PATTERN, re.compile(rf"(?P<v4>{IPV4})|(?P<v6>{IPV6})"),
           "0123.:aAfF9g_ ", ["10.0.0.1", "2001:db8::1", "::1", "fe80::1:2"]),
    "url": (URL, re.compile(r"(?<![\w@/.])(?:(?i:https?://)|(?i:www\.))[^\s<>\"']*[^\s<>\"'.,;:!?)\]]"),
            "hHtTpPsS:/wW.x @)", ["https://x.io/a", "WWW.example.org", "Http://a.b."]),
    "dob": (DOB, re.compile(rf"(?i)\b{WORD}\s?[:#-]?\s{{0,2}}(?P<date>{DATE})(?![\w/.-]?[0-9])"),
            "dDbBoO.: 0123/-", ["DOB: 01/02/1980", "born on 1980-01-02", "d.o.b 2/3/71"]),
    "iban": (IBAN, re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"),
             "GBDE0123 aZ_", ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000"]),
    "cvv": (CVV_PATTERN, re.compile(r"\b(?:cvv2?|cvc2?|cid|security code)\s*(?:is|[:#=])?\s*\d{3,4}(?!\d)", re.IGNORECASE),
            "cCvVsSiIdD ſ:#=0123_", ["CVV2: 123", "security code is 9876", "ſecurity code 123", "cid#1234"]),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(WITHOUT_LOOK_AHEAD))
def test_the_look_ahead_of_first_characters_finds_the_same(kind):
    pattern, without, alphabet, shapes = WITHOUT_LOOK_AHEAD[kind]
    rng = random.Random(kind)
    for _ in range(3_000):
        text = "".join(rng.choices(alphabet, k=rng.randint(0, 30)))
        if rng.random() < 0.6:
            cut = rng.randint(0, len(text))
            text = text[:cut] + rng.choice(shapes) + text[cut:]
        found = [(m.span(), m.groups()) for m in pattern.finditer(text)]
        assert found == [(m.span(), m.groups()) for m in without.finditer(text)], text
