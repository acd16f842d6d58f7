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

from udfs.pipeline import OUTPUT_COLUMNS, LineProcessor, RecordProcessor, output_names
from udfs.schema import DomainSchema

_REGULATION, _FIELD, _EVENT_MS = (
    OUTPUT_COLUMNS.index(c) for c in ("regulation", "field", "event_ms")
)


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
        seen = set()
        for row in rows:
            kind = row[0]
            if kind == "violation":
                key = (row[_REGULATION], row[_FIELD])
                if key not in seen:
                    seen.add(key)
                    counter = self.violations.get(row[_REGULATION])
                    if counter is not None:
                        counter.inc()
            elif kind == "record" and row[_EVENT_MS]:
                self.lag_ms = int(time.time() * 1000) - int(row[_EVENT_MS])
            elif kind == "quarantine":
                self.quarantined.inc()
            elif kind == "alert":
                self.alerts.inc()

    def source_latency(self, source_ms: int) -> None:
        self.latency_ms = int(time.time() * 1000) - source_ms


def output_types(schema: DomainSchema) -> list:
    return [DataTypes.STRING() for _ in output_names(schema)]


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
