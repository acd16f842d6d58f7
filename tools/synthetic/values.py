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


# Formats of medical record numbers at other institutions: no checksum, no common shape. In a
# medical_record_number field each is an MRN; in free text only the configured patterns are.
def mrn_any_format(rng: random.Random) -> str:
    style = rng.randrange(6)
    if style < 2:
        return mrn(rng)
    if style == 2:
        return f"MR{rng.randint(0, 999_999):06d}"
    if style == 3:
        return f"{rng.randint(100_000_000, 999_999_999)}"
    if style == 4:
        return f"H-{rng.randint(0, 9_999_999):07d}"
    return f"{rng.choice('ABCKP')}{rng.randint(0, 9_999_999):07d}"


def mrn_in_text(rng: random.Random) -> str:
    """An MRN as the configured patterns (conf/rules/healthcare.yaml) find it in free text."""
    style = rng.randrange(3)
    if style == 0:
        return mrn(rng)
    if style == 1:
        return f"MRN{rng.randint(0, 99_999_999):08d}"
    return f"MR{rng.randint(0, 999_999):06d}"


def mrn_field_lookalike(rng: random.Random) -> str:
    """What an MRN field holds that is no MRN: no digit at all."""
    return rng.choice(["unknown", "pending", "n/a", "see chart", "none"])


def phone_international(rng: random.Random) -> str:
    """E.164 outside NANP, groups apart as most of Europe writes them."""
    style = rng.randrange(4)
    if style == 0:
        return f"+44 20 {rng.randint(3000, 8999)} {rng.randint(0, 9999):04d}"
    if style == 1:
        return f"+49 30 {rng.randint(1_000_000, 99_999_999)}"
    if style == 2:
        pairs = " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4))
        return f"+33 {rng.randint(1, 9)} {pairs}"
    return f"+31 6 {rng.randint(10_000_000, 99_999_999)}"


def phone_field_lookalike(rng: random.Random) -> str:
    """What a phone field holds that is no phone number: too few digits, words."""
    style = rng.randrange(4)
    if style == 0:
        return f"{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"  # 7 digits: no area code
    if style == 1:
        return f"ext {rng.randint(10, 9999)}"
    if style == 2:
        return f"+{rng.randint(20, 99)} {rng.randint(10, 99)}"
    return rng.choice(["unlisted", "none", "ask front desk"])


def ipv4(rng: random.Random) -> str:
    first = rng.choice([10, 172, 192, rng.randint(1, 223)])
    return ".".join(
        str(o) for o in (first, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))
    )


def ipv6(rng: random.Random) -> str:
    groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(8)]
    groups[0] = rng.choice(["2001", "fe80", "2a02"])
    if rng.random() < 0.5:  # compressed
        return f"{groups[0]}:{rng.randint(0x1000, 0xFFFF):x}::{groups[7]}"
    return ":".join(groups)


def url(rng: random.Random) -> str:
    host = rng.choice(["portal.example.org", "clinic.example.net", "www.example.com"])
    path = rng.choice(["", "/", f"/patient/{rng.randint(1000, 99999)}", "/records?id=7"])
    scheme = (
        rng.choice(["https://", "http://", ""])
        if host.startswith("www.")
        else rng.choice(["https://", "http://"])
    )
    return f"{scheme}{host}{path}"


MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"


def mbi(rng: random.Random) -> str:
    def letter() -> str:
        return rng.choice(MBI_LETTERS)

    def either() -> str:
        return rng.choice(MBI_LETTERS + string.digits)

    def digit() -> str:
        return rng.choice(string.digits)

    text = (rng.choice("123456789") + letter() + either() + digit() + letter() + either()
            + digit() + letter() + letter() + digit() + digit())  # fmt: skip
    if rng.random() < 0.4:
        return f"{text[:4]}-{text[4:7]}-{text[7:]}"
    return text


def mbi_lookalike(rng: random.Random) -> str:
    """Eleven characters breaking one CMS position rule: a 0 first, or a forbidden letter."""
    text = list(mbi(rng).replace("-", ""))
    if rng.random() < 0.5:
        text[0] = "0"
    else:
        text[rng.choice([1, 4, 7, 8])] = rng.choice("SLOIBZ")
    return "".join(text)


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def birth_date(rng: random.Random) -> str:
    """A date of birth after its word, as notes say it."""
    year, month, day = rng.randint(1935, 2008), rng.randint(1, 12), rng.randint(1, 28)
    word = rng.choice(["DOB", "dob:", "DOB:", "born", "born on", "date of birth", "Date of birth:"])
    style = rng.randrange(4)
    if style == 0:
        written = f"{year}-{month:02d}-{day:02d}"
    elif style == 1:
        written = f"{month:02d}/{day:02d}/{year}"
    elif style == 2:
        written = f"{day} {MONTH_NAMES[month - 1]} {year}"
    else:
        written = f"{MONTH_NAMES[month - 1]} {day}, {year}"
    return f"{word} {written}"


def text_decoy(rng: random.Random) -> str:
    """Free text that looks like one of the newer identifiers and is none."""
    style = rng.randrange(7)
    if style == 0:
        return f"version {rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}"
    if style == 1:
        return f"v{rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}"
    if style == 2:
        return f"{rng.randint(256, 999)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}"
    if style == 3:
        return mbi_lookalike(rng)
    if style == 4:
        return f"visit {rng.randint(2015, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if style == 5:
        return f"DOB {rng.randint(1950, 2000)}-{rng.randint(13, 19)}-{rng.randint(32, 39)}"
    return f"020 {rng.randint(3000, 8999)} {rng.randint(0, 9999):04d}"  # no +, not NANP
