"""The PyFlink side of the streaming k-anonymity windows: Flink SQL collects each tumbling
event-time window's records per group key in the JVM (TUMBLE + ARRAY_AGG); when the watermark
passes the window's end, this table function is called once per window and key and releases
what udfs.anonymity.windows.close_window decides."""

from __future__ import annotations

from typing import Any

import orjson
from pyflink.common import Row
from pyflink.table import DataTypes
from pyflink.table.udf import TableFunction, udtf

from udfs.anonymity.hierarchies import hierarchies_from_config
from udfs.anonymity.release import k_of
from udfs.anonymity.windows import close_window

LAKE, SUPPRESSED = "lake", "suppressed"


class ReleaseWindow(TableFunction):
    """items: the window's records of one key, each a JSON array of `columns`."""

    def __init__(self, anonymity: dict, columns: list[str]):
        self.anonymity = anonymity
        self.columns = columns

    def open(self, function_context) -> None:
        self.hierarchies = hierarchies_from_config(self.anonymity)
        self.ladder = self.anonymity["stream_ladder"]
        self.k = k_of(self.anonymity)
        self.index = {name: i for i, name in enumerate(self.columns)}
        self.qis = [(q, self.index[q]) for q in self.ladder[0]]
        group = function_context.get_metric_group().add_group("compliance")
        self.released = group.counter("released")
        self.suppressed = group.counter("suppressed")
        self.groups_released = group.counter("kanonymity_groups_released")

    def eval(self, items: list[str]):
        records = [orjson.loads(item) for item in items if item]
        result = close_window(
            [({q: r[i] for q, i in self.qis}, r) for r in records],
            self.hierarchies,
            self.ladder,
            self.k,
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
        ReleaseWindow(anonymity, columns),
        input_types=[DataTypes.ARRAY(DataTypes.STRING())],
        result_types=[DataTypes.STRING()] * (len(columns) + 1),
    )


def kanonymity_windows(t_env, records, window_ms: int):
    """STREAMING: the k-anonymity windows in the JVM (udfs/jvm, KAnonymityWindows) over
    `records` (group_key, packed, record_id, event_date, rowtime: a time attribute); a table of
    (kind, group_key, items, record_id, event_date) rows, kind "window" or "late"."""
    from pyflink.datastream import DataStream
    from pyflink.java_gateway import get_gateway

    from jobs.runtime import internal_stream

    windows = get_gateway().jvm.io.flinkcompliance.udfs.KAnonymityWindows
    stream = internal_stream(t_env, records)
    return t_env.from_data_stream(DataStream(windows.apply(stream, window_ms)))
