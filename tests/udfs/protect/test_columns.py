"""Column-wise protection helpers against their per-value definitions."""

import os
import random

import pyarrow as pa
import pytest

from udfs.protect import tokenize
from udfs.protect.columns import (
    PER_VALUE_BELOW,
    _last4,
    _letters,
    normalize_column,
    tokenize_values,
)
from udfs.protect.tokenize import COMPACT_FIELDS, TokenKey, normalize, tokenize_identifier


def _last4_of(value):
    if value is None:
        return None
    digits = [c for c in value if c.isdigit()]
    return "_" + "".join(digits[-4:]) if len(digits) >= 4 else None


def test_last4_reads_the_last_four_digits_of_every_value():
    rng = random.Random(2)
    values = [
        None
        if rng.random() < 0.05
        else "".join(rng.choices("0123456789 -ab", k=rng.randint(0, 12)))
        for _ in range(3_000)
    ] + ["ü1234", "12ü345", "٣1234", None]
    for column in (pa.array(values), pa.array(values).slice(13), pa.array(values[:100])):
        assert _last4(column).to_pylist() == [_last4_of(v) for v in column.to_pylist()]


def test_letters_are_the_per_digest_letters():
    digests = os.urandom(32 * 500) + bytes(32) + b"\xff" * 32
    letters = _letters(digests, 502)
    for i in range(502):
        assert bytes(letters[i]).decode() == tokenize._letters(digests[32 * i : 32 * i + 32])


def _values(rng: random.Random, alphabet: str, count: int) -> list:
    return [
        None if rng.random() < 0.03 else "".join(rng.choices(alphabet, k=rng.randint(0, 14)))
        for _ in range(count)
    ]


@pytest.mark.parametrize("field", [*sorted(COMPACT_FIELDS), "email", "patient_name"])
def test_normalize_column_is_normalize_per_value(field):
    rng = random.Random(len(field))
    alphabet = "0123456789aZz -.()@\t\r\x1f_"
    values = [*_values(rng, alphabet, 2_000), " a-b ", "\tx.y\n", "ÄB-ç", " \u2003x@Y ", ""]
    present = [v for v in values if v is not None]
    for column in (pa.array(present), pa.array(present).slice(7), pa.array(values)):
        expected = [None if v is None else normalize(field, v) for v in column.to_pylist()]
        assert normalize_column(field, column).to_pylist() == expected


@pytest.mark.parametrize("count", [400, PER_VALUE_BELOW, PER_VALUE_BELOW - 1, 1])
def test_column_tokens_are_the_per_value_tokens(count):
    """Both paths: column-wise from PER_VALUE_BELOW values, one by one below."""
    key = TokenKey(b"k" * 32)
    values = _values(random.Random(5), "0123456789 -ab@", 2 * count + 20)
    present = [v for v in values if v][:count]
    assert len(present) == count
    for field in ("ssn", "email", "patient_name"):
        for last4 in (False, True):
            tokens = tokenize_values(key, field, pa.array(present), last4).to_pylist()
            assert tokens == [tokenize_identifier(key, field, v, last4) for v in present]
    assert tokenize_values(key, "ssn", pa.array([], pa.string())).to_pylist() == []
