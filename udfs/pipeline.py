"""The per-record work of every job, in plain Python: parse → validate → detect → protect.

One call per input line (CSV) or message (JSON) returns the rows the job writes (at most one per
input), each of the shape OUTPUT_COLUMNS + the domain's fields + `extra`:
  kind 'record'     — the protected record (QIs not yet generalized), its event date, its
                      violations (tokens only; tuples of VIOLATION_FIELDS, exploded by Flink SQL),
                      the alert JSON when a violation reaches the alert severity (streaming), and
                      the group key of the streaming windows;
  kind 'quarantine' — the raw input and the reason it could not enter the pipeline.
One row per record, not one per violation: every row crosses the Python/JVM boundary, and that
crossing is what costs most.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from udfs.anonymity.hierarchies import hierarchies_from_config
from udfs.anonymity.windows import group_key
from udfs.protect import ProtectionPolicy, Protector, TokenKey
from udfs.rules import build_rule_set, severity_rank
from udfs.schema import DomainSchema
from udfs.validation import RecordInvalid, parse_timestamp, validate_record

OUTPUT_COLUMNS = (
    "kind", "record_id", "event_date", "event_ms", "reason", "raw", "group_key", "alert",
    "violations",
)  # fmt: skip
# Positions in a row of the columns read per record by the Flink wrapper and the benchmarks.
RECORD_ID_AT, EVENT_MS_AT, ALERT_AT, VIOLATIONS_AT = (
    OUTPUT_COLUMNS.index(c) for c in ("record_id", "event_ms", "alert", "violations")
)
VIOLATION_FIELDS = ("rule_id", "regulation", "field", "severity", "description")
FIELD_SEP = "\x1f"  # ASCII unit separator: joins a violation's fields where it must be one string
RECORD, QUARANTINE = "record", "quarantine"
DELETION = "deleted"  # change data capture: a source row deleted (the engine's `deleted`)
MAX_LINE_CHARS = 1_000_000
# json.dumps builds a new encoder per call when given separators: one, built once.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":")).encode


def encode_violations(found: list[tuple[str, ...]]) -> list[str]:
    """Violations as strings (VIOLATION_FIELDS joined by FIELD_SEP), the form they cross into
    Flink and are staged in; `decode` is `text.split(FIELD_SEP)` (or SQL's SPLIT_INDEX)."""
    return [FIELD_SEP.join(v) for v in found]


def payload_names(schema: DomainSchema) -> tuple[str, ...]:
    """The record's own fields carried by 'record' rows (record_id is already a column)."""
    return tuple(n for n in schema.names if n != "record_id")


def output_names(schema: DomainSchema) -> tuple[str, ...]:
    return (*OUTPUT_COLUMNS, *payload_names(schema), "extra")


class LayoutError(ValueError):
    """A file's header misses required columns; the message names them."""


@dataclass(frozen=True)
class Layout:
    """Where each schema field sits in one CSV file (its header decides; order is free)."""

    header: str
    positions: tuple[int | None, ...]  # per schema field
    extras: tuple[tuple[str, int], ...]  # columns outside the schema, passed through
    width: int

    @classmethod
    def from_header(cls, header: str, schema: DomainSchema) -> Layout:
        names = [n.strip() for n in next(csv.reader([header.lstrip("\ufeff")]))]
        missing = [f for f in schema.required if f not in names]
        if missing:
            raise LayoutError(f"missing required column(s): {', '.join(missing)}")
        index = {n: i for i, n in enumerate(names)}
        extras = tuple((n, i) for i, n in enumerate(names) if n not in schema.names)
        positions = tuple(index.get(f) for f in schema.names)
        return cls(header.rstrip("\r\n"), positions, extras, len(names))


def split_csv_line(line: str) -> list[str]:
    if '"' not in line:
        return line.split(",")
    return next(csv.reader([line]), [])


class RecordProcessor:
    """Validate, detect and protect one record; built once per worker (`open`)."""

    def __init__(
        self, schema: DomainSchema, rules_config: dict[str, Any], as_of: datetime, key_secret: bytes,
        throwaway_key: bool = False, alert_min_severity: str | None = None,
        window_keys: bool = False, token_key_id: str | None = None,
    ):  # fmt: skip
        self.schema = schema
        self.names = schema.names
        self.name_set = frozenset(schema.names)
        policy = ProtectionPolicy.from_config(schema.protection)
        self.rules = build_rule_set(rules_config, schema, as_of, extra_kinds=policy.mask_kinds)
        self.protector = Protector(policy, TokenKey(key_secret, throwaway_key, token_key_id))
        self.payload = payload_names(schema)
        self.blank = (None,) * len(self.payload)
        self.alert_rank = severity_rank(alert_min_severity) if alert_min_severity else None
        self.quasi_identifiers = frozenset(schema.anonymity.get("quasi_identifiers") or ())
        self.window_keys = window_keys
        if window_keys:
            self.hierarchies = hierarchies_from_config(schema.anonymity)
            self.ladder = schema.anonymity["stream_ladder"]

    def row(
        self, kind: str, payload: tuple = (), extra: str | None = None, **columns: str | None
    ) -> tuple:
        """One output row; every kind has the same width (the Flink coder relies on it)."""
        head = tuple(columns.get(name) for name in OUTPUT_COLUMNS[1:])
        return (kind, *head, *(payload or self.blank), extra)

    def quarantine(self, reason: str, raw: str, record_id: str | None = None) -> tuple:
        return self.row(QUARANTINE, record_id=record_id, reason=reason, raw=raw)

    def process_record(
        self,
        values: dict[str, str | None],
        raw: str,
        extra: str | None,
        source_ms: int | None = None,
    ) -> list[tuple]:
        record_id = values.get("record_id") or None
        try:
            validate_record(values, self.schema)
        except RecordInvalid as err:
            return [self.quarantine(str(err), raw, record_id)]
        view = self.rules.view(values)
        violations = self.rules.evaluate(view)
        protected = self.protector.protect(view)
        created = parse_timestamp(values["created_at"])
        event_date = created.date().isoformat()
        event_ms = str(int(created.timestamp() * 1000))
        key = group_key(protected, self.hierarchies, self.ladder) if self.window_keys else None
        alert = None
        top = max((severity_rank(v.severity) for v in violations), default=-1)
        if self.alert_rank is not None and top >= self.alert_rank:
            alert = self.alert(record_id, protected, violations, source_ms)
        found = [(v.rule_id, v.regulation, v.field, v.severity, v.description) for v in violations]
        return [
            (RECORD, record_id, event_date, event_ms, None, None, key, alert, found,
             *(protected.get(n) or None for n in self.payload), extra)
        ]  # fmt: skip

    def alert(self, record_id, protected, violations, source_ms) -> str:
        """The alert message: the tokenized record and its violations, as JSON."""
        payload = {
            "record_id": record_id,
            "domain": self.schema.domain,
            "severity": max((v.severity for v in violations), key=severity_rank),
            "violations": [
                {
                    "rule_id": v.rule_id,
                    "regulation": v.regulation,
                    "field": v.field,
                    "severity": v.severity,
                }
                for v in violations
            ],
            # Tokens and masked text only: quasi-identifiers stay out of alerts.
            "record": {
                k: v or None for k, v in protected.items() if k not in self.quasi_identifiers
            },  # an empty field is null, as in every other output
            "source_ms": source_ms,
        }
        return _COMPACT_JSON(payload)

    def process_message(
        self, message: str | bytes | None, source_ms: int | None = None
    ) -> list[tuple]:
        """One JSON object (a Kafka message value)."""
        if message is None:
            return [self.quarantine("empty message", "")]
        if isinstance(message, bytes):
            try:
                message = message.decode("utf-8")
            except UnicodeDecodeError:
                return [self.quarantine("not UTF-8", message.decode("utf-8", "backslashreplace"))]
        if too_deep(message):
            return [self.quarantine(TOO_DEEP, message)]
        try:
            data = json.loads(message)
        except ValueError:
            return [self.quarantine("not valid JSON", message)]
        if not isinstance(data, dict):
            return [self.quarantine("JSON value is not an object", message)]
        if "\\u" in message and not utf8_encodable(data):
            return [self.quarantine(UNPAIRED_SURROGATE, message)]
        values = {n: _text(data.get(n)) for n in self.names}
        extras = {k: v for k, v in data.items() if k not in self.name_set}
        return self.process_record(
            values, message, json.dumps(extras) if extras else None, source_ms
        )


UNPAIRED_SURROGATE = "JSON string holds an unpaired surrogate (\\ud800-\\udfff): not UTF-8"
MAX_JSON_DEPTH = 64
TOO_DEEP = f"JSON nested more than {MAX_JSON_DEPTH} levels deep"


def too_deep(message: str) -> bool:
    """Whether a JSON text nests arrays/objects deeper than MAX_JSON_DEPTH (outside strings):
    refused before parsing, as a parser (or printing the value) can run out of stack on it."""
    if message.count("[") + message.count("{") <= MAX_JSON_DEPTH:
        return False
    depth = 0
    in_string = escaped = False
    for ch in message:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def utf8_encodable(data: Any) -> bool:
    """Whether decoded JSON can be written as UTF-8: a `\\ud800` escape alone decodes to a lone
    surrogate, which no output (Arrow, Parquet, Kafka) can hold."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class LineProcessor(RecordProcessor):
    """CSV lines from one or more files, each file with its own header."""

    def __init__(self, *args: Any, layouts: dict[str, str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.layouts = {path: Layout.from_header(h, self.schema) for path, h in layouts.items()}
        self.only = next(iter(self.layouts.values())) if len(self.layouts) == 1 else None

    def layout_for(self, path: str | None) -> Layout | None:
        if self.only is not None:
            return self.only
        return self.layouts.get(normalize_path(path or ""))

    def process_line(self, path: str | None, data: bytes | str) -> list[tuple]:
        if isinstance(data, bytes):
            try:
                line = data.decode("utf-8")
            except UnicodeDecodeError:
                return [self.quarantine("not UTF-8", data.decode("utf-8", "backslashreplace"))]
        else:
            line = data
        line = line.rstrip("\r\n")
        layout = self.layout_for(path)
        if layout is None:
            return [self.quarantine("no header known for this file", line)]
        if line == layout.header or not line.strip():
            return []  # the header itself, or a blank line: not a record
        if len(line) > MAX_LINE_CHARS:
            return [self.quarantine(f"line longer than {MAX_LINE_CHARS} characters", line[:1000])]
        try:
            cells = split_csv_line(line)
        except csv.Error:
            return [self.quarantine("malformed CSV quoting", line)]
        if len(cells) != layout.width:
            record_id = (
                cells[layout.positions[0]]
                if layout.positions[0] is not None and len(cells) > layout.positions[0]
                else None
            )
            return [
                self.quarantine(
                    f"expected {layout.width} columns, got {len(cells)}", line, record_id
                )
            ]
        values = {
            n: (cells[p] if p is not None else None)
            for n, p in zip(self.names, layout.positions, strict=True)
        }
        extra = json.dumps({n: cells[i] for n, i in layout.extras}) if layout.extras else None
        return self.process_record(values, line, extra)


def normalize_path(path: str) -> str:
    """`file:/x/y.csv`, `file:///x/y.csv` and `/x/y.csv` name the same file."""
    if path.startswith("file:"):
        path = path[5:]
        while path.startswith("//"):
            path = path[1:]
    return path
