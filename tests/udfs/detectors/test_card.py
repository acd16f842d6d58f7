import pytest

from udfs.detectors.card import CARD, card_is_valid, card_issuer, luhn_is_valid


@pytest.mark.parametrize(
    ("number", "issuer"),
    [
        ("4111111111111111", "visa"),
        ("4222222222222", "visa"),  # 13 digits
        ("5555555555554444", "mastercard"),
        ("2221000000000009", "mastercard"),
        ("2720990000000007", "mastercard"),
        ("378282246310005", "amex"),
        ("6011111111111117", "discover"),
        ("3530111333300000", "jcb"),
        ("30569309025904", "diners"),
    ],
)
def test_known_test_numbers_are_valid(number, issuer):
    assert luhn_is_valid(number)
    assert card_issuer(number) == issuer
    assert card_is_valid(number)


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111112",  # Luhn fails
        "2721000000000004",  # beyond Mastercard's 2-series
        "9111111111111110",  # no issuer
        "5011111111111114",  # 50 is no Mastercard
        "37828224631000",  # Amex with 14 digits
        "411111111111",  # 12 digits
    ],
)
def test_lookalikes_are_not_cards(number):
    assert not card_is_valid(number)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("paid with 4111 1111 1111 1111 today", ["4111 1111 1111 1111"]),
        ("paid with 4111-1111-1111-1111", ["4111-1111-1111-1111"]),
        ("bad 4111 1111 1111 1112", []),
        ("ref ab4111111111111111", []),
        ("card_number tok_card_x_1111", []),
    ],
)
def test_find_in_free_text(text, found):
    assert [text[s.start : s.end] for s in CARD.find(text)] == found
