"""Value makers for synthetic records. Each returns the text and whether it is a true identifier,
decided by construction (never by running the detectors under test)."""

from __future__ import annotations

import random
import string

from udfs.detectors.card import luhn_is_valid

FIRST = [
    "Ada",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farah",
    "Gus",
    "Hana",
    "Ivan",
    "Jun",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Viktor",
]
LAST = [
    "Abbott",
    "Baker",
    "Costa",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Huang",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quist",
    "Rossi",
    "Smith",
]
WORDS = ["patient", "reports", "mild", "pain", "follow", "up", "in", "two", "weeks", "reviewed",
         "labs", "stable", "called", "about", "billing", "refund", "requested", "customer",
         "disputes", "charge", "see", "attached", "note", "scheduled", "visit", "contact", "at",
         "verified", "identity", "on", "file", "prescribed", "rest", "fluids", "and"]  # fmt: skip
CARD_PREFIXES = [("4", 16), ("4", 13), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16),
                 ("34", 15), ("37", 15), ("6011", 16), ("65", 16), ("644", 19), ("3528", 16),
                 ("3589", 19), ("36", 14), ("300", 14)]  # fmt: skip
ICD10 = ["E11.9", "I10", "J45.909", "M54.5", "F32.A", "K21.9", "N39.0", "R51.9", "Z00.00",
         "E78.5", "J06.9", "M25.561", "G43.909", "L40.0", "C50.911", "S93.401A"]  # fmt: skip
MERCHANTS = ["Corner Grocery", "City Pharmacy", "Metro Transit", "Blue Cafe", "Book Nook",
             "Fuel Stop", "Home Goods", "Cinema Plaza"]  # fmt: skip
# (ZIP3, latitude, longitude): records cluster around cities, as real ones do.
CITIES = [("100", 40.71, -74.00), ("112", 40.65, -73.95), ("303", 33.75, -84.39),
          ("606", 41.88, -87.63), ("750", 32.78, -96.80), ("902", 33.92, -118.35),
          ("941", 37.77, -122.42), ("980", 47.61, -122.33), ("021", 42.36, -71.06),
          ("331", 25.76, -80.19), ("850", 33.45, -112.07), ("802", 39.74, -104.99),
          ("036", 43.20, -71.54), ("059", 44.48, -73.21)]  # fmt: skip
IBAN_BANKS = {"DE": "37040044", "GB": "NWBK601613", "FR": "2004101005", "NL": "ABNA"}


def luhn_complete(partial: str) -> str:
    """Append the check digit that makes `partial` pass Luhn."""
    for d in "0123456789":
        if luhn_is_valid(partial + d):
            return partial + d
    raise AssertionError("unreachable")


def group_digits(digits: str, rng: random.Random) -> str:
    style = rng.random()
    if style < 0.4:
        return digits
    sep = " " if style < 0.75 else "-"
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


def card(rng: random.Random) -> str:
    prefix, length = rng.choice(CARD_PREFIXES)
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return group_digits(luhn_complete(body), rng)


def card_lookalike(rng: random.Random) -> str:
    """Looks like a card number but is not one: Luhn fails, or no issuer owns the prefix."""
    prefix, length = rng.choice(CARD_PREFIXES)
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    good = luhn_complete(body)
    if rng.random() < 0.5:
        wrong = str((int(good[-1]) + rng.randint(1, 9)) % 10)
        return group_digits(good[:-1] + wrong, rng)
    other = "9" + "".join(rng.choice(string.digits) for _ in range(14))  # 9… is no issuer's
    return group_digits(luhn_complete(other), rng)


def ssn(rng: random.Random) -> str:
    area = 666
    while area == 666:
        area = rng.randint(1, 899)
    digits = f"{area:03d}", f"{rng.randint(1, 99):02d}", f"{rng.randint(1, 9999):04d}"
    return rng.choice(["-", " ", ""]).join(digits)


def ssn_lookalike(rng: random.Random) -> str:
    kind = rng.randrange(4)
    area = ["000", "666", str(rng.randint(900, 999)), f"{rng.randint(1, 665):03d}"][kind]
    group = "00" if kind == 3 and rng.random() < 0.5 else f"{rng.randint(1, 99):02d}"
    serial = "0000" if kind == 3 and group != "00" else f"{rng.randint(1, 9999):04d}"
    return "-".join((area, group, serial))


def phone(rng: random.Random) -> str:
    def code() -> str:
        while True:
            value = f"{rng.randint(2, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}"
            if value[1:] != "11":
                return value

    area, exchange, line = code(), code(), f"{rng.randint(0, 9999):04d}"
    style = rng.randrange(5)
    if style == 0:
        return f"({area}) {exchange}-{line}"
    if style == 1:
        return f"{area}.{exchange}.{line}"
    if style == 2:
        return f"+1 {area}-{exchange}-{line}"
    if style == 3:
        return f"+44{rng.randint(1000000000, 7999999999)}"
    return f"{area}-{exchange}-{line}"


def phone_lookalike(rng: random.Random) -> str:
    return f"{rng.randint(0, 1)}{rng.randint(10, 99)}-{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}"


def email(rng: random.Random, first: str, last: str) -> str:
    domain = rng.choice(["example.org", "mail.example.com", "clinic.example.net"])
    return f"{first.lower()}.{last.lower()}{rng.randint(1, 999)}@{domain}"


def mrn(rng: random.Random) -> str:
    return f"MRN-{rng.randint(0, 99_999_999):08d}"


def iban(rng: random.Random) -> str:
    country = rng.choice(sorted(IBAN_BANKS))
    lengths = {"DE": 22, "GB": 22, "FR": 27, "NL": 18}
    bban = IBAN_BANKS[country]
    bban += "".join(rng.choice(string.digits) for _ in range(lengths[country] - 4 - len(bban)))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    return f"{country}{check:02d}{bban}"


def token(rng: random.Random, field: str) -> str:
    return f"tok_{field}_" + "".join(rng.choice("abcdefghijkmnpqrstuvwxyz") for _ in range(16))


def words(rng: random.Random, count: int) -> list[str]:
    return [rng.choice(WORDS) for _ in range(count)]
