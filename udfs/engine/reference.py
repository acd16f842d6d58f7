"""The per-record path (udfs.pipeline) with its rows put into the engine's named tables: the
oracle the engine is tested against and the baseline it is measured against."""

from __future__ import annotations

import json

import pyarrow as pa

from udfs.engine import schemas
from udfs.engine.engine import EngineResult
from udfs.pipeline import QUARANTINE, RECORD, RecordProcessor, output_names

STRING = pa.string()


def as_result(processor: RecordProcessor, outputs: list[list[tuple]]) -> EngineResult:
    """The rows of one call per input (`process_line` / `process_message`) as an EngineResult."""
    names = output_names(processor.schema)
    window_keys = processor.window_keys
    record_schema = schemas.records_schema(processor.schema, window_keys)
    records: dict[str, list] = {n: [] for n in record_schema.names}
    violations: dict[str, list] = {n: [] for n in schemas.VIOLATIONS.names}
    quarantine: dict[str, list] = {n: [] for n in schemas.QUARANTINE.names}
    alerts: dict[str, list] = {n: [] for n in schemas.ALERTS.names}
    skipped = 0
    for position, rows in enumerate(outputs):
        if not rows:
            skipped += 1
            continue
        (row,) = rows
        named = dict(zip(names, row, strict=True))
        if named["kind"] == QUARANTINE:
            for column in ("record_id", "reason", "raw"):
                quarantine[column].append(named[column])
            quarantine["row"].append(position)
            continue
        assert named["kind"] == RECORD
        for column in record_schema.names:
            if column == "row":
                records[column].append(position)
            elif column == "event_ms":
                records[column].append(int(named[column]))
            else:
                records[column].append(named[column])
        for found in named["violations"]:
            violations["row"].append(position)
            violations["record_id"].append(named["record_id"])
            for column, value in zip(schemas.VIOLATION_FIELDS, found, strict=True):
                violations[column].append(value)
        if named["alert"] is not None:
            alerts["row"].append(position)
            alerts["record_id"].append(named["record_id"])
            alerts["severity"].append(json.loads(named["alert"])["severity"])
            alerts["alert"].append(named["alert"])
    return EngineResult(
        len(outputs),
        pa.table(records, schema=record_schema),
        pa.table(violations, schema=schemas.VIOLATIONS),
        pa.table(quarantine, schema=schemas.QUARANTINE),
        pa.table(alerts, schema=schemas.ALERTS),
        skipped,
    )


def process_lines(processor, path: str, lines: list[bytes]) -> EngineResult:
    return as_result(processor, [processor.process_line(path, line) for line in lines])


def process_messages(processor, messages: list, source_ms: list | None = None) -> EngineResult:
    stamps = source_ms if source_ms is not None else [None] * len(messages)
    outs = [processor.process_message(m, s) for m, s in zip(messages, stamps, strict=True)]
    return as_result(processor, outs)


__all__ = ["as_result", "process_lines", "process_messages"]
