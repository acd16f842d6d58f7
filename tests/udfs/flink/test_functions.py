"""The streaming step's rows (udfs.flink.functions): a batch's violations leave as one Parquet
file on its last row, and as strings in each record's row only when asked for (the audit)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.udfs.engine.test_outputs import HEADER, LINES, SCHEMA
from udfs.flink import arrow_results
from udfs.flink.functions import VIOLATIONS_FILE, ProcessLines, step_names
from udfs.schema import read_rules


class _Context:
    def get_metric_group(self):
        return self

    def add_group(self, _name):
        return self

    def counter(self, _name):
        return self

    def gauge(self, _name, _value):
        return self

    def inc(self, _n):
        pass


def _rows(**options) -> pa.Table:
    fn = ProcessLines(
        SCHEMA, read_rules("healthcare"), datetime(2026, 1, 1, tzinfo=UTC), b"k" * 32,
        layouts={"/x": HEADER}, **options,
    )  # fmt: skip
    fn.open(_Context())
    lines = pa.array(LINES * 30, pa.binary())  # above the engine's per-record path
    result = fn.engine.process_lines(lines, "/x")
    frame = fn.frame(result)
    table = frame.attrs.get(arrow_results.ARROW)
    return table if table is not None else pa.Table.from_pandas(frame)


@pytest.mark.parametrize("lists", [True, False])
def test_the_batchs_violations_are_one_parquet_file_on_its_last_row(lists):
    rows = _rows(violations_job="job-7", violation_lists=lists)
    assert rows.column_names == list(step_names(SCHEMA))
    files = rows.column(VIOLATIONS_FILE).to_pylist()
    assert all(f is None for f in files[:-1]) and files[-1] is not None
    violations = pq.read_table(io.BytesIO(files[-1]))
    assert pq.ParquetFile(io.BytesIO(files[-1])).num_row_groups == 1
    assert violations.column_names == [
        "domain", "record_id", "rule_id", "field", "regulation", "severity", "description",
        "job_id", "event_date",
    ]  # fmt: skip
    found = violations.to_pylist()
    assert {(v["domain"], v["job_id"]) for v in found} == {("healthcare", "job-7")}
    assert {"hipaa.identifier_in_clear", "gdpr.consent"} <= {v["rule_id"] for v in found}
    lists_column = rows.column("violations").to_pylist()
    per_record = [v for v in lists_column if v]
    if lists:
        assert sum(len(v) for v in per_record) == len(found)
    else:
        assert lists_column == [None] * rows.num_rows


def test_without_a_job_id_there_is_no_violations_file():
    rows = _rows()
    assert rows.column(VIOLATIONS_FILE).null_count == rows.num_rows
    assert any(rows.column("violations").to_pylist())
