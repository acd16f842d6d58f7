"""Synthetic healthcare and financial records with ground truth.

Every value is made knowing whether it breaks a rule, so `labels.csv` (record_id, regulation,
field, kind) is the truth the detectors are measured against. Hard cases are there on purpose:
identifiers that only look valid, separators, leaks into `notes`, missing consent, old
records, precise and coarse GPS, empty values, malformed rows (listed in malformed.csv).
The same seed gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tools.synthetic import values as v
from udfs.schema import load_schema

DEFAULT_AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
RETENTION_DAYS = {"healthcare": 2555, "financial": 1825}
Label = tuple[str, str]  # (regulation, field)
# What kind of identifier a label is about: the detector's kind, or the rule's subject.
FIELD_KINDS = {"ssn": "ssn", "medical_record_number": "mrn", "phone": "phone", "email": "email",
               "card_number": "card", "consent_given": "consent", "created_at": "retention",
               "latitude": "gps", "longitude": "gps"}  # fmt: skip


@dataclass(frozen=True)
class Rates:
    """Share of records with each property (0..1)."""

    identifier_clear: float = 0.6  # an identifier field holds a real identifier in clear
    lookalike: float = 0.15  # an identifier field holds something that only looks like one
    empty: float = 0.05  # a field is empty
    notes_leak: float = 0.2  # notes leak an identifier
    notes_lookalike: float = 0.1  # notes hold a look-alike number
    no_consent: float = 0.3  # consent false or unknown
    old: float = 0.15  # older than the retention period
    precise_gps: float = 0.4  # a coordinate with more than 2 decimals
    malformed: float = 0.005  # the whole row is malformed


@dataclass
class Generated:
    record: dict[str, str]
    labels: set[Label]
    malformed: str | None = None  # the reason, for rows the job must quarantine
    line: str | None = None  # a raw CSV line replacing the record, for broken rows
    notes_kind: str | None = None  # the kind of identifier leaked into notes, if any

    def kind(self, label: Label) -> str:
        return self.notes_kind if label[1] == "notes" else FIELD_KINDS[label[1]]


def _identifier(rng, rates, labels, field, regulation, real, lookalike, protected):
    roll = rng.random()
    if roll < rates.empty:
        return ""
    if roll < rates.empty + rates.identifier_clear:
        labels.add((regulation, field))
        return real()
    if roll < rates.empty + rates.identifier_clear + rates.lookalike:
        return lookalike()
    return protected()


def _coordinate(rng, rates, labels, field, base, spread) -> str:
    value = base + rng.uniform(-spread, spread)
    if rng.random() < rates.precise_gps:
        labels.add(("LOCATION", field))
        text = f"{value:.{rng.randint(3, 6)}f}"
        return text[:-1] + str(rng.randint(1, 9))  # last decimal non-zero: truly precise
    return f"{value:.{rng.choice([1, 2, 2, 2])}f}"


def _notes(rng, rates, labels, domain, first, last, leaked: list[str]) -> str:
    parts = v.words(rng, rng.randint(3, 9))
    roll = rng.random()
    if roll < rates.notes_leak:
        leak = rng.randrange(11 if domain == "healthcare" else 2)
        regulation, kind, text = "HIPAA", None, None
        if leak == 0:
            regulation, kind, text = "PCI-DSS", "card", "card " + v.card(rng)
        elif leak == 1:
            regulation, kind = "PCI-DSS", "cvv"
            text = rng.choice(["CVV", "cvc", "security code"]) + f" {rng.randint(100, 9999)}"
        elif leak == 2:
            kind, text = "ssn", "ssn " + v.ssn(rng)
        elif leak == 3:
            kind, text = "mrn", v.mrn_in_text(rng)
        elif leak == 4:
            kind, text = "phone", "call " + v.phone(rng)
        elif leak == 5:
            kind, text = "email", "mail " + v.email(rng, first, last)
        elif leak == 6:
            kind, text = "phone", "call " + v.phone_international(rng)
        elif leak == 7:
            kind, text = "ip", "from " + (v.ipv4(rng) if rng.random() < 0.7 else v.ipv6(rng))
        elif leak == 8:
            kind, text = "url", "see " + v.url(rng)
        elif leak == 9:
            kind, text = "mbi", "mbi " + v.mbi(rng)
        else:
            kind, text = "dob", v.birth_date(rng)
        parts.append(text)
        labels.add((regulation, "notes"))
        leaked.append(kind)
    elif roll < rates.notes_lookalike + rates.notes_leak:
        makers = [v.card_lookalike, v.ssn_lookalike, v.phone_lookalike]
        if domain == "healthcare":
            makers += [v.text_decoy] * 3
        parts.append(rng.choice(makers)(rng))
    rng.shuffle(parts)
    return " ".join(parts)


def _common(rng, rates, labels, domain, as_of, record, first, last, city, recent=None):
    """Fills the fields both domains have; returns the kind leaked into notes (or None)."""
    record["email"] = _identifier(
        rng, rates, labels if domain == "healthcare" else set(), "email", "HIPAA",
        lambda: v.email(rng, first, last), lambda: f"{first.lower()}@localhost",
        lambda: v.token(rng, "email"),
    )  # fmt: skip
    record["phone"] = _identifier(
        rng, rates, labels if domain == "healthcare" else set(), "phone", "HIPAA",
        lambda: v.phone(rng) if rng.random() < 0.75 else v.phone_international(rng),
        lambda: v.phone_field_lookalike(rng), lambda: v.token(rng, "phone"),
    )  # fmt: skip
    leaked: list[str] = []
    record["notes"] = _notes(rng, rates, labels, domain, first, last, leaked)
    consent = "true" if rng.random() >= rates.no_consent else rng.choice(["false", ""])
    record["consent_given"] = consent
    if consent != "true":
        labels.add(("GDPR", "consent_given"))  # a name is always present: personal data
    record["latitude"] = _coordinate(rng, rates, labels, "latitude", city[1], 0.15)
    record["longitude"] = _coordinate(rng, rates, labels, "longitude", city[2], 0.15)
    retention = timedelta(days=RETENTION_DAYS[domain])
    if rng.random() < rates.old:
        age = retention + timedelta(days=2, seconds=rng.randint(0, 3 * 365 * 86400))
        labels.add(("GDPR", "created_at"))
    elif recent is not None:  # a stream: event times follow the record order
        age = as_of - recent
    else:
        age = timedelta(seconds=rng.randint(60, int(retention.total_seconds()) - 2 * 86400))
    created = as_of - age
    record["created_at"] = (
        created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z"
    )
    return leaked[0] if leaked else None


def healthcare(
    rng: random.Random,
    rates: Rates,
    record_id: str,
    as_of: datetime,
    recent: datetime | None = None,
) -> Generated:
    labels: set[Label] = set()
    r: dict[str, str] = {"record_id": record_id}
    notes_labels: set[Label] = set()
    first, last = rng.choice(v.FIRST), rng.choice(v.LAST)
    r["patient_name"] = f"{first} {last}"
    r["ssn"] = _identifier(rng, rates, labels, "ssn", "HIPAA", lambda: v.ssn(rng),
                           lambda: v.ssn_lookalike(rng), lambda: v.token(rng, "ssn"))  # fmt: skip
    r["date_of_birth"] = (
        f"{rng.randint(1935, 2008)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    )
    r["gender"] = rng.choice(["F", "M", "F", "M", "X"])
    city = rng.choice(v.CITIES)
    r["zip_code"] = f"{city[0]}{rng.randint(1, 12):02d}"
    r["medical_record_number"] = _identifier(
        rng, rates, labels, "medical_record_number", "HIPAA", lambda: v.mrn_any_format(rng),
        lambda: v.mrn_field_lookalike(rng), lambda: v.token(rng, "mrn"),
    )  # fmt: skip
    r["diagnosis_code"] = rng.choice(v.ICD10)
    notes_kind = _common(
        rng, rates, notes_labels, "healthcare", as_of, r, first, last, city, recent
    )
    labels |= notes_labels
    return Generated(r, labels, notes_kind=notes_kind)


def financial(
    rng: random.Random,
    rates: Rates,
    record_id: str,
    as_of: datetime,
    recent: datetime | None = None,
) -> Generated:
    labels: set[Label] = set()
    r: dict[str, str] = {"record_id": record_id}
    first, last = rng.choice(v.FIRST), rng.choice(v.LAST)
    r["customer_name"] = f"{first} {last}"
    r["account_number"] = f"ACC-{rng.randint(0, 9_999_999_999):010d}"
    r["card_number"] = _identifier(
        rng, rates, labels, "card_number", "PCI-DSS", lambda: v.card(rng),
        lambda: v.card_lookalike(rng), lambda: v.token(rng, "card") + "_1111",
    )  # fmt: skip
    r["iban"] = v.iban(rng) if rng.random() > rates.empty else ""
    r["transaction_amount"] = f"{rng.lognormvariate(3.5, 1.2):.2f}"
    r["currency"] = rng.choice(["USD", "EUR", "GBP"])
    r["merchant"] = rng.choice(v.MERCHANTS)
    notes_kind = _common(
        rng, rates, labels, "financial", as_of, r, first, last, rng.choice(v.CITIES), recent
    )
    return Generated(r, labels, notes_kind=notes_kind)


MAKERS = {"healthcare": healthcare, "financial": financial}
MALFORMED = ("bad_created_at", "bad_latitude", "bad_consent", "missing_created_at", "truncated")


def _break(rng: random.Random, item: Generated, names: tuple[str, ...]) -> Generated:
    kind = rng.choice(MALFORMED)
    r = item.record
    if kind == "bad_created_at":
        r["created_at"] = rng.choice(["yesterday", "2024-13-45T00:00:00Z", "12/31/2024"])
    elif kind == "bad_latitude":
        r["latitude"] = rng.choice(["north", "123.5", "4O.12"])
    elif kind == "bad_consent":
        r["consent_given"] = "maybe"
    elif kind == "missing_created_at":
        r["created_at"] = ""
    line = None
    if kind == "truncated":
        line = ",".join(_csv_cell(r[n]) for n in names[: len(names) // 2])
    return Generated(r, set(), kind, line, item.notes_kind)


def _csv_cell(value: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([value])
    return buffer.getvalue()


def generate(
    domain: str, rows: int, seed: int = 7, as_of: datetime = DEFAULT_AS_OF, rates: Rates = Rates(),
    span_seconds: float | None = None,
) -> Iterator[Generated]:  # fmt: skip
    """`span_seconds`: recent records get event times spread evenly over the span before
    `as_of`, in record order (a stream); otherwise over the whole retention period."""
    rng = random.Random(f"{domain}:{seed}")
    maker = MAKERS[domain]
    names = load_schema(domain).names
    for i in range(rows):
        recent = None
        if span_seconds is not None:
            recent = as_of - timedelta(seconds=span_seconds * (1 - i / max(rows, 1)))
        item = maker(rng, rates, f"{domain[0]}{seed}-{i:08d}", as_of, recent)
        if rng.random() < rates.malformed:
            item = _break(rng, item, names)
        yield item


def write_dataset(
    domain: str, rows: int, out: Path, seed: int = 7, as_of: datetime = DEFAULT_AS_OF,
    rates: Rates = Rates(), jsonl: bool = True, span_seconds: float | None = None,
) -> dict:  # fmt: skip
    """Write records.csv, records.jsonl, labels.csv, malformed.csv and manifest.json."""
    out.mkdir(parents=True, exist_ok=True)
    names = load_schema(domain).names
    counts: Counter[str] = Counter()
    with (
        open(out / "records.csv", "w", newline="", encoding="utf-8") as csv_file,
        open(out / "records.jsonl", "w", encoding="utf-8") if jsonl else io.StringIO() as json_file,
        open(out / "labels.csv", "w", newline="", encoding="utf-8") as labels_file,
        open(out / "malformed.csv", "w", newline="", encoding="utf-8") as bad_file,
    ):
        records = csv.writer(csv_file, lineterminator="\n")
        labels = csv.writer(labels_file, lineterminator="\n")
        bad = csv.writer(bad_file, lineterminator="\n")
        records.writerow(names)
        labels.writerow(["record_id", "regulation", "field", "kind"])
        bad.writerow(["record_id", "kind"])
        for item in generate(domain, rows, seed, as_of, rates, span_seconds):
            rid = item.record["record_id"]
            if item.line is not None:
                csv_file.write(item.line + "\n")
                json_file.write(json.dumps(item.record)[:40] + "\n")
            else:
                records.writerow([item.record[n] for n in names])
                json_file.write(json.dumps(item.record, separators=(",", ":")) + "\n")
            if item.malformed:
                bad.writerow([rid, item.malformed])
                counts["malformed"] += 1
            for regulation, field in sorted(item.labels):
                labels.writerow([rid, regulation, field, item.kind((regulation, field))])
                counts[regulation] += 1
            counts["rows"] += 1
    manifest = {
        "domain": domain, "rows": rows, "seed": seed, "as_of": as_of.isoformat(),
        "rates": asdict(rates), "counts": dict(sorted(counts.items())),
    }  # fmt: skip
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/generate", description=__doc__.split("\n")[0])
    parser.add_argument("--domain", choices=sorted(MAKERS), default="healthcare")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--as-of", default=DEFAULT_AS_OF.date().isoformat(),
                        help="reference date for ages and retention (YYYY-MM-DD)")  # fmt: skip
    parser.add_argument("--malformed-rate", type=float, default=Rates.malformed)
    parser.add_argument("--no-jsonl", action="store_true", help="write only the CSV")
    parser.add_argument(
        "--span-seconds", type=float,
        help="stream-like event times: spread over this many seconds before --as-of, in order",
    )  # fmt: skip
    args = parser.parse_args(argv)
    as_of = datetime.fromisoformat(args.as_of.replace("Z", "+00:00"))
    as_of = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
    manifest = write_dataset(
        args.domain, args.rows, args.out, args.seed, as_of, Rates(malformed=args.malformed_rate),
        jsonl=not args.no_jsonl, span_seconds=args.span_seconds,
    )  # fmt: skip
    print(json.dumps(manifest["counts"]), file=sys.stderr)
    print(args.out / "records.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
