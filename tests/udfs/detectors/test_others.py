"""Tables of valid and invalid values for the smaller detectors."""

import pytest

from udfs.detectors.cvv import CVV, TRACK
from udfs.detectors.email import EMAIL
from udfs.detectors.gps import coordinate_is_precise, decimals_of
from udfs.detectors.iban import IBAN, iban_is_valid
from udfs.detectors.icd10 import ICD10, icd10_category
from udfs.detectors.mrn import MRN, mrn_detector
from udfs.detectors.phone import PHONE


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("(415) 555-2671", True),
        ("415.555.2671", True),
        ("+1 415-555-2671", True),
        ("4155552671", True),
        ("+442071838750", True),
        ("123-456-7890", False),  # area code cannot start with 1
        ("911-555-2671", False),  # N11 area
        ("415-111-2671", False),  # N11 exchange... 111
        ("415-155-2671", False),  # exchange starts with 1
        ("555-2671", False),
    ],
)
def test_phone(text, valid):
    assert PHONE.judge(text) is valid


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("jo.doe@example.com", True),
        ("a+tag@mail.example.org", True),
        ("jo..doe@example.com", False),
        ("jo@localhost", False),
        ("@example.com", False),
        ("jo.doe@example", False),
    ],
)
def test_email(text, valid):
    assert EMAIL.judge(text) is valid


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("DE89370400440532013000", True),
        ("DE89 3704 0044 0532 0130 00", True),
        ("GB29NWBK60161331926819", True),
        ("NL91ABNA0417164300", True),
        ("DE89370400440532013001", False),  # mod-97 fails
        ("DE8937040044053201300", False),  # wrong length for DE
    ],
)
def test_iban(text, valid):
    assert iban_is_valid(text) is valid
    assert IBAN.judge(text) is valid


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("CVV 123", True),
        ("cvc2: 4567", True),
        ("security code is 999", True),
        ("ticket 123", False),
        ("cvv abc", False),
    ],
)
def test_cvv_needs_a_label(text, found):
    assert bool(CVV.find(text)) is found


def test_track_data():
    assert TRACK.find("x %B4111111111111111^DOE/JOHN^2512101 y")
    assert TRACK.find(";4111111111111111=25121010000?")
    assert not TRACK.find("a^b=c")


def test_mrn_pattern_from_config():
    assert MRN.judge("MRN-12345678")
    assert not MRN.judge("MRN-1234")
    custom = mrn_detector(r"H\d{6}")
    assert custom.judge("H123456")
    assert not custom.judge("MRN-12345678")


@pytest.mark.parametrize(
    ("code", "category"),
    [("E11.9", "E11"), ("I10", "I10"), ("S93.401A", "S93"), ("U07.1", None), ("11.9", None)],
)
def test_icd10(code, category):
    assert icd10_category(code) == category
    assert ICD10.judge(code) is (category is not None)


@pytest.mark.parametrize(
    ("value", "precise"),
    [
        ("40.71", False),
        ("40.7", False),
        ("40", False),
        ("40.7100", False),  # trailing zeros add no precision
        ("40.712", True),
        ("-74.005974", True),
        ("", False),
        ("north", False),
    ],
)
def test_gps_precision(value, precise):
    assert coordinate_is_precise(value, 2) is precise


def test_decimals_of():
    assert decimals_of("1.2345") == 4
    assert decimals_of("12") == 0
