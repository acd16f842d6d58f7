"""Properties over many generated texts: a token or a placeholder is never detected as an
identifier, and masking a text removes every detected span (a second scan finds nothing, and
no identifier's text is left).

The texts put a word between two identifiers: digit groups that touch ("+49 30 8119 3601 1360
6038 85", "id=7 3776 6499 1585 850") are read as one number, and a number whose whole reading
fails its checks is not searched again inside (so masking its neighbour can reveal it)."""

import random

import pytest

from tools.synthetic import values as v
from udfs.detectors import BUILTIN, TextScanner, detectors_for
from udfs.detectors.fields import in_field
from udfs.protect.mask import mask_text, placeholder
from udfs.protect.tokenize import TokenKey, tokenize_identifier
from udfs.schema import read_rules

MRN_PATTERNS = read_rules("healthcare")["mrn_pattern"]
SCANNER = TextScanner(detectors_for(BUILTIN, MRN_PATTERNS))
KEY = TokenKey(b"property-test-key-0123456789abcdef")
KINDS = sorted(BUILTIN)


def identifiers(rng: random.Random) -> list[str]:
    first, last = rng.choice(v.FIRST), rng.choice(v.LAST)
    return [v.card(rng), v.ssn(rng), v.mrn_in_text(rng), v.phone(rng), v.phone_international(rng),
            v.email(rng, first, last), v.ipv4(rng), v.ipv6(rng), v.url(rng), v.mbi(rng),
            v.birth_date(rng), v.iban(rng), f"CVV {rng.randint(100, 999)}"]  # fmt: skip


def test_tokens_and_placeholders_are_never_identifiers():
    rng = random.Random(1)
    for _ in range(3000):
        kind = rng.choice(KINDS)
        value = rng.choice(identifiers(rng))
        token = tokenize_identifier(KEY, kind, value, keep_last4=rng.random() < 0.3)
        for text in (token, placeholder(kind), f"see {token} and {placeholder(kind)}."):
            assert SCANNER.scan(text) == [], text
            for field_kind in KINDS:
                if text == token or text == placeholder(kind):
                    assert not in_field(BUILTIN[field_kind], text), (field_kind, text)


@pytest.mark.parametrize("mode", ["token", "placeholder"])
def test_masking_removes_every_detected_span(mode):
    rng = random.Random(f"mask-{mode}")
    for _ in range(2000):
        found = rng.sample(identifiers(rng), rng.randint(1, 4))
        parts = []
        for identifier in found:
            parts += [*v.words(rng, rng.randint(1, 3)), identifier]
        parts += v.words(rng, rng.randint(0, 3))
        text = rng.choice([" ", ", ", "; "]).join(parts)
        spans = SCANNER.scan(text)
        assert spans, text
        if mode == "token":
            masked = mask_text(text, spans, lambda kind, s: tokenize_identifier(KEY, kind, s))
        else:
            masked = mask_text(text, spans, lambda kind, _s: placeholder(kind))
        assert SCANNER.scan(masked) == [], (text, masked)
        for span in spans:
            assert text[span.start : span.end] not in masked, (text, masked)
