import pytest

from udfs.detectors.ssn import SSN


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("123-45-6789", True),
        ("123 45 6789", True),
        ("123456789", True),
        ("899-99-9999", True),
        ("000-12-3456", False),  # area 000
        ("666-12-3456", False),  # area 666
        ("900-12-3456", False),  # area 900-999
        ("999-12-3456", False),
        ("123-00-4567", False),  # group 00
        ("123-45-0000", False),  # serial 0000
        ("123-456789", False),  # mixed separators
        ("123-45 6789", False),
        ("12-345-6789", False),
        ("1234567890", False),  # too many digits
        ("tok_ssn_abc", False),
    ],
)
def test_judge_whole_field(text, valid):
    assert SSN.judge(text) is valid


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("patient ssn 123-45-6789 on file", ["123-45-6789"]),
        ("two: 123-45-6789 and 234 56 7890", ["123-45-6789", "234 56 7890"]),
        ("invalid 666-45-6789 only", []),
        ("token tok_ssn_a519349026f is not one", []),
        ("order 4111-45-67890", []),
        ("", []),
    ],
)
def test_find_in_free_text(text, found):
    assert [text[s.start : s.end] for s in SSN.find(text)] == found
