"""Finding the input's raw identifiers in what the product wrote: the needles are the input's
SSNs, cards, e-mail addresses, phone numbers, MRNs and IBANs (its fields, and the spans the
detectors find in its free text), each also in its digits-only and compact forms; a haystack
is cut into candidates (words, digit runs, digit groups) that are looked up in the needles —
a set lookup per candidate, not a substring search per needle."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from pathlib import Path

from udfs.detectors import BUILTIN, TextScanner

FIELDS = {"ssn", "medical_record_number", "email", "phone", "card_number", "iban",
          "account_number"}  # fmt: skip
KINDS = {"ssn", "mrn", "email", "phone", "card", "iban"}
WORD = re.compile(r"[^\s,;:\"'{}\[\]<>=|\\/`]+")
DIGIT_RUN = re.compile(r"\d[\d \-().]*\d")
SEPARATORS = re.compile(r"[\s\-().]")


def forms(value: str) -> set[str]:
    """The forms an identifier could be written in: as it is, lower-cased, its digits alone,
    compact (separators removed, upper-cased)."""
    value = value.strip()
    found = {value.lower()}
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 9:
        found.add(digits)
    compact = SEPARATORS.sub("", value).upper()
    if len(compact) >= 8:
        found.add(compact.lower())
    # an identifier holds six digits or more, or is an address: a word of the input is not one
    return {f for f in found if len(f) >= 6 and (len(re.sub(r"\D", "", f)) >= 6 or "@" in f)}


def identifiers(csv_path: Path) -> dict[str, set[str]]:
    """Each raw identifier of the input, with its forms."""
    scanner = TextScanner(BUILTIN.values())
    found: dict[str, set[str]] = {}
    with open(csv_path, newline="", encoding="utf-8", errors="replace") as handle:
        for row in csv.DictReader(handle):
            for name, value in row.items():
                if not value or value.startswith("tok_"):
                    continue
                if name in FIELDS:
                    found[value.strip()] = forms(value)
                for span in scanner.scan(value):
                    if span.kind in KINDS:
                        text = value[span.start : span.end]
                        found[text.strip()] = forms(text)
    return {k: v for k, v in found.items() if v}


def needles(csv_path: Path) -> set[str]:
    """Every form of every identifier of the input."""
    return set().union(*identifiers(csv_path).values())


def candidates(text: str) -> set[str]:
    out = {w.lower().strip(".()-") for w in WORD.findall(text)}
    for run in DIGIT_RUN.findall(text):
        out.add(re.sub(r"\D", "", run))
        out.update(re.sub(r"\D", "", g) for g in re.split(r"[ ,]", run))
        out.add(SEPARATORS.sub("", run).lower())
    return out


def leaks(texts: Iterable[tuple[str, str]], wanted: set[str]) -> dict[str, list[str]]:
    """Per place, the needles found there (empty: none anywhere)."""
    found = {}
    for where, text in texts:
        hits = sorted(candidates(text) & wanted)
        if hits:
            found[where] = hits[:5]
    return found


def file_texts(root: Path) -> Iterable[tuple[str, str]]:
    """Every file under root as text: Parquet as its rows (its pages are compressed), the rest
    as it is."""
    import pyarrow.parquet as pq

    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            rows = pq.read_table(path).to_pylist()
            yield str(path), json.dumps(rows, default=str)
        else:
            yield str(path), path.read_bytes().decode("utf-8", "replace")
