import json
from datetime import UTC, datetime

import pytest

from udfs.pipeline import VIOLATION_FIELDS, LineProcessor, RecordProcessor, output_names
from udfs.schema import load_schema, read_rules

SCHEMA = load_schema("healthcare")
RULES = read_rules("healthcare")
HEADER = ",".join(SCHEMA.names)
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
GOOD = "r1,Ada Abbott,123-45-6789,1980-01-01,F,94110,,E11.9,,,call 415-555-2671,false,40.71289,-74.00,2025-06-01T00:00:00Z"


def named(rows: list[tuple]) -> list[dict]:
    """The per-record path's positional rows (its contract with Flink) by column name."""
    return [dict(zip(output_names(SCHEMA), row, strict=True)) for row in rows]


@pytest.fixture
def processor():
    return LineProcessor(SCHEMA, RULES, AS_OF, b"k" * 32, False, "high", layouts={"/x.csv": HEADER})


@pytest.mark.parametrize(
    "line",
    [GOOD, "b3,too,few", b"\xff\xfe,x", "r2,,,,,,,,,,,,,,not-a-time", 'r3,"open quote', ""],
)
def test_every_row_has_the_full_width(processor, line):
    data = line.encode() if isinstance(line, str) else line
    for row in processor.process_line("/x.csv", data):
        assert len(row) == len(output_names(SCHEMA))  # the Flink coder crashes on short rows
        fields = dict(zip(output_names(SCHEMA), row, strict=True))
        violations = fields.pop("violations")
        assert all(v is None or isinstance(v, str) for v in fields.values())
        assert violations is None or all(len(v) == len(VIOLATION_FIELDS) for v in violations)


def test_record_violations_and_alert(processor):
    rows = processor.process_line("file:///x.csv", GOOD.encode())
    (record,) = named(rows)  # one row per record: violations and alert inside
    assert record["kind"] == "record"
    found = {dict(zip(VIOLATION_FIELDS, v, strict=True))["field"] for v in record["violations"]}
    assert {"ssn", "notes"} <= found
    assert record["ssn"].startswith("tok_ssn_") and record["latitude"] == "40.71"  # GPS coarsened
    assert record["event_ms"] == str(int(datetime(2025, 6, 1, tzinfo=UTC).timestamp() * 1000))
    alert = json.loads(record["alert"])
    assert alert["severity"] == "critical" and "date_of_birth" not in alert["record"]
    assert "123-45-6789" not in json.dumps(alert) and "415-555-2671" not in json.dumps(alert)


def test_header_and_blank_lines_are_not_records(processor):
    assert processor.process_line("/x.csv", HEADER.encode()) == []
    assert processor.process_line("/x.csv", b"  \r\n") == []


def test_json_messages():
    processor = RecordProcessor(SCHEMA, RULES, AS_OF, b"k" * 32)
    message = {
        "record_id": "j1",
        "created_at": "2025-01-01T00:00:00Z",
        "consent_given": True,
        "source": "ehr",
    }
    rows = processor.process_message(json.dumps(message).encode())
    (record,) = named(rows)
    assert record["kind"] == "record" and record["consent_given"] == "true"
    assert json.loads(record["extra"]) == {"source": "ehr"}
    for bad, reason in [
        (b"{", "not valid JSON"),
        (b"[1]", "JSON value is not an object"),
        (b"\xff", "not UTF-8"),
    ]:
        (row,) = named(processor.process_message(bad))
        assert row["kind"] == "quarantine" and row["reason"] == reason
