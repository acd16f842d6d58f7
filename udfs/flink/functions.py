"""PyFlink table functions around udfs.pipeline: built once per worker in open(), one call per
line or message, many rows out (the record, its violations, or its quarantine entry)."""

from __future__ import annotations

import gc
import time
from datetime import UTC, datetime
from typing import Any

from pyflink.common import Row
from pyflink.table import DataTypes
from pyflink.table.udf import TableFunction, udtf

from udfs.pipeline import (
    ALERT_AT,
    EVENT_MS_AT,
    VIOLATION_FIELDS,
    VIOLATIONS_AT,
    LineProcessor,
    RecordProcessor,
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

    def count(self, rows: list[tuple]) -> None:
        if not rows:
            return
        self.records_in.inc()
        for row in rows:
            if row[0] == "record":
                for regulation, _field in {(v[1], v[2]) for v in row[VIOLATIONS_AT]}:
                    counter = self.violations.get(regulation)
                    if counter is not None:
                        counter.inc()
                if row[ALERT_AT] is not None:
                    self.alerts.inc()
                if row[EVENT_MS_AT]:
                    self.lag_ms = int(time.time() * 1000) - int(row[EVENT_MS_AT])
            elif row[0] == "quarantine":
                self.quarantined.inc()

    def source_latency(self, source_ms: int) -> None:
        self.latency_ms = int(time.time() * 1000) - source_ms


VIOLATIONS_TYPE = DataTypes.ARRAY(
    DataTypes.ROW([DataTypes.FIELD(n, DataTypes.STRING()) for n in VIOLATION_FIELDS])
)


def output_types(schema: DomainSchema) -> list:
    return [
        VIOLATIONS_TYPE if name == "violations" else DataTypes.STRING()
        for name in output_names(schema)
    ]


def violation_rows_sql(processed: str = "processed") -> str:
    """One row per violation (record_id, event_date, VIOLATION_FIELDS), exploded in the JVM."""
    fields = [f"`{n}`" for n in VIOLATION_FIELDS]
    return (
        f"SELECT p.record_id, p.event_date, {', '.join('V.' + f for f in fields)} "
        f"FROM {processed} AS p CROSS JOIN UNNEST(p.violations) AS V({', '.join(fields)}) "
        "WHERE p.kind = 'record'"
    )


class _Base(TableFunction):
    def __init__(self, schema: DomainSchema, rules_config: dict[str, Any], as_of: datetime,
                 key_secret: bytes, throwaway_key: bool = False,
                 alert_min_severity: str | None = None, window_keys: bool = False):  # fmt: skip
        self.args = (schema, rules_config, as_of, key_secret, throwaway_key, alert_min_severity,
                     window_keys)  # fmt: skip
        self.processor: RecordProcessor | None = None

    def open(self, function_context) -> None:
        # Many short-lived tuples per record: a less eager young-generation collector helps.
        gc.set_threshold(50_000, 50, 100)
        self.metrics = ComplianceMetrics(function_context.get_metric_group())

    def emit(self, rows: list[tuple]):
        self.metrics.count(rows)
        for row in rows:
            found = row[VIOLATIONS_AT]
            if found:
                row = list(row)
                row[VIOLATIONS_AT] = [Row(*v) for v in found]
            yield Row(*row)


class ProcessLine(_Base):
    def __init__(self, *args: Any, layouts: dict[str, str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.layouts = layouts

    def open(self, function_context) -> None:
        super().open(function_context)
        self.processor = LineProcessor(*self.args, layouts=self.layouts)

    def eval(self, path: str, line: bytes):
        yield from self.emit(self.processor.process_line(path, line))


class ProcessMessage(_Base):
    def open(self, function_context) -> None:
        super().open(function_context)
        self.processor = RecordProcessor(*self.args)

    def eval(self, message: bytes, source_ts: datetime | None = None):
        source_ms = None
        if source_ts is not None:
            aware = source_ts if source_ts.tzinfo else source_ts.replace(tzinfo=UTC)
            source_ms = int(aware.timestamp() * 1000)
        rows = self.processor.process_message(message, source_ms)
        if source_ms is not None:
            self.metrics.source_latency(source_ms)
        yield from self.emit(rows)


def as_udtf(function: _Base, schema: DomainSchema):
    return udtf(function, result_types=output_types(schema))
