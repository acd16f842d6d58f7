"""The columnar engine: a batch of CSV lines or JSON messages in, named Arrow tables out —
protected records, violations, quarantine, alerts — with the per-record path's answers
(`udfs.pipeline.RecordProcessor`, kept as the reference and the test oracle).

    engine = Engine(schema, rules_config, as_of, key_secret, layouts={path: header})
    result = engine.process_lines(pa.array(lines, pa.binary()))
    result.records, result.violations, result.quarantine, result.alerts
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udfs.anonymity.hierarchies import hierarchies_from_config
from udfs.anonymity.windows import group_key_column
from udfs.arrow import STRING, byte_lengths, pylist, take_rows
from udfs.cdc.changes import split_changes
from udfs.cdc.spec import TableMapping
from udfs.engine import schemas
from udfs.engine.parse import CsvLayouts, Parsed, parse_lines, parse_messages
from udfs.engine.timestamps import event_dates, event_ms
from udfs.engine.validate import validate_columns
from udfs.json_columns import concat, json_arrays, json_numbers, json_object, string_parts
from udfs.pipeline import Layout, LineProcessor, RecordProcessor
from udfs.protect import ProtectionPolicy, TokenKey
from udfs.protect.columns import ColumnProtector
from udfs.protect.seal import SealKey
from udfs.rules import SEVERITIES, build_rule_set, severity_rank
from udfs.rules.batch import BatchView
from udfs.schema import DomainSchema

# An alert's violations: these fields of each, in this order.
ALERT_VIOLATION_FIELDS = ("rule_id", "regulation", "field", "severity")


@dataclass
class EngineResult:
    """What one batch became. Every input is in exactly one of records, quarantine or
    `skipped` (a header or a blank line: no record)."""

    inputs: int
    records: pa.Table
    violations: pa.Table
    quarantine: pa.Table
    alerts: pa.Table
    skipped: int = 0
    deleted: pa.Table | None = None  # change data capture: DELETED rows (udfs.cdc)

    def counts(self) -> dict[str, Any]:
        """The figures the jobs' metrics count: records in (inputs that are records, valid or
        not), quarantined, alerts, and per regulation the distinct fields in violation."""
        by_regulation: dict[str, int] = {}
        if self.violations.num_rows:
            by_regulation = _distinct_fields(self.violations)
        deleted = self.deleted.num_rows if self.deleted is not None else 0
        return {
            "records_in": self.inputs - self.skipped - deleted,
            "quarantined": self.quarantine.num_rows,
            "deleted": deleted,
            "alerts": self.alerts.num_rows,
            "violations": by_regulation,
        }


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    encoded = pc.dictionary_encode(column.combine_chunks(), null_encoding="encode")
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


def _distinct_fields(violations: pa.Table) -> dict[str, int]:
    """Per regulation, the distinct (record, field) pairs in violation: numpy over dictionary
    codes (an Arrow group_by costs ~0.5 ms per streaming batch, a tenth of its fixed cost)."""
    regulation, regulations = _codes(violations.column("regulation"))
    field, fields = _codes(violations.column("field"))
    row = violations.column("row").to_numpy().astype(np.int64)
    width = np.int64(len(fields))
    pairs = np.unique((row * len(regulations) + regulation) * width + field)
    counts = np.bincount(pairs // width % len(regulations), minlength=len(regulations))
    return {name: int(n) for name, n in zip(regulations, counts, strict=True) if n}


class _Strings:
    """A string column built chunk by chunk from constants or per-row values, as dictionary
    codes (most violation columns repeat a handful of texts)."""

    def __init__(self):
        self.codes: list[np.ndarray] = []
        self.dictionary: dict[str, int] = {}

    def _code(self, text: str) -> int:
        code = self.dictionary.get(text)
        if code is None:
            code = self.dictionary[text] = len(self.dictionary)
        return code

    def add(self, value: str | list[str], count: int) -> None:
        if isinstance(value, str):
            self.codes.append(np.full(count, self._code(value), dtype=np.int32))
        else:
            self.codes.append(np.array([self._code(v) for v in value], dtype=np.int32))

    def build(self, order: np.ndarray) -> pa.Array:
        codes = np.concatenate(self.codes)[order] if self.codes else np.zeros(0, np.int32)
        dictionary = pa.array(list(self.dictionary), STRING)
        return pa.DictionaryArray.from_arrays(pa.array(codes), dictionary).cast(STRING)


def _committed_at(records: pa.Table, commit_ms: list[int | None]) -> pa.Table:
    """Records of changes with their event time set to when the source committed them (where
    the event says)."""
    if not records.num_rows:
        return records
    rows = records.column("row").to_numpy()
    ms = pa.array([commit_ms[r] for r in rows], pa.int64())
    event_ms = pc.coalesce(ms, records.column("event_ms"))
    day = pc.strftime(pc.cast(ms, pa.timestamp("ms", "UTC")), "%Y-%m-%d")
    event_date = pc.coalesce(day, records.column("event_date"))
    records = records.set_column(records.schema.get_field_index("event_ms"), "event_ms", event_ms)
    where = records.schema.get_field_index("event_date")
    return records.set_column(where, "event_date", event_date)


def _at_positions(table: pa.Table, positions: np.ndarray) -> pa.Table:
    """A table of a sub-batch with its `row`s put back at the batch's input positions."""
    rows = table.column("row").to_numpy()
    where = table.schema.get_field_index("row")
    return table.set_column(where, schemas.ROW, pa.array(positions[rows].astype(np.int32)))


