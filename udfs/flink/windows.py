"""The PyFlink wrapper around udfs.anonymity.windows: a KeyedProcessFunction that buffers records
in keyed state and, on each event-time timer, releases what fire_due decides."""

from __future__ import annotations

from typing import Any

from pyflink.common import Row
from pyflink.common.typeinfo import Types
from pyflink.datastream import KeyedProcessFunction
from pyflink.datastream.state import ListStateDescriptor

from udfs.anonymity.hierarchies import hierarchies_from_config
from udfs.anonymity.windows import Pending, fire_due, generalize, window_end

LAKE, SUPPRESSED = "lake", "suppressed"


class GroupKey:
    """Key of a record: its quasi-identifiers at the ladder's last rung. Hierarchies nest, so
    records with different keys never meet at a lower rung: keyed processing is exact."""

    def __init__(self, anonymity: dict, positions: dict[str, int]):
        self.anonymity = anonymity
        self.positions = positions
        self.hierarchies = None

    def __call__(self, value: Any) -> str:
        if self.hierarchies is None:
            self.hierarchies = hierarchies_from_config(self.anonymity)
        top = self.anonymity["stream_ladder"][-1]
        values = {q: value[p] for q, p in self.positions.items()}
        return "|".join(generalize(values, self.hierarchies, top).values())


class KAnonymityWindows(KeyedProcessFunction):
    def __init__(self, anonymity: dict, columns: list[str], window_ms: int, max_delay_ms: int):
        self.anonymity = anonymity
        self.columns = columns
        self.window_ms = window_ms
        self.max_delay_ms = max_delay_ms

    def open(self, runtime_context) -> None:
        self.pending = runtime_context.get_list_state(
            ListStateDescriptor("pending", Types.PICKLED_BYTE_ARRAY())
        )
        self.hierarchies = hierarchies_from_config(self.anonymity)
        self.ladder = self.anonymity["stream_ladder"]
        self.k = int(self.anonymity.get("k", 5))
        self.qis = list(self.ladder[0])
        self.index = {name: i for i, name in enumerate(self.columns)}
        self.event_ms = self.index["event_ms"]
        group = runtime_context.get_metrics_group().add_group("compliance")
        self.released = group.counter("released")
        self.suppressed = group.counter("suppressed")
        self.groups_released = group.counter("kanonymity_groups_released")

    def process_element(self, value: Row, ctx: KeyedProcessFunction.Context):
        event_ms = int(value[self.event_ms])
        due = window_end(event_ms, self.window_ms)
        values = {q: value[self.index[q]] for q in self.qis}
        # Only our columns: the stream may carry Flink's rowtime after them.
        self.pending.add(Pending(values, tuple(value)[: len(self.columns)], event_ms, due))
        ctx.timer_service().register_event_time_timer(due - 1)

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext):
        pending = list(self.pending.get() or [])
        released, suppressed, later = fire_due(
            pending,
            timestamp + 1,
            self.window_ms,
            self.hierarchies,
            self.ladder,
            self.k,
            self.max_delay_ms,
        )
        self.pending.update(later)
        for item in {p.due_ms for p in later}:
            ctx.timer_service().register_event_time_timer(item - 1)
        self.released.inc(len(released))
        self.suppressed.inc(len(suppressed))
        self.groups_released.inc(len({(r.rung, tuple(r.generalized.values())) for r in released}))
        for r in released:
            row = list(r.record)
            for q, text in r.generalized.items():
                row[self.index[q]] = text
            yield Row(LAKE, *row)
        for record in suppressed:
            yield Row(SUPPRESSED, *record)
