"""The batch job's side of the differentially private aggregates: each split's pairs (written
by its worker beside the frequency tables, one `aggregate` column naming whose they are), and the
driver's release from the splits' pairs — over the whole input, or per day of event time."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from udfs.dp.contributions import PAIRS, merge_pairs, pairs
from udfs.dp.publish import WHOLE_INPUT, Released, day_window, days_window, publish_rows
from udfs.dp.spec import DPConfig

AGGREGATE = "aggregate"


def split_pairs(staged: pa.Table, config: DPConfig) -> tuple[pa.Table, int]:
    """A batch of staged records as pairs per aggregate, by day of event time; and how many
    records had no person (left out of every aggregate)."""
    parts, without = [], 0
    for aggregate in config.aggregates:
        table, without = pairs(staged, aggregate, config.hierarchies, config.person,
                               pc.fill_null(staged.column("event_date"), ""))  # fmt: skip
        parts.append(table.append_column(AGGREGATE, pa.repeat(pa.scalar(aggregate.name),
                                                              table.num_rows)))  # fmt: skip
    return pa.concat_tables(parts), without


def merge_split_pairs(tables: list[pa.Table], config: DPConfig) -> pa.Table:
    """Pairs of batches (or splits) as those of the whole, per aggregate."""
    parts = []
    for aggregate in config.aggregates:
        mine = [t.filter(pc.equal(t.column(AGGREGATE), aggregate.name)) for t in tables]
        merged = merge_pairs(mine)
        parts.append(merged.append_column(AGGREGATE, pa.repeat(pa.scalar(aggregate.name),
                                                               merged.num_rows)))  # fmt: skip
    return pa.concat_tables(parts)


def release_from_files(paths: list[str], config: DPConfig, job_id: str) -> Released:
    """The release over the splits' pairs files: their days → one window over the input
    (batch_window: input) or a window per day. Records without an event date take no part."""
    tables = [pq.read_table(p) for p in paths]
    staged = pa.concat_tables(tables) if tables else merge_split_pairs([], config)
    staged = staged.filter(pc.not_equal(staged.column("window"), ""))
    days = sorted(pc.unique(staged.column("window")).to_pylist())
    by_aggregate = {}
    for aggregate in config.aggregates:  # one group-by per aggregate over every split's pairs
        mine = staged.filter(pc.equal(staged.column(AGGREGATE), aggregate.name)).select(PAIRS.names)
        if config.batch_window == WHOLE_INPUT:
            mine = mine.set_column(0, "window", pa.repeat(pa.scalar(WHOLE_INPUT), mine.num_rows))
        by_aggregate[aggregate.name] = merge_pairs([mine])
    if not days:
        windows = {}
    elif config.batch_window == WHOLE_INPUT:
        windows = {WHOLE_INPUT: days_window(days)}
    else:
        windows = {day: day_window(day) for day in days}
    return publish_rows(by_aggregate, windows, config, job_id)