def _rows_kept(mask: np.ndarray):
    """A function giving a column's rows of `mask`: the column itself when every row is kept,
    else a filter (a mask keeping long runs copies them in blocks: ~2x faster than a take)."""
    if mask.all():
        return lambda column: column
    selection = pa.array(mask)
    return lambda column: column.filter(selection)


def _blank_to_null(column: pa.Array) -> pa.Array:
    """An empty value is null in every output (`value or None` per record)."""
    empty = (byte_lengths(column) == 0) & ~column.is_null().to_numpy(zero_copy_only=False)
    if not empty.any():
        return column
    return pc.if_else(pa.array(empty), pa.scalar(None, STRING), column)


MAX_RAW_CHARS = 200_000  # a quarantined payload kept whole up to this; sealed ≤ ~270 KB


class Engine:
    """Built once per worker: the rule set, the protector, the hierarchies for window keys.

    A batch smaller than `per_record_below` goes through the per-record path instead (its
    outputs are the same, tested): the engine's cost per call — a hundred Arrow kernel calls
    and the checks of small columns, ~5 ms — is more than a few dozen records cost one at a
    time. Measured on one core (JSON messages with alerts and window keys; CSV lines), engine
    against per-record µs per input: 30 → 122/91 and 118/80, 50 → 87/87 and 84/77, 60 → 80/85,
    75 → 66/81 and 64/74, 100 → 57/82 and 55/73 (streaming bundles hold 50-150 messages).
    """

    per_record_below = 60

    def __init__(
        self, schema: DomainSchema, rules_config: dict[str, Any], as_of: datetime,
        key_secret: bytes, throwaway_key: bool = False, alert_min_severity: str | None = None,
        window_keys: bool = False, layouts: dict[str, str] | None = None,
        quarantine_secret: bytes | None = None, token_key_id: str | None = None,
        changes: TableMapping | None = None,
    ):  # fmt: skip
        self.schema = schema
        self.changes = changes  # messages are change events of this table (udfs.cdc)
        # Quarantined payloads leave the engine sealed (udfs.protect.seal) when a key is given.
        self.sealer = SealKey(quarantine_secret, throwaway_key) if quarantine_secret else None
        self.names = schema.names
        policy = ProtectionPolicy.from_config(schema.protection)
        self.rules = build_rule_set(rules_config, schema, as_of, extra_kinds=policy.mask_kinds)
        self.as_of = self.rules.as_of
        self.protector = ColumnProtector(policy, TokenKey(key_secret, throwaway_key, token_key_id))
        self.payload = schemas.payload_names(schema)
        self.alert_rank = severity_rank(alert_min_severity) if alert_min_severity else None
        self.quasi_identifiers = frozenset(schema.anonymity.get("quasi_identifiers") or ())
        self.window_keys = window_keys
        if window_keys:
            self.hierarchies = hierarchies_from_config(schema.anonymity)
            self.ladder = schema.anonymity["stream_ladder"]
        self.records_schema = schemas.records_schema(schema, window_keys)
        # Seconds spent per stage over the engine's life (the benchmark reports them).
        self.timings: dict[str, float] = defaultdict(float)
        self.layouts = None
        if layouts:
            parsed = {path: Layout.from_header(h, schema) for path, h in layouts.items()}
            self.layouts = CsvLayouts(parsed, self.names)
        options = {"alert_min_severity": alert_min_severity, "window_keys": window_keys,
                   "token_key_id": token_key_id}  # fmt: skip
        args = (schema, rules_config, self.as_of, key_secret, throwaway_key)
        self.reference = (
            LineProcessor(*args, layouts=layouts, **options)
            if layouts
            else RecordProcessor(*args, **options)
        )

    # -- inputs ---------------------------------------------------------------------------

    def process_lines(self, lines: pa.Array, paths: pa.Array | str | None = None) -> EngineResult:
        """CSV lines (binary or string), and when several files are read the path of each
        line (or one path for all of them)."""
        if self.layouts is None:
            raise ValueError("this engine was built without CSV layouts")
        if lines.type != pa.binary():
            lines = lines.cast(pa.binary())
        started = time.perf_counter()
        if len(lines) < self.per_record_below:
            if paths is None or isinstance(paths, str):
                paths = [paths] * len(lines)
            elif not isinstance(paths, list):
                paths = pylist(paths)
            outs = [
                self.reference.process_line(p, x) for p, x in zip(paths, pylist(lines), strict=True)
            ]
            return self._sealed(self._per_record(outs, started))
        parsed = parse_lines(lines, paths, self.layouts)
        self.timings["parse"] += time.perf_counter() - started
        return self._sealed(self._process(parsed, len(lines)))

    def process_messages(
        self, messages: list[bytes | str | None], source_ms: list[int | None] | None = None
    ) -> EngineResult:
        """JSON objects (Kafka message values), or change events of the engine's `changes`
        table; `source_ms` goes into each alert."""
        if self.changes is not None:
            return self._process_changes(messages, source_ms)
        return self._messages(messages, source_ms)

    def _messages(
        self, messages: list[bytes | str | None], source_ms: list[int | None] | None
    ) -> EngineResult:
        started = time.perf_counter()
        if len(messages) < self.per_record_below:
            stamps = source_ms if source_ms is not None else [None] * len(messages)
            process = self.reference.process_message
            outs = [process(m, ms) for m, ms in zip(messages, stamps, strict=True)]
            return self._sealed(self._per_record(outs, started))
        parsed = parse_messages(messages, self.names)
        self.timings["parse"] += time.perf_counter() - started
        return self._sealed(self._process(parsed, len(messages), source_ms))

    def _process_changes(
        self, messages: list[bytes | str | None], source_ms: list[int | None] | None
    ) -> EngineResult:
        """Change events: their rows go through the engine as records; deletions and refused
        messages join the result at their input positions."""
        started = time.perf_counter()
        changes = split_changes(messages, self.changes)
        self.timings["changes"] += time.perf_counter() - started
        at = changes.positions()
        stamps = None if source_ms is None else [source_ms[i] for i in changes.record_at]
        inner = self._messages(changes.records, stamps)
        refused = pa.table(
            {"row": pa.array(changes.refused_at, pa.int32()),
             "record_id": pa.nulls(len(changes.refused_at), STRING),
             "reason": pa.array(changes.refused_reasons, STRING),
             "raw": pa.array(changes.refused_raws, STRING)},
            schema=schemas.QUARANTINE,
        )  # fmt: skip
        refused = self._sealed_quarantine(refused)
        deleted = pa.table(
            {"row": pa.array(changes.deleted_at, pa.int32()),
             "record_id": pa.array(changes.deleted_ids, STRING),
             "event_ms": pa.array(changes.deleted_ms, pa.int64()),
             "extra": pa.array(changes.deleted_meta, STRING)},
            schema=schemas.DELETED,
        )  # fmt: skip
        return EngineResult(
            len(messages),
            _at_positions(_committed_at(inner.records, changes.record_ms), at),
            _at_positions(inner.violations, at),
            pa.concat_tables([_at_positions(inner.quarantine, at), refused]),
            _at_positions(inner.alerts, at),
            inner.skipped,
            deleted,
        )

    def _sealed(self, result: EngineResult) -> EngineResult:
        if not result.quarantine.num_rows:
            return result
        return replace(result, quarantine=self._sealed_quarantine(result.quarantine))

    def _sealed_quarantine(self, quarantine: pa.Table) -> pa.Table:
        """The quarantine as it leaves the engine: a raw payload longer than MAX_RAW_CHARS cut
        (its reason says so: sealed, it must still fit a Kafka message), then every raw payload
        sealed, when this engine has a quarantine key."""
        if not quarantine.num_rows:
            return quarantine
        started = time.perf_counter()
        raw = quarantine.column("raw")
        long = pc.fill_null(pc.greater(pc.utf8_length(raw), MAX_RAW_CHARS), False)
        if pc.any(long).as_py():
            note = f" (raw payload cut to its first {MAX_RAW_CHARS:,} characters)"
            reason = quarantine.column("reason")
            quarantine = quarantine.set_column(
                quarantine.schema.get_field_index("reason"), "reason",
                pc.if_else(long, pc.binary_join_element_wise(reason, note, ""), reason),
            )  # fmt: skip
            raw = pc.if_else(long, pc.utf8_slice_codeunits(raw, 0, MAX_RAW_CHARS), raw)
        if self.sealer is not None:
            raw = self.sealer.seal_array(raw)
        quarantine = quarantine.set_column(quarantine.schema.get_field_index("raw"), "raw", raw)
        self.timings["seal"] += time.perf_counter() - started
        return quarantine

    def _per_record(self, outs: list[list[tuple]], started: float) -> EngineResult:
        from udfs.engine.reference import as_result

        result = as_result(self.reference, outs)
        self.timings["per_record"] += time.perf_counter() - started
        return result

    # -- the steps ------------------------------------------------------------------------

    def _process(
        self, parsed: Parsed, inputs: int, source_ms: list[int | None] | None = None
    ) -> EngineResult:
        clock = time.perf_counter()
        validated = validate_columns(parsed.values, self.schema, parsed.size)
        valid = np.flatnonzero(validated.valid)
        quarantine = self._quarantine(parsed, validated.reasons)
        keep = _rows_kept(validated.valid)
        values = {
            name: None if column is None else keep(column) for name, column in parsed.values.items()
        }
        micros = {
            name: (np.ones(len(valid), dtype=bool), us[valid])
            for name, us in validated.micros.items()
        }
        plain = {name: mask[valid] for name, mask in validated.plain.items()}
        batch = BatchView(values, len(valid), self.rules.scanner, self.as_of, micros, plain)
        input_rows = parsed.rows[valid]
        clock = self._lap("validate", clock)
        for name in self.protector.policy.mask_text:  # masking needs every span: scan once
            batch.column_spans(name)
        violations, owners = self._violations(batch, input_rows, values.get("record_id"))
        clock = self._lap("detect", clock)
        protected = self.protector.protect(batch)
        clock = self._lap("protect", clock)
        created = micros["created_at"][1]
        columns: dict[str, pa.Array] = {
            "row": pa.array(input_rows.astype(np.int32)),
            "record_id": self._column(values, "record_id", len(valid)),
            "event_date": event_dates(created),
            "event_ms": pa.array(event_ms(created)),
        }
        if self.window_keys:
            columns["group_key"] = group_key_column(
                protected, self.hierarchies, self.ladder, len(valid)
            )
        for name in self.payload:
            columns[name] = _blank_to_null(self._column(protected, name, len(valid)))
        columns["extra"] = keep(parsed.extra)
        records = pa.Table.from_pydict(columns, schema=self.records_schema)
        alerts = self._alerts(records, violations, owners, source_ms)
        self._lap("output", clock)
        return EngineResult(inputs, records, violations, quarantine, alerts, parsed.skipped)

    def _lap(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[stage] += now - since
        return now

    @staticmethod
    def _column(values: dict[str, pa.Array | None], name: str, size: int) -> pa.Array:
        column = values.get(name)
        return pa.nulls(size, STRING) if column is None else column

    def _quarantine(self, parsed: Parsed, reasons: np.ndarray) -> pa.Table:
        found = parsed.quarantined
        rows = list(found.rows)
        ids = list(found.record_ids)
        texts = list(found.reasons)
        raws = list(found.raws)
        invalid = np.flatnonzero(~np.equal(reasons, None))
        if len(invalid):
            record_ids = parsed.values.get("record_id")
            rows += parsed.rows[invalid].tolist()
            ids += [
                i or None
                for i in (
                    pylist(take_rows(record_ids, invalid))
                    if record_ids is not None
                    else [None] * len(invalid)
                )
            ]
            texts += reasons[invalid].tolist()
            raws += parsed.raws(invalid)
        order = np.argsort(np.array(rows, dtype=np.int64), kind="stable")
        table = pa.table(
            {
                "row": pa.array(np.array(rows, dtype=np.int32)),
                "record_id": pa.array(ids, STRING),
                "reason": pa.array(texts, STRING),
                "raw": pa.array(raws, STRING),
            },
            schema=schemas.QUARANTINE,
        )
        return table.take(pa.array(order)) if len(order) else table

    def _violations(
        self, batch: BatchView, input_rows: np.ndarray, record_ids: pa.Array | None
    ) -> tuple[pa.Table, np.ndarray]:
        """Every rule's violations, in each record's per-record order (rules in order, then
        each rule's own order); also the batch position of the record of each violation."""
        owners: list[np.ndarray] = []
        columns = {name: _Strings() for name in schemas.VIOLATION_FIELDS}
        for rule in self.rules.rules:
            for found in rule.check_batch(batch):
                count = len(found.rows)
                if not count:
                    continue
                owners.append(np.asarray(found.rows, dtype=np.int64))
                columns["rule_id"].add(rule.rule_id, count)
                columns["regulation"].add(rule.regulation, count)
                columns["field"].add(found.field, count)
                severity = found.severity
                if isinstance(severity, list):
                    severity = [s or rule.severity for s in severity]
                columns["severity"].add(severity or rule.severity, count)
                columns["description"].add(found.description, count)
        owner = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
        order = np.argsort(owner, kind="stable")
        owner = owner[order]
        ids = (
            take_rows(record_ids, owner) if record_ids is not None else pa.nulls(len(owner), STRING)
        )
        table = pa.table(
            {
                "row": pa.array(input_rows[owner].astype(np.int32)),
                "record_id": ids,
                **{name: strings.build(order) for name, strings in columns.items()},
            },
            schema=schemas.VIOLATIONS,
        )
        return table, owner

    def _alerts(
        self, records: pa.Table, violations: pa.Table, owners: np.ndarray,
        source_ms: list[int | None] | None,
    ) -> pa.Table:  # fmt: skip
        """The alert message of every record with a violation at or above the alert severity:
        its tokenized record (quasi-identifiers left out) and its violations, as JSON."""
        empty = pa.table({n: [] for n in schemas.ALERTS.names}, schema=schemas.ALERTS)
        if self.alert_rank is None or not violations.num_rows:
            return empty
        codes, severities = _codes(violations.column("severity"))
        ranks = np.array([SEVERITIES.index(s) for s in severities], dtype=np.int8)[codes]
        top = np.full(records.num_rows, -1, dtype=np.int8)
        np.maximum.at(top, owners, ranks)
        alerting = np.flatnonzero(top >= self.alert_rank)
        if not len(alerting):
            return empty
        starts = np.searchsorted(owners, alerting, side="left")
        ends = np.searchsorted(owners, alerting, side="right")
        picked = records.take(pa.array(alerting))
        severity = pa.array(np.array(SEVERITIES, dtype=object)[top[alerting]], STRING)
        n = picked.num_rows
        violation = json_object(
            [(name, string_parts(violations.column(name))) for name in ALERT_VIOLATION_FIELDS]
        )
        found = json_arrays(concat(violation, violations.num_rows), starts, ends)
        fields = [name for name in self.names if name not in self.quasi_identifiers]
        record = json_object([(name, string_parts(picked.column(name))) for name in fields])
        source = pa.nulls(n, pa.int64())
        if source_ms is not None:
            source = pa.array(source_ms, pa.int64()).take(picked.column("row").combine_chunks())
        alert = json_object(
            [
                ("record_id", string_parts(picked.column("record_id"))),
                ("domain", json.dumps(self.schema.domain)),
                ("severity", string_parts(severity)),
                ("violations", found),
                ("record", record),
                ("source_ms", json_numbers(source)),
            ]
        )
        return pa.table(
            {
                "row": picked.column("row"),
                "record_id": picked.column("record_id"),
                "severity": severity,
                "alert": concat(alert, n),
            },
            schema=schemas.ALERTS,
        )
