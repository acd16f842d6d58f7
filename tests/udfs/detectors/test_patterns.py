"""The free-text patterns that check "not after a word character or '-'" just after their first
digit find exactly what the same pattern with the look-behind in front finds."""

import random
import re

import pytest

from udfs.detectors.card import PATTERN as CARD
from udfs.detectors.mbi import EITHER, LETTER
from udfs.detectors.mbi import PATTERN as MBI
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
