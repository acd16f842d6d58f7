from datetime import datetime

import pyarrow as pa

from connectors.lake import VIOLATION_COLUMNS, explode_violations
from udfs.pipeline import FIELD_SEP, VIOLATION_FIELDS, encode_violations


def test_explode_violations_one_row_per_violation_with_its_record():
    first = ("hipaa.x", "HIPAA", "ssn", "high", "valid SSN in clear text")
    second = ("gdpr.consent", "GDPR", "email", "medium", "no consent")
    staged = pa.table(
        {
            "record_id": ["r1", "r2", "r3", "r4"],
            "event_date": ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"],
            "violations": pa.array(
                [encode_violations([first, second]), [], None, encode_violations([second])],
                pa.list_(pa.string()),
            ),
        }
    )
    at = datetime(2026, 1, 5, 12, 0)
    out = explode_violations(
        staged,
        {
            "domain": pa.scalar("healthcare"),
            "detected_at": pa.scalar(at, pa.timestamp("ms")),
            "job_id": pa.scalar("j1"),
        },
    )
    assert out.column_names == [*VIOLATION_COLUMNS, "detected_at", "job_id", "event_date"]
    rows = out.to_pylist()
    assert [(r["record_id"], r["rule_id"], r["event_date"]) for r in rows] == [
        ("r1", "hipaa.x", "2026-01-01"),
        ("r1", "gdpr.consent", "2026-01-01"),
        ("r4", "gdpr.consent", "2026-01-04"),
    ]
    assert {n: rows[0][n] for n in VIOLATION_FIELDS} == dict(
        zip(VIOLATION_FIELDS, first, strict=True)
    )
    assert {r["domain"] for r in rows} == {"healthcare"} and rows[2]["detected_at"] == at


def test_encoded_violation_splits_back_into_its_fields():
    violation = ("pci.card", "PCI-DSS", "notes", "critical", "card number in free text")
    (encoded,) = encode_violations([violation])
    assert tuple(encoded.split(FIELD_SEP)) == violation
