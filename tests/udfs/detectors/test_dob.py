"""Dates of birth in free text: a date after a date-of-birth word; the span is the date."""

import pytest

from udfs.detectors.dob import DOB


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DOB 1980-01-02", ["1980-01-02"]),
        ("dob: 1980-01-02.", ["1980-01-02"]),
        ("born 02/01/1980", ["02/01/1980"]),
        ("born on 31/12/1980", ["31/12/1980"]),  # day first
        ("Date of birth: 2 Jan 1980", ["2 Jan 1980"]),
        ("birthdate March 3, 1975", ["March 3, 1975"]),
        ("D.O.B. 1975-03-03", ["1975-03-03"]),
        ("visit 2024-01-02", []),  # no date word: not tied to a person
        ("DOB 1980-13-45", []),  # no such date
        ("born 31/31/1980", []),
        ("DOB 1980-01-021", []),
        ("adobe 1980-01-02", []),  # the word inside another word
        ("born in 1980", []),  # a year is not a date
    ],
)
def test_dob(text, expected):
    assert [text[s.start : s.end] for s in DOB.finditer(text)] == expected
