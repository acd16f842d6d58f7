import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from udfs.arrow import digit_counts, ends_in
from udfs.detectors import BUILTIN
from udfs.detectors.columns import candidate_mask, regex_mask

TEXTS = [
    "a1b2", "", None, "١٢3", "0123456789x", "zz", " lead", "trail\t", "\x1fin", "é ",
    "4111 1111 1111 1111", "411111111111", "%B4111111111111111^X", ";4111111111111111=",
    "123-45-6789", "12345678", "cvv 123", "CVC: 12", "card 5500-0000-0000-0004 ok",
    "4111111111111", "123456789", ";4111111111111=",  # exactly at each floor
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


@pytest.mark.parametrize("kind", [k for k, d in BUILTIN.items() if d.ascii_candidate_digits])
def test_a_digit_floor_never_drops_a_candidate(kind):
    """Skipping the texts with fewer ASCII digits than the floor gives the full RE2 pass's
    answer (the floor holds for every match of the pattern)."""
    detector = BUILTIN[kind]
    texts = [t for t in TEXTS if t is None or t.isascii()] * 20  # above the small-column cut
    column = pa.array(texts, pa.string())
    expected = regex_mask(column, detector.ascii_candidate)
    assert expected.any() and not expected.all()
    assert np.array_equal(candidate_mask(detector, column, ascii_text=True), expected)
