import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from udfs.arrow import (
    byte_counts,
    digit_counts,
    ends_in,
    first_byte_in,
    holds_any,
    holds_pair,
    last_byte_in,
)
from udfs.detectors import BUILTIN
from udfs.detectors.columns import candidate_mask, regex_mask

TEXTS = [
    "a1b2", "", None, "١٢3", "0123456789x", "zz", " lead", "trail\t", "\x1fin", "é ",
    "4111 1111 1111 1111", "411111111111", "%B4111111111111111^X", ";4111111111111111=",
    "123-45-6789", "12345678", "cvv 123", "CVC: 12", "card 5500-0000-0000-0004 ok",
    "4111111111111", "123456789", ";4111111111111=",  # exactly at each floor
    "jo@example.com", "x@y", "%;",
]  # fmt: skip


@pytest.mark.parametrize("start", [0, 2, 5])
def test_digit_counts_are_what_an_re2_count_of_ascii_digits_gives(start):
    column = pa.array(TEXTS, pa.string()).slice(start)
    expected = pc.count_substring_regex(column, "[0-9]").fill_null(0).to_numpy(False)
    assert np.array_equal(digit_counts(column), expected)


@pytest.mark.parametrize("start", [0, 3])
def test_ends_in_is_the_edge_regex(start):
    column = pa.array(TEXTS, pa.string()).slice(start)
    edge = re.compile(r"^[\t\n\r\x0b\x0c\x1c-\x1f ]|[\t\n\r\x0b\x0c\x1c-\x1f ]\Z")
    expected = [bool(v) and edge.search(v) is not None for v in column.to_pylist()]
    assert ends_in(column, "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f ").tolist() == expected


@pytest.mark.parametrize("start", [0, 4])
def test_byte_counts_and_the_first_and_last_bytes(start):
    column = pa.array(TEXTS, pa.string()).slice(start)
    values = column.to_pylist()
    assert byte_counts(column, "%;@").tolist() == [
        sum(c in "%;@" for c in v) if v else 0 for v in values
    ]
    assert first_byte_in(column, "%4").tolist() == [bool(v) and v[0] in "%4" for v in values]
    assert last_byte_in(column, "=9").tolist() == [bool(v) and v[-1] in "=9" for v in values]


@pytest.mark.parametrize(
    "kind",
    [k for k, d in BUILTIN.items() if d.ascii_candidate_digits or d.ascii_candidate_bytes],
)
def test_a_digit_floor_or_a_needed_byte_never_drops_a_candidate(kind):
    """Skipping the texts with fewer ASCII digits than the floor, or without any byte a match
    needs, gives the full RE2 pass's answer (both hold for every match of the pattern)."""
    detector = BUILTIN[kind]
    texts = [t for t in TEXTS if t is None or t.isascii()] * 20  # above the small-column cut
    column = pa.array(texts, pa.string())
    pattern = detector.ascii_candidate or detector.candidate
    expected = regex_mask(column, pattern)
    assert expected.any() and not expected.all()
    assert np.array_equal(candidate_mask(detector, column, ascii_text=True), expected)


@pytest.mark.parametrize("start", [0, 1, 6])
def test_holds_pair_finds_the_two_characters_within_one_value(start):
    texts = [*TEXTS, "a.", ".b", "x..y", "..", ".", "", None, "a. .b", "ü..", "."]
    column = pa.array(texts, pa.string()).slice(start)
    expected = [v is not None and ".." in v for v in column.to_pylist()]
    assert holds_pair(column, "..").tolist() == expected


@pytest.mark.parametrize("start", [0, 2])
def test_holds_any_is_a_count_above_zero(start):
    column = pa.array(TEXTS, pa.string()).slice(start)
    for chars in ("%;", "@", '"', "0"):
        assert holds_any(column, chars).tolist() == (byte_counts(column, chars) > 0).tolist()


def test_scatter_puts_each_value_at_its_row_and_fill_or_null_elsewhere():
    from udfs.arrow import scatter

    values = pa.array(["a", "b", "c"])
    assert scatter(5, np.array([3, 0, 4]), values).to_pylist() == ["b", None, None, "a", "c"]
    fill = pa.array(["x"] * 5)
    assert scatter(5, np.array([3, 0, 4]), values, fill).to_pylist() == ["b", "x", "x", "a", "c"]
    assert scatter(3, np.array([0, 1, 2]), values) is values
    assert scatter(2, np.array([], dtype=np.int64), values[:0]).to_pylist() == [None, None]
