"""PyFlink functions around udfs.pipeline: vectorized (Arrow) scalar functions built once per
worker in open(), a batch of lines or messages per call, one row out per input (the record with
its violations and alert, or its quarantine entry)."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable
from typing import Any

from pyflink.table import DataTypes
from pyflink.table.udf import ScalarFunction, udf

from udfs.pipeline import (
    ALERT_AT,
    EVENT_MS_AT,
    FIELD_SEP,
    VIOLATION_FIELDS,
    VIOLATIONS_AT,
    LineProcessor,
    RecordProcessor,
    encode_violations,
    output_names,
)
from udfs.schema import DomainSchema


class ComplianceMetrics:
    """Metrics under the group `compliance` of the operator, as the Flink UI and REST show them:
    records_in, quarantined, alerts, violations_<REGULATION> (distinct fields in violation per
    record), event_time_lag_ms and source_latency_ms (gauges: processing time minus created_at,
    minus the Kafka timestamp)."""

    REGULATIONS = ("HIPAA", "GDPR", "PCI-DSS", "LOCATION")

    def __init__(self, metric_group):
        group = metric_group.add_group("compliance")
        self.records_in = group.counter("records_in")
        self.quarantined = group.counter("quarantined")
        self.alerts = group.counter("alerts")
        self.violations = {
            r: group.counter("violations_" + r.replace("-", "_")) for r in self.REGULATIONS
        }
        self.lag_ms = 0
        self.latency_ms = 0
        group.gauge("event_time_lag_ms", lambda: self.lag_ms)
        group.gauge("source_latency_ms", lambda: self.latency_ms)

    def count(self, calls: Iterable[list[tuple]]) -> None:
        """Tally the rows of one or more calls, then one increment per counter (an increment costs
        about a microsecond in the Python worker: per record and violation it added up)."""
        records = quarantined = alerts = 0
        by_regulation: dict[str, int] = {}
        event_ms = None
        for rows in calls:
            if not rows:
                continue
            records += 1
            for row in rows:
                if row[0] == "record":
                    for regulation, _field in {(v[1], v[2]) for v in row[VIOLATIONS_AT]}:
                        by_regulation[regulation] = by_regulation.get(regulation, 0) + 1
                    if row[ALERT_AT] is not None:
                        alerts += 1
                    event_ms = row[EVENT_MS_AT] or event_ms
                elif row[0] == "quarantine":
                    quarantined += 1
        for counter, n in (
            (self.records_in, records), (self.quarantined, quarantined), (self.alerts, alerts)
        ):  # fmt: skip
            if n:
                counter.inc(n)
        for regulation, n in by_regulation.items():
            counter = self.violations.get(regulation)
            if counter is not None:
                counter.inc(n)
        if event_ms:
            self.lag_ms = int(time.time() * 1000) - int(event_ms)

    def source_latency(self, source_ms: int) -> None:
        self.latency_ms = int(time.time() * 1000) - source_ms


# A violation crosses into Flink as one string (VIOLATION_FIELDS joined by FIELD_SEP): the Arrow
# path of vectorized functions has no ARRAY<ROW>, and split in SQL it costs no more than a ROW.
VIOLATIONS_TYPE = DataTypes.ARRAY(DataTypes.STRING())


def output_types(schema: DomainSchema) -> list:
    return [
        VIOLATIONS_TYPE if name == "violations" else DataTypes.STRING()
        for name in output_names(schema)
    ]


def violation_rows_sql(processed: str = "processed") -> str:
    """One row per violation (record_id, event_date, VIOLATION_FIELDS), exploded in the JVM."""
    fields = ", ".join(
        f"SPLIT_INDEX(V.v, CHR({ord(FIELD_SEP)}), {i}) AS `{n}`"
        for i, n in enumerate(VIOLATION_FIELDS)
    )
    return (
        f"SELECT p.record_id, p.event_date, {fields} "
        f"FROM {processed} AS p CROSS JOIN UNNEST(p.violations) AS V(v) WHERE p.kind = 'record'"
    )


def flink_row(row: tuple) -> tuple:
    """A pipeline row as Flink takes it: the violations encoded as strings."""
    found = row[VIOLATIONS_AT]
    if not found:
        return row
    row = list(row)
    row[VIOLATIONS_AT] = encode_violations(found)
    return tuple(row)


class _Vectorized(ScalarFunction):
    """The pipeline step as a vectorized (Arrow) function: a batch of inputs in, one ROW per input
    out (kind NULL where a line is no record: a header or a blank line). A batch crosses the
    Python/JVM boundary a column at a time instead of a row at a time through PyFlink's row coder,
    and the metrics are counted once per batch."""

    def __init__(self, *args: Any, **kwargs: Any):
        self.args, self.kwargs = args, kwargs

    def open(self, function_context) -> None:
        # Many short-lived tuples per record: a less eager young-generation collector helps.
        gc.set_threshold(50_000, 50, 100)
        self.metrics = ComplianceMetrics(function_context.get_metric_group())
        self.processor = self.make_processor()
        self.names = output_names(self.processor.schema)
        self.nothing = (None,) * len(self.names)

    def make_processor(self) -> RecordProcessor:
        raise NotImplementedError

    def frame(self, outs: list[list[tuple]]):
        import pandas as pd

        self.metrics.count(outs)
        rows = [flink_row(out[0]) if out else self.nothing for out in outs]
        columns = zip(*rows, strict=True) if rows else [()] * len(self.names)
        return pd.DataFrame(
            {n: pd.Series(c, dtype=object) for n, c in zip(self.names, columns, strict=True)}
        )


class ProcessLines(_Vectorized):
    def __init__(self, *args: Any, layouts: dict[str, str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.layouts = layouts

    def make_processor(self) -> RecordProcessor:
        return LineProcessor(*self.args, layouts=self.layouts, **self.kwargs)

    def eval(self, path, line):
        process = self.processor.process_line
        return self.frame([process(p, data) for p, data in zip(path, line, strict=True)])


class ProcessMessages(_Vectorized):
    def make_processor(self) -> RecordProcessor:
        return RecordProcessor(*self.args, **self.kwargs)

    def eval(self, message, source_ts):
        process = self.processor.process_message
        missing = source_ts.isna().to_numpy()
        stamps = source_ts.to_numpy(dtype="datetime64[ms]", na_value=None).astype("int64")
        outs = [
            process(m, None if gone else int(ms))
            for m, ms, gone in zip(message, stamps, missing, strict=True)
        ]
        known = stamps[~missing]
        if len(known):
            self.metrics.source_latency(int(known[-1]))
        return self.frame(outs)


def as_pandas_udf(function: _Vectorized, schema: DomainSchema):
    fields = [
        DataTypes.FIELD(n, t)
        for n, t in zip(output_names(schema), output_types(schema), strict=True)
    ]
    return udf(function, result_type=DataTypes.ROW(fields), func_type="pandas")
