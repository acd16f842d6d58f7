"""The floor's engine skips the rules but gives rows of the real step's shape (the Arrow coder of
the job's function needs every column): a line's own values, no violation, no token."""

from datetime import UTC, datetime

import pyarrow as pa

from scripts.benchmarks.batch_floor import SplitOnlyEngine
from udfs.engine import Engine
from udfs.engine.rows import input_rows
from udfs.pipeline import RECORD, output_names
from udfs.schema import load_schema, read_rules

HEADER = "record_id,patient_name,ssn,created_at,consent_given"
LINE = b"r-1,Ann Lee,123-45-6789,2025-03-04T05:06:07Z,false"


def engines():
    schema = load_schema("healthcare")
    args = (
        schema,
        read_rules("healthcare"),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    kwargs = {"key_secret": b"k" * 32, "layouts": {"f.csv": HEADER}}
    return schema, Engine(*args, **kwargs), SplitOnlyEngine(*args, **kwargs)


def rows(schema, engine, line: bytes) -> list[dict]:
    return input_rows(engine.process_lines(pa.array([line], pa.binary())), schema).to_pylist()


def test_rows_have_the_real_steps_shape_and_the_lines_values():
    schema, real, floor = engines()
    [expected] = rows(schema, real, LINE)
    [row] = rows(schema, floor, LINE)
    assert list(row) == list(expected) == list(output_names(schema))
    assert (row["kind"], row["record_id"], row["event_date"]) == (RECORD, "r-1", "2025-03-04")
    assert row["ssn"] == "123-45-6789" and row["violations"] == []
    assert expected["violations"]  # the real step finds the SSN and the missing consent


def test_bad_lines_still_go_to_quarantine():
    schema, _, floor = engines()
    [row] = rows(schema, floor, b"r-2,only-two")
    assert row["kind"] == "quarantine"
