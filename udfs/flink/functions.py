"""PyFlink functions around the columnar engine (udfs.engine): vectorized (Arrow) scalar
functions that build the engine once per worker in open(), a batch of lines or messages per
call, one row out per input (the record with its violations and alert, or its quarantine
entry)."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pyarrow as pa
from pyflink.table import DataTypes
from pyflink.table.udf import ScalarFunction, udf

from udfs.engine import Engine, EngineResult
from udfs.engine.rows import input_rows
from udfs.flink import arrow_results
from udfs.pipeline import (
    VIOLATION_FIELDS,
    VIOLATIONS_AT,
    encode_violations,
    output_names,
)
from udfs.schema import DomainSchema


class ComplianceMetrics:
    """Metrics under the group `compliance` of the operator, as the Flink UI and REST show them:
    records_in, quarantined, alerts, deleted (change data capture: rows deleted at the source),
    violations_<REGULATION> (distinct fields in violation per record), event_time_lag_ms and source_latency_ms (gauges: processing time minus created_at,
    minus the Kafka timestamp)."""

    REGULATIONS = ("HIPAA", "GDPR", "PCI-DSS", "LOCATION")

    def __init__(self, metric_group):
        group = metric_group.add_group("compliance")
        self.records_in = group.counter("records_in")
        self.quarantined = group.counter("quarantined")
        self.alerts = group.counter("alerts")
        self.deleted = group.counter("deleted")
        self.violations = {
            r: group.counter("violations_" + r.replace("-", "_")) for r in self.REGULATIONS
        }
        self.lag_ms = 0
        self.latency_ms = 0
        group.gauge("event_time_lag_ms", lambda: self.lag_ms)
        group.gauge("source_latency_ms", lambda: self.latency_ms)

    def count(self, result: EngineResult) -> None:
        """One increment per counter and batch, from the batch's tables (an increment costs
        about a microsecond in the Python worker: per record and violation it added up)."""
        counts = result.counts()
        for counter, n in (
            (self.records_in, counts["records_in"]),
            (self.quarantined, counts["quarantined"]),
            (self.alerts, counts["alerts"]),
            (self.deleted, counts["deleted"]),
        ):
            if n:
                counter.inc(n)
        for regulation, n in counts["violations"].items():
            counter = self.violations.get(regulation)
            if counter is not None:
                counter.inc(n)
        if result.records.num_rows:
            last = result.records.column("event_ms")[-1].as_py()
            self.lag_ms = int(time.time() * 1000) - last

    def source_latency(self, source_ms: int) -> None:
        self.latency_ms = int(time.time() * 1000) - source_ms


# A violation crosses into Flink as one string (VIOLATION_FIELDS joined by FIELD_SEP): the Arrow
# path of vectorized functions has no ARRAY<ROW>, and split in SQL it costs no more than a ROW.
VIOLATIONS_TYPE = DataTypes.ARRAY(DataTypes.STRING())


QUALITY = "quality"  # the step's last column: a batch's quality counts, on its last row


def step_names(schema: DomainSchema) -> tuple[str, ...]:
    """The columns of the streaming step's row: `output_names` and the quality counts (JSON,
    udfs.quality.measure) of the batch, set on its last row only, null on the others."""
    return (*output_names(schema), QUALITY)


def output_types(schema: DomainSchema) -> list:
    return [
        VIOLATIONS_TYPE if name == "violations" else DataTypes.STRING()
        for name in step_names(schema)
    ]


# A record's violations as rows (udfs/jvm ExplodeViolations, the fields VIOLATION_FIELDS):
# register it before `violation_rows_sql` is planned.
VIOLATIONS_FUNCTION = ("explode_violations", "io.flinkcompliance.udfs.ExplodeViolations")


def violation_rows_sql(processed: str = "processed") -> str:
    """One row per violation (record_id, event_date, VIOLATION_FIELDS), exploded in the JVM: each
    violation string split once at FIELD_SEP (UNNEST and a SPLIT_INDEX per field split it once
    per field)."""
    names = ", ".join(f"`{n}`" for n in VIOLATION_FIELDS)
    fields = ", ".join(f"V.`{n}` AS `{n}`" for n in VIOLATION_FIELDS)
    return (
        f"SELECT p.record_id, p.event_date, {fields} FROM {processed} AS p, "
        f"LATERAL TABLE({VIOLATIONS_FUNCTION[0]}(p.violations)) AS V({names}) "
        "WHERE p.kind = 'record'"
    )


def flink_row(row: tuple) -> tuple:
    """A per-record pipeline row as Flink takes it: the violations encoded as strings."""
    found = row[VIOLATIONS_AT]
    if not found:
        return row
    row = list(row)
    row[VIOLATIONS_AT] = encode_violations(found)
    return tuple(row)


class _Vectorized(ScalarFunction):
    """The engine as a vectorized (Arrow) function: a batch of inputs in, one ROW per input
    out (kind NULL where a line is no record: a header or a blank line). A batch crosses the
    Python/JVM boundary a column at a time, and the metrics are counted once per batch."""

    def __init__(self, *args: Any, quality=None, **kwargs: Any):
        self.args, self.kwargs = args, kwargs
        self.quality = quality  # udfs.quality.spec.QualityConfig, or None: not measured

    def open(self, function_context) -> None:
        arrow_results.install()  # rows leave as Arrow, not through pandas
        self.metrics = ComplianceMetrics(function_context.get_metric_group())
        self.engine = self.make_engine()
        self.schema = self.engine.schema

    def make_engine(self) -> Engine:
        return Engine(*self.args, **self.kwargs)

    def stale_before(self) -> int:
        """Streaming: a record created more than max_lag_seconds before it is scanned is stale."""
        return int((time.time() - self.quality.max_lag_seconds) * 1000)

    def frame(self, result: EngineResult):
        self.metrics.count(result)
        rows = input_rows(result, self.schema)
        counts = [None] * rows.num_rows
        if self.quality is not None and counts:
            from udfs.quality.measure import measure

            counts[-1] = orjson.dumps(measure(result, self.quality, self.stale_before())).decode()
        return arrow_results.frame_of(rows.append_column(QUALITY, pa.array(counts, pa.string())))


class ProcessLines(_Vectorized):
    def __init__(self, *args: Any, layouts: dict[str, str], **kwargs: Any):
        super().__init__(*args, layouts=layouts, **kwargs)

    def stale_before(self) -> int:
        """A bounded CSV (BATCH): stale as in the batch job, max_age_days before the as-of."""
        from udfs.quality.measure import stale_before_as_of

        return stale_before_as_of(self.engine.as_of, self.quality)

    def eval(self, path, line):
        lines = pa.Array.from_pandas(line, type=pa.binary())
        paths = pa.Array.from_pandas(path, type=pa.string())
        return self.frame(self.engine.process_lines(lines, paths))


class ProcessMessages(_Vectorized):
    def eval(self, message, source_ts):
        missing = source_ts.isna().to_numpy()
        stamps = source_ts.to_numpy(dtype="datetime64[ms]", na_value=None).astype("int64")
        known = stamps[~missing]
        if len(known):
            self.metrics.source_latency(int(known[-1]))
        source_ms = [None if gone else int(ms) for ms, gone in zip(stamps, missing, strict=True)]
        return self.frame(self.engine.process_messages(message.tolist(), source_ms))


def as_pandas_udf(function: _Vectorized, schema: DomainSchema):
    fields = [
        DataTypes.FIELD(n, t) for n, t in zip(step_names(schema), output_types(schema), strict=True)
    ]
    return udf(function, result_type=DataTypes.ROW(fields), func_type="pandas")
