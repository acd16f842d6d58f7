"""PyFlink table functions around udfs.pipeline: built once per worker in open(), one call per
line or message, many rows out (the record, its violations, or its quarantine entry)."""

from __future__ import annotations

import gc
from datetime import datetime
from typing import Any

from pyflink.common import Row
from pyflink.table import DataTypes
from pyflink.table.udf import TableFunction, udtf

from udfs.pipeline import LineProcessor, RecordProcessor, output_names
from udfs.schema import DomainSchema


def output_types(schema: DomainSchema) -> list:
    return [DataTypes.STRING() for _ in output_names(schema)]


class _Base(TableFunction):
    def __init__(self, schema: DomainSchema, rules_config: dict[str, Any], as_of: datetime,
                 key_secret: bytes, throwaway_key: bool = False,
                 alert_min_severity: str | None = None):  # fmt: skip
        self.args = (schema, rules_config, as_of, key_secret, throwaway_key, alert_min_severity)
        self.processor: RecordProcessor | None = None

    def open(self, function_context) -> None:
        # Many short-lived tuples per record: a less eager young-generation collector helps.
        gc.set_threshold(50_000, 50, 100)


class ProcessLine(_Base):
    def __init__(self, *args: Any, layouts: dict[str, str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.layouts = layouts

    def open(self, function_context) -> None:
        super().open(function_context)
        self.processor = LineProcessor(*self.args, layouts=self.layouts)

    def eval(self, path: str, line: bytes):
        for row in self.processor.process_line(path, line):
            yield Row(*row)


class ProcessMessage(_Base):
    def open(self, function_context) -> None:
        super().open(function_context)
        self.processor = RecordProcessor(*self.args)

    def eval(self, message: bytes):
        for row in self.processor.process_message(message):
            yield Row(*row)


def as_udtf(function: _Base, schema: DomainSchema):
    return udtf(function, result_types=output_types(schema))
