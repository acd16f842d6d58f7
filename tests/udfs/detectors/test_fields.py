"""A field declared to hold one identifier: MRNs of any format, phone numbers as people write
them; per value and per column alike."""

import numpy as np
import pyarrow as pa
import pytest

from udfs import arrow
from udfs.detectors import BUILTIN
from udfs.detectors.fields import in_field, in_field_column
from udfs.detectors.phone import PHONE, plausible


@pytest.mark.parametrize(
    ("value", "is_mrn"),
    [
        ("MRN-12345678", True),
        ("MR123456", True),  # another institution's format
        ("123456789", True),
        ("H-0012345", True),
        (" A1234567 ", True),
        ("tok_mrn_abcdefghijkmnpqr", False),  # already a token
        ("unknown", False),  # no digit: a null marker, not a number
        ("", False),
        ("   ", False),
        ("[MRN]", False),
    ],
)
def test_any_value_with_a_digit_in_an_mrn_field_is_an_mrn(value, is_mrn):
    assert in_field(BUILTIN["mrn"], value) is is_mrn


@pytest.mark.parametrize(
    ("value", "is_phone"),
    [
        ("(415) 555-2671", True),
        ("+44 20 7946 0958", True),  # E.164, groups apart
        ("+49 30 12345678", True),
        ("+33 1 23 45 67 89", True),
        ("020 7946 0958", True),  # national format: plausible in a phone field
        ("012-345-6789", True),  # not NANP, but a plausible number in a phone field
        ("0044/20/7946/0958", True),
        ("555-2671", False),  # seven digits
        ("+44 20", False),
        ("ext 4411", False),
        ("1234567890123456", False),  # sixteen digits
        ("unlisted", False),
        ("tok_phone_abcdefghijkmnpqr", False),
    ],
)
def test_a_plausible_number_in_a_phone_field_is_a_phone(value, is_phone):
    assert in_field(PHONE, value) is is_phone


def test_in_free_text_a_phone_needs_a_plus_or_the_nanp_shape():
    assert plausible("020 7946 0958") and not PHONE.contains("call 020 7946 0958")
    assert PHONE.contains("call +44 20 7946 0958") and PHONE.contains("call 415-555-2671")


VALUES = ["MRN-12345678", "MR123456", "unknown", "", None, " 123 ", "\t55", "tok_mrn_x1",
          "(415) 555-2671", "+44 20 7946 0958", "020 7946 0958", "555-2671", "ext 4411",
          "+٤٤ ٢٠ ٧٩٤٦ ٠٩٥٨", "１２３４５６７８９", "call 415-555-2671 now", "1234567890123456"]  # fmt: skip


@pytest.mark.parametrize("kind", ["mrn", "phone", "ssn", "email"])
@pytest.mark.parametrize("small_batch", [0, 10_000])
def test_the_column_gives_the_per_value_answers(kind, small_batch, monkeypatch):
    monkeypatch.setattr(arrow, "SMALL_BATCH", small_batch)
    column = pa.array(VALUES * 40)
    expected = np.array([in_field(BUILTIN[kind], v) for v in VALUES * 40])
    assert (in_field_column(BUILTIN[kind], column) == expected).all()
