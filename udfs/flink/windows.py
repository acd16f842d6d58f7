"""The PyFlink wrapper around udfs.anonymity.windows: one call per closed event-time window and
group key (the window itself is Flink SQL's TUMBLE in the JVM), releasing what close_window
decides. Records that fall short at every rung are suppressed when their window closes: the
maximum delay is the window length."""

from __future__ import annotations

import json
from typing import Any

from pyflink.common import Row
from pyflink.table import DataTypes
from pyflink.table.udf import TableFunction, udtf

from udfs.anonymity.hierarchies import hierarchies_from_config
from udfs.anonymity.windows import close_window

LAKE, SUPPRESSED = "lake", "suppressed"
SEPARATOR = "\x01"  # between records in one window's LISTAGG; JSON always escapes it


class ReleaseWindow(TableFunction):
    def __init__(self, anonymity: dict, columns: list[str]):
        self.anonymity = anonymity
        self.columns = columns

    def open(self, function_context) -> None:
        self.hierarchies = hierarchies_from_config(self.anonymity)
        self.ladder = self.anonymity["stream_ladder"]
        self.k = int(self.anonymity.get("k", 5))
        self.index = {name: i for i, name in enumerate(self.columns)}
        self.qis = [(q, self.index[q]) for q in self.ladder[0]]
        group = function_context.get_metric_group().add_group("compliance")
        self.released = group.counter("released")
        self.suppressed = group.counter("suppressed")
        self.groups_released = group.counter("kanonymity_groups_released")

    def eval(self, items: str):
        records = [json.loads(item) for item in items.split(SEPARATOR) if item]
        pending = [({q: r[i] for q, i in self.qis}, r, 0) for r in records]
        result = close_window(
            pending, self.hierarchies, self.ladder, self.k, now_ms=0, max_delay_ms=0
        )
        self.released.inc(len(result.released))
        self.suppressed.inc(len(result.suppressed))
        self.groups_released.inc(
            len({(r.rung, tuple(r.generalized.values())) for r in result.released})
        )
        for released in result.released:
            row: list[Any] = list(released.record)
            for q, text in released.generalized.items():
                row[self.index[q]] = text
            yield Row(LAKE, *row)
        for record in result.suppressed:
            yield Row(SUPPRESSED, *record)


def release_window_udtf(anonymity: dict, columns: list[str]):
    return udtf(
        ReleaseWindow(anonymity, columns), result_types=[DataTypes.STRING()] * (len(columns) + 1)
    )
