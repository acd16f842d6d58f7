"""The batch job's output rows from an engine result: one row per violation with its record's
event date (the same columns as the streaming job's violations), one per quarantined input."""

from datetime import UTC, datetime

import pyarrow as pa

from connectors.lake import VIOLATION_COLUMNS
from udfs.engine import Engine
from udfs.engine.outputs import quarantine_rows, staged_records, violation_rows
from udfs.schema import load_schema, read_rules

SCHEMA = load_schema("healthcare")
HEADER = ",".join(SCHEMA.names)
LINES = [
    b"r1,Ada Abbott,123-45-6789,1980-01-01,F,94110,,E11.9,,,fine,true,40.71,-74.00,2025-06-01T00:00:00Z",
    b"r2,too,few",
    b"r3,Bo Baker,,1980-01-01,F,94110,,E11.9,,,fine,false,40.71234,-74.00,2024-02-03T00:00:00Z",
]


def result():
    rules = read_rules("healthcare")
    engine = Engine(
        SCHEMA, rules, datetime(2026, 1, 1, tzinfo=UTC), b"k" * 32, layouts={"/x": HEADER}
    )
    return engine.process_lines(pa.array(LINES, pa.binary()))


def test_violation_rows_carry_their_records_event_date():
    at = datetime(2026, 1, 5, 12, 0, 7, 999, tzinfo=UTC)
    rows = violation_rows(result(), "healthcare", at, "j1")
    assert rows.column_names == [*VIOLATION_COLUMNS, "detected_at", "job_id", "event_date"]
    found = {(r["record_id"], r["rule_id"], r["field"], r["event_date"]) for r in rows.to_pylist()}
    assert ("r1", "hipaa.identifier_in_clear", "ssn", "2025-06-01") in found
    assert ("r3", "gdpr.consent", "consent_given", "2024-02-03") in found
    assert ("r3", "location.precise_gps", "latitude", "2024-02-03") in found
    assert {r["domain"] for r in rows.to_pylist()} == {"healthcare"}
    assert rows.column("detected_at")[0].as_py() == datetime(2026, 1, 5, 12, 0, 7)


def test_quarantine_rows_and_staged_records():
    outcome = result()
    assert quarantine_rows(outcome, "healthcare", "j1").to_pylist() == [
        {"record_id": "r2", "reason": "expected 15 columns, got 3", "raw": "r2,too,few",
         "domain": "healthcare", "job_id": "j1"}
    ]  # fmt: skip
    staged = staged_records(outcome)
    assert staged.column_names[:2] == ["record_id", "event_date"] and staged.num_rows == 2
    assert staged.column("ssn")[0].as_py().startswith("tok_ssn_")
