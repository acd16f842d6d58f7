"""Medicare Beneficiary Identifiers: the CMS position rules, each broken once."""

import pytest

from udfs.detectors.mbi import MBI


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("1EG4TE5MK73", True),  # the CMS example
        ("1EG4-TE5-MK73", True),
        ("9AA0AA0AA00", True),
        ("1E94T95MK73", True),  # positions 3 and 6 may be digits
        ("0EG4TE5MK73", False),  # position 1: 1-9
        ("1SG4TE5MK73", False),  # S is never used
        ("1EG4TL5MK73", False),  # L neither
        ("1EGOTE5MK73", False),  # position 4: a digit
        ("1EG4TE5MK7", False),  # ten characters
        ("1EG4TE5MK734", False),  # twelve
        ("1eg4te5mk73", False),  # lower case: MBIs are written in capitals
        ("1EG4TE5M173", False),  # position 9: a letter
    ],
)
def test_mbi(text, valid):
    assert MBI.judge(text) is valid


def test_mbi_in_text():
    text = "mbi 1EG4-TE5-MK73 on file, not 1SG4TE5MK73"
    assert [text[s.start : s.end] for s in MBI.finditer(text)] == ["1EG4-TE5-MK73"]
