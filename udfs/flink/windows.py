"""The PyFlink side of the k-anonymity windows: the JVM collects each window's records per
group key (STREAMING: udfs/jvm KAnonymityWindows; BATCH: ARRAY_AGG); when a window closes, this
function is called once per window and key with its records and returns what
udfs.anonymity.windows.plan_window decides, which udfs/jvm ApplyRelease applies in the JVM."""

from __future__ import annotations

import orjson
from pyflink.table import DataTypes
from pyflink.table.udf import ScalarFunction, udf

from udfs.anonymity.hierarchies import hierarchies_from_config
from udfs.anonymity.release import k_of
from udfs.anonymity.windows import plan_window

SKIPPED = -2  # an empty item: no record (udfs/jvm ApplyRelease)


class ReleasePlan(ScalarFunction):
    """A window's records of one key (their quasi-identifiers) → the release plan
    that udfs/jvm ApplyRelease (`apply_release`) applies to them: what udfs.anonymity.windows
    plan_window decides over their quasi-identifiers. The records stay in the JVM; only this
    plan comes back (before, every record came back as a row of its own: at a window close of
    ~30,000 records that held the Python worker, and the alerts behind it, for over a second)."""

    def __init__(self, anonymity: dict, columns: list[str]):
        self.anonymity = anonymity
        self.columns = columns

    def open(self, function_context) -> None:
        self.hierarchies = hierarchies_from_config(self.anonymity)
        self.ladder = self.anonymity["stream_ladder"]
        self.k = k_of(self.anonymity)
        self.qis = list(self.ladder[0])
        self.positions = qi_positions(self.anonymity, self.columns)  # as project_items took them
        group = function_context.get_metric_group().add_group("compliance")
        self.released = group.counter("released")
        self.suppressed = group.counter("suppressed")
        self.groups_released = group.counter("kanonymity_groups_released")

    def eval(self, items: list[str]) -> str:
        """items: each record's quasi-identifiers (`project_items`: its columns at
        self.positions, a JSON array), empty for no record."""
        records = [orjson.loads(item) if item else None for item in items]
        values = [r for r in records if r is not None]
        plan = plan_window(values, self.qis, self.hierarchies, self.ladder, self.k)
        decided = iter(plan.at)
        at = [next(decided) if r is not None else SKIPPED for r in records]
        released = sum(1 for g in plan.at if g >= 0)
        self.released.inc(released)
        self.suppressed.inc(len(plan.at) - released)
        self.groups_released.inc(len(plan.groups))
        labels = [label for _rung, key in plan.groups for label in key]
        head = [self.positions, ",".join(map(str, at))]
        return orjson.dumps(head + labels).decode()


def qi_positions(anonymity: dict, columns: list[str]) -> str:
    """The quasi-identifiers' positions in a packed record, as project_items takes them."""
    index = {name: i for i, name in enumerate(columns)}
    return ",".join(str(index[q]) for q in anonymity["stream_ladder"][0])


def release_plan_udf(anonymity: dict, columns: list[str]):
    return udf(
        ReleasePlan(anonymity, columns),
        input_types=[DataTypes.ARRAY(DataTypes.STRING())],
        result_type=DataTypes.STRING(),
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
