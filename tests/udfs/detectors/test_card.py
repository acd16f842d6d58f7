import random
import re

import pyarrow as pa
import pytest

from udfs.detectors.card import CARD, WHOLE, _whole, card_is_valid, card_issuer, luhn_is_valid


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


def _with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_is_valid(body + d))


def test_whole_values_are_judged_as_card_is_valid_judges_them():
    rng = random.Random(8)
    prefixes = ["4", "51", "55", "56", "2221", "2720", "2721", "34", "37", "6011", "644", "65",
                "622126", "622925", "622926", "3528", "3589", "300", "305", "306", "36", "38"]  # fmt: skip
    values = []
    for _ in range(4_000):
        length = rng.randint(11, 21)
        body = rng.choice(prefixes) + "".join(rng.choices("0123456789", k=length))
        number = _with_check_digit(body[: length - 1]) if rng.random() < 0.7 else body[:length]
        if rng.random() < 0.3:  # in groups
            sep = rng.choice(" -")
            number = sep.join(number[i : i + 4] for i in range(0, len(number), 4))
        values.append(number)
    values += ["", "4111 1111 1111 1111", "4111-1111-1111-1111x", None, "4111  1111111111111",
               "-4111111111111111", "4111111111111111 ", "٤١١١١١١١١١١١١١١١", "4111111111111é11"]  # fmt: skip
    for column in (pa.array(values), pa.array(values).slice(5)):
        decided, found = _whole(column)
        for value, d, f in zip(column.to_pylist(), decided, found, strict=True):
            shaped = value is not None and re.fullmatch(WHOLE, value, re.ASCII) is not None
            assert d == shaped, value  # RE2's \d is ASCII
            if d:
                assert f == card_is_valid(value), value
        assert 500 < found.sum() < 3_500  # both answers are common


def test_candidates_find_the_texts_the_counted_range_finds():
    """The candidates ask for 13 digits where a card has 13-19: the same texts hold one."""
    from udfs.detectors.card import ASCII_CANDIDATE, CANDIDATE
    from udfs.detectors.columns import regex_mask

    rng = random.Random(4)
    texts = ["".join(rng.choices("0123456789 -x٣", k=rng.randint(0, 40))) for _ in range(3_000)]
    column = pa.array(texts)
    for ours, counted in (
        (CANDIDATE, r"\p{Nd}(?:[ -]?\p{Nd}){12,18}"),
        (ASCII_CANDIDATE, r"\d(?:[ -]?\d){12,18}"),
    ):
        found = regex_mask(column, ours)
        assert found.tolist() == regex_mask(column, counted).tolist()
        assert 100 < found.sum() < len(texts) - 100
