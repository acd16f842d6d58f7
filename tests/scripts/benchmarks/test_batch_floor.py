"""The floor's step skips the rules but gives rows of the real step's shape (the Arrow coder of the
job's function needs every column): a line's own values, no violation, no token."""

from datetime import UTC, datetime

from scripts.benchmarks.batch_floor import SplitOnlyProcessor
from udfs.pipeline import RECORD, VIOLATIONS_AT, LineProcessor, output_names
from udfs.schema import CONF_DIR, load_schema, read_yaml

HEADER = "record_id,patient_name,ssn,created_at,consent_given"
LINE = "r-1,Ann Lee,123-45-6789,2025-03-04T05:06:07Z,false"


def processors():
    schema = load_schema("healthcare")
    args = (
        schema,
        read_yaml(CONF_DIR / "rules" / "healthcare.yaml"),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    kwargs = {"key_secret": b"k" * 32, "layouts": {"f.csv": HEADER}}
    return schema, LineProcessor(*args, **kwargs), SplitOnlyProcessor(*args, **kwargs)


def test_rows_have_the_real_steps_shape_and_the_lines_values():
    schema, real, floor = processors()
    [expected] = real.process_line("f.csv", LINE)
    [row] = floor.process_line("f.csv", LINE)
    assert len(row) == len(expected) == len(output_names(schema))
    named = dict(zip(output_names(schema), row, strict=True))
    assert (named["kind"], named["record_id"], named["event_date"]) == (RECORD, "r-1", "2025-03-04")
    assert named["ssn"] == "123-45-6789" and row[VIOLATIONS_AT] == []
    assert expected[VIOLATIONS_AT]  # the real step finds the SSN and the missing consent


def test_bad_lines_still_go_to_quarantine():
    _, _, floor = processors()
    [row] = floor.process_line("f.csv", "r-2,only-two")
    assert row[0] == "quarantine"
