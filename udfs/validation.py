"""Tag-based validation: a record either passes with its typed values or gets a reason.

The reason names the field and the problem, never the value (it may be PII).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from udfs.schema import DomainSchema

MAX_FIELD_CHARS = 10_000
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
BOOLEAN_VALUES = {"true": True, "false": False, "": None}


class RecordInvalid(ValueError):
    """The record cannot enter the pipeline; str(err) is the quarantine reason."""


@lru_cache(maxsize=8)  # a record's created_at is read by validation, rules and the job in turn
def parse_timestamp(text: str) -> datetime:
    """ISO-8601 to an aware UTC datetime; naive times are read as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_date(text: str) -> date:
    if not _DATE.fullmatch(text):
        raise ValueError("not YYYY-MM-DD")
    return date.fromisoformat(text)


def parse_boolean(text: str) -> bool | None:
    try:
        return BOOLEAN_VALUES[text.strip().lower()]
    except KeyError:
        raise ValueError("not true/false") from None


_PROBLEM = {
    "timestamp": "not an ISO-8601 timestamp",
    "date": "not a YYYY-MM-DD date",
    "boolean": "not true/false",
    "decimal": "not a finite number",
    "latitude": "not a latitude in [-90, 90]",
    "longitude": "not a longitude in [-180, 180]",
}


def missing_reason(name: str) -> str:
    """The quarantine reason of a record without its required field `name`."""
    return f"missing required field {name}"


def _is_valid(kind: str, text: str) -> bool:
    # The parsers' own messages quote the value; callers get a fixed phrase instead.
    try:
        if kind == "timestamp":
            parse_timestamp(text)
        elif kind == "date":
            parse_date(text)
        elif kind == "boolean":
            parse_boolean(text)
        elif kind == "decimal":
            return Decimal(text).is_finite()
        elif kind in ("latitude", "longitude"):
            limit = 90.0 if kind == "latitude" else 180.0
            return -limit <= float(text) <= limit
    except (ValueError, OverflowError, InvalidOperation):
        return False
    return True


def validate_record(record: dict[str, str | None], schema: DomainSchema) -> None:
    """Raise RecordInvalid with a reason naming the first bad field; return None when valid."""
    for spec in schema.fields:
        value = record.get(spec.name)
        if value is None or value == "":
            if spec.required:
                raise RecordInvalid(missing_reason(spec.name))
            continue
        if len(value) > MAX_FIELD_CHARS:
            raise RecordInvalid(f"field {spec.name} longer than {MAX_FIELD_CHARS} characters")
        if spec.type in ("string", "text"):
            continue
        if not _is_valid(spec.type, value):
            raise RecordInvalid(f"invalid {spec.name}: {_PROBLEM[spec.type]}")
