"""The PyFlink side of the streaming job's differentially private aggregates: Flink SQL counts
each person's records per window and raw group values (udfs.flink.stream_sql.dp_pairs_sql);
when the watermark passes a window's end, this table function is called once per window and
aggregate with those counts, bounds them, adds OpenDP's noise, records the spending in the ledger
and only then emits the published rows (nothing, with a metric and a log line, when the budget
of a day the window covers is spent)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyflink.common import Row
from pyflink.table import DataTypes
from pyflink.table.udf import TableFunction, udtf

from udfs.anonymity.frequencies import SEPARATOR
from udfs.dp.budget import BudgetExceeded
from udfs.dp.contributions import pairs
from udfs.dp.publish import DP_ROWS, Window, publish_rows
from udfs.dp.spec import DPConfig

log = logging.getLogger(__name__)
NAMES = DP_ROWS.names


def window_moment(text: str) -> datetime:
    """Flink's TIMESTAMP text ('2026-03-01 10:00:00' or with fractions), in UTC."""
    return datetime.fromisoformat(text.strip().replace(" ", "T")).replace(tzinfo=UTC)


def items_table(items: list[str], columns: list[str]) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """The window's items (columns…, n, s joined by SEPARATOR) as columns, n and s."""
    parts = pc.split_pattern(pa.array([i for i in items if i], pa.string()), SEPARATOR)
    width = len(columns) + 2
    flat = pc.list_flatten(parts)
    at = np.arange(len(parts)) * width
    cells = [flat.take(pa.array(at + i)) for i in range(width)]
    table = pa.table(dict(zip(columns, cells[: len(columns)], strict=True)))
    n = pc.cast(cells[-2], pa.int64()).to_numpy()
    s = pc.cast(cells[-1], pa.float64()).to_numpy()
    return table, n, s


class ReleaseDP(TableFunction):
    def __init__(self, config: DPConfig, aggregate: str, job_id: str):
        self.config = replace(config, aggregates=(config.aggregate(aggregate),))
        self.job_id = job_id

    def open(self, function_context) -> None:
        from connectors import audit

        self.aggregate = self.config.aggregates[0]
        self.columns = [self.config.person, *self.aggregate.group_columns]
        self.conn = audit.connect()
        group = function_context.get_metric_group().add_group("compliance")
        self.published = group.counter("dp_groups_published")
        self.refused = group.counter("dp_windows_refused")

    def close(self) -> None:
        self.conn.close()

    def eval(self, window_start: str, window_end: str, items: list[str]):
        from connectors import ledger

        table, n, s = items_table(items, self.columns)
        label = window_start
        counted, _ = pairs(table, self.aggregate, self.config.hierarchies, self.config.person,
                           label, counted=(n, s))  # fmt: skip
        window = Window(window_moment(window_start), window_moment(window_end))
        released = publish_rows({self.aggregate.name: counted}, {label: window}, self.config,
                                self.job_id)  # fmt: skip
        try:
            ledger.spend(self.conn, self.config.domain, self.job_id, released.spends,
                         self.config.budget, released.mechanisms, self.config.source)  # fmt: skip
        except BudgetExceeded as err:
            self.refused.inc()
            log.warning("%s (%s, window %s)", err, self.aggregate.name, window_start)
            return
        self.published.inc(released.rows.num_rows)
        for row in released.rows.to_pylist():
            yield Row(*(row[name] for name in NAMES))


def release_dp_udtf(config: DPConfig, aggregate: str, job_id: str):
    types = {pa.string(): DataTypes.STRING(), pa.float64(): DataTypes.DOUBLE()}
    return udtf(
        ReleaseDP(config, aggregate, job_id),
        input_types=[DataTypes.STRING(), DataTypes.STRING(), DataTypes.ARRAY(DataTypes.STRING())],
        result_types=[types[f.type] for f in DP_ROWS],
    )
