"""The engine's outputs as Arrow schemas, defined once: every output names its columns, and
`row` (the input's position in its batch) lets a caller put the outputs back in input order."""

from __future__ import annotations

import pyarrow as pa

from udfs.schema import DomainSchema

STRING = pa.string()
ROW = pa.field("row", pa.int32(), nullable=False)
VIOLATION_FIELDS = ("rule_id", "regulation", "field", "severity", "description")

VIOLATIONS = pa.schema(
    [ROW, pa.field("record_id", STRING), *(pa.field(n, STRING) for n in VIOLATION_FIELDS)]
)
QUARANTINE = pa.schema(
    [ROW, pa.field("record_id", STRING), pa.field("reason", STRING), pa.field("raw", STRING)]
)
ALERTS = pa.schema(
    [ROW, pa.field("record_id", STRING), pa.field("severity", STRING), pa.field("alert", STRING)]
)

# Change data capture: a source row deleted (its record id, when the source committed the
# delete, and the change's position as JSON: cdc_op, cdc_lsn, cdc_ts_ms).
DELETED = pa.schema(
    [ROW, pa.field("record_id", STRING), pa.field("event_ms", pa.int64()),
     pa.field("extra", STRING)]
)  # fmt: skip


def payload_names(schema: DomainSchema) -> tuple[str, ...]:
    """The record's own fields after record_id (the protected values)."""
    return tuple(n for n in schema.names if n != "record_id")


def records_schema(schema: DomainSchema, window_keys: bool = False) -> pa.Schema:
    """The protected records: ids and event time, the window group key (streaming), the
    record's fields (quasi-identifiers not yet generalized) and the extra columns as JSON."""
    fields = [
        ROW,
        pa.field("record_id", STRING),
        pa.field("event_date", STRING),
        pa.field("event_ms", pa.int64()),
    ]
    if window_keys:
        fields.append(pa.field("group_key", STRING))
    fields += [pa.field(n, STRING) for n in payload_names(schema)]
    fields.append(pa.field("extra", STRING))
    return pa.schema(fields)


# What the batch job writes: one row per violation (tokens only: never the value) and one per
# quarantined input, each with the run's domain and job id.
VIOLATION_ROWS = pa.schema(
    [
        pa.field("domain", STRING), pa.field("record_id", STRING),
        pa.field("rule_id", STRING), pa.field("field", STRING),
        pa.field("regulation", STRING), pa.field("severity", STRING),
        pa.field("description", STRING), pa.field("detected_at", pa.timestamp("ms")),
        pa.field("job_id", STRING), pa.field("event_date", STRING),
    ]
)  # fmt: skip
QUARANTINE_ROWS = pa.schema(
    [
        pa.field("record_id", STRING), pa.field("reason", STRING), pa.field("raw", STRING),
        pa.field("domain", STRING), pa.field("job_id", STRING),
    ]
)  # fmt: skip
