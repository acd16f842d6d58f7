"""The engine's tables as the one row per input that a Flink scalar function returns: the
columns of `udfs.pipeline.output_names` (kind, ids, event time, reason, raw, group key, alert,
the violations as strings, the record's fields, extra), in input order, built column-wise."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udfs.arrow import STRING, scatter
from udfs.engine.engine import EngineResult
from udfs.engine.schemas import VIOLATION_FIELDS
from udfs.pipeline import DELETION, FIELD_SEP, QUARANTINE, RECORD, output_names
from udfs.schema import DomainSchema


def violation_lists(result: EngineResult) -> pa.Array:
    """Per input, its record's violations encoded as strings (FIELD_SEP between the fields):
    an empty list for a record without any, null for an input that is no record."""
    violations = result.violations
    rows = violations.column("row").to_numpy()
    counts = (
        np.bincount(rows, minlength=result.inputs)
        if len(rows)
        else np.zeros(result.inputs, np.int64)
    )
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    joined = pc.binary_join_element_wise(
        *(violations.column(n) for n in VIOLATION_FIELDS), FIELD_SEP
    )
    if isinstance(joined, pa.ChunkedArray):
        joined = joined.combine_chunks() if joined.num_chunks else pa.array([], STRING)
    is_record = np.zeros(result.inputs, dtype=bool)
    is_record[result.records.column("row").to_numpy()] = True
    return pa.ListArray.from_arrays(pa.array(offsets), joined, mask=pa.array(~is_record))


def input_rows(result: EngineResult, schema: DomainSchema) -> pa.Table:
    """One row per input of the batch, named as `output_names(schema)`; kind is null for an
    input that holds no record (a header or a blank line)."""
    n = result.inputs
    records, quarantine, alerts = result.records, result.quarantine, result.alerts
    record_rows = records.column("row").to_numpy()
    quarantine_rows = quarantine.column("row").to_numpy()
    kind = np.full(n, None, dtype=object)
    kind[record_rows] = RECORD
    kind[quarantine_rows] = QUARANTINE
    deleted = result.deleted
    deleted_rows = deleted.column("row").to_numpy() if deleted is not None else record_rows[:0]
    kind[deleted_rows] = DELETION
    columns: dict[str, pa.Array] = {"kind": pa.array(kind, STRING)}

    def from_records(name: str) -> pa.Array:
        values = records.column(name).combine_chunks()
        if values.type != STRING:
            values = pc.cast(values, STRING)
        return scatter(n, record_rows, values)

    record_id = from_records("record_id")
    if len(quarantine_rows):
        record_id = scatter(
            n, quarantine_rows, quarantine.column("record_id").combine_chunks(), record_id
        )
    if len(deleted_rows):
        record_id = scatter(
            n, deleted_rows, deleted.column("record_id").combine_chunks(), record_id
        )
    columns["record_id"] = record_id
    columns["event_date"] = from_records("event_date")
    columns["event_ms"] = from_records("event_ms")
    if len(deleted_rows):  # when the source deleted it
        when = pc.cast(deleted.column("event_ms").combine_chunks(), STRING)
        columns["event_ms"] = scatter(n, deleted_rows, when, columns["event_ms"])
    columns["reason"] = scatter(n, quarantine_rows, quarantine.column("reason").combine_chunks())
    columns["raw"] = scatter(n, quarantine_rows, quarantine.column("raw").combine_chunks())
    columns["group_key"] = (
        from_records("group_key") if "group_key" in records.column_names else pa.nulls(n, STRING)
    )
    columns["alert"] = scatter(
        n, alerts.column("row").to_numpy(), alerts.column("alert").combine_chunks()
    )
    columns["violations"] = violation_lists(result)
    for name in output_names(schema)[len(columns) :]:
        columns[name] = from_records(name)
    if len(deleted_rows):  # the change's position (cdc_op, cdc_lsn, cdc_ts_ms)
        extra = deleted.column("extra").combine_chunks()
        columns["extra"] = scatter(n, deleted_rows, extra, columns["extra"])
    return pa.table(columns)
