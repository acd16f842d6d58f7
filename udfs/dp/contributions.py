"""Contribution bounding, column-wise (pyarrow + numpy): each person's records as (window,
person, group) pairs with their record count and clamped sum; pairs of parts of the input merged;
then each person's contribution cut to the aggregate's bounds — at most `max_records` records in
one group and `max_groups` groups per window — and summed per (window, group). What the noise
is scaled to is what this leaves: one person changes a count by at most max_records in at most
max_groups groups, a sum by max_records × max(|low|, |high|) in each."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udfs.anonymity.frequencies import SEPARATOR, as_text, generalize_column
from udfs.anonymity.hierarchies import Hierarchy
from udfs.dp.spec import Aggregate

PAIRS = pa.schema([("window", pa.string()), ("person", pa.string()), ("group", pa.string()),
                   ("n", pa.int64()), ("s", pa.float64())])  # fmt: skip
GROUPS = pa.schema([("window", pa.string()), ("group", pa.string()), ("count", pa.int64()),
                    ("sum", pa.float64())])  # fmt: skip


def group_key(table: pa.Table, aggregate: Aggregate, hierarchies: dict[str, Hierarchy]) -> pa.Array:
    """Each row's group: its group-by values generalized to their levels, joined by SEPARATOR."""
    parts = [
        as_text(table.column(c)) if level is None
        else generalize_column(table.column(c), hierarchies[c], level)
        for c, level in aggregate.group_by
    ]  # fmt: skip
    return parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, SEPARATOR)


def clamped(values: pa.ChunkedArray | pa.Array, bounds: tuple[float, float]) -> np.ndarray:
    """Each value as a number in [low, high]; a missing or unreadable one counts as 0, clamped."""
    text = pc.utf8_trim_whitespace(as_text(values))
    numbers = np.zeros(len(text))
    readable = pc.match_substring_regex(text, r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
    mask = readable.to_numpy(zero_copy_only=False)
    if mask.any():
        numbers[mask] = pc.cast(text.filter(readable), pa.float64()).to_numpy()
    return np.clip(numbers, bounds[0], bounds[1])


def pairs(
    table: pa.Table, aggregate: Aggregate, hierarchies: dict[str, Hierarchy], person: str,
    window: pa.Array | str, counted: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[pa.Table, int]:  # fmt: skip
    """Records (the domain's columns as text) as pairs: their count and clamped sum per (window,
    person, group); and how many records were left out for want of a person. `counted`: each
    row's record count and clamped sum when the rows are already counted (the streaming job's
    SQL counts per person and raw values before the Python call)."""
    who = as_text(table.column(person))
    known = pc.not_equal(who, "")
    n = table.num_rows
    windows = pa.repeat(pa.scalar(window), n) if isinstance(window, str) else window
    if counted is None:
        sums = (clamped(table.column(aggregate.column), aggregate.bounds)
                if aggregate.column else np.zeros(n))  # fmt: skip
        counted = (np.ones(n, np.int64), sums)
    rows = pa.table(
        {"window": windows, "person": who, "group": group_key(table, aggregate, hierarchies),
         "n": pa.array(counted[0], pa.int64()), "s": pa.array(counted[1], pa.float64())}
    ).filter(known)  # fmt: skip
    left_out = int(np.sum(counted[0])) - int(pc.sum(rows.column("n")).as_py() or 0)
    return merge_pairs([rows]), left_out


def merge_pairs(tables: list[pa.Table]) -> pa.Table:
    """Pairs of parts of the input (splits, bundles) as the pairs of the whole."""
    tables = [t.select(PAIRS.names).cast(PAIRS) for t in tables if t.num_rows]
    if not tables:
        return PAIRS.empty_table()
    merged = pa.concat_tables(tables).group_by(["window", "person", "group"], use_threads=False)
    merged = merged.aggregate([("n", "sum"), ("s", "sum")])
    return merged.rename_columns(["window", "person", "group", "n", "s"]).select(PAIRS.names)


def bound(
    pairs_table: pa.Table, aggregate: Aggregate, rng: np.random.Generator | None = None
) -> pa.Table:
    """Each person's pairs cut to the bounds, then summed per (window, group). Which of a
    person's groups are kept, when there are more than max_groups, is a random choice; a pair
    with more than max_records records keeps max_records of them (its sum scaled alike)."""
    if pairs_table.num_rows == 0:
        return GROUPS.empty_table()
    rng = rng or np.random.default_rng()
    n = pairs_table.column("n").to_numpy()
    kept_n = np.minimum(n, aggregate.max_records)
    kept_s = pairs_table.column("s").to_numpy() * (kept_n / n)
    windows = pairs_table.column("window")
    person = pairs_table.column("person")
    if pc.count_distinct(windows).as_py() > 1:
        person = pc.binary_join_element_wise(windows, person, SEPARATOR)
    codes = pc.dictionary_encode(person.combine_chunks()).indices.to_numpy()
    groups_of = np.bincount(codes)  # each person's groups in the window
    keep = np.ones(len(codes), dtype=bool)
    over = np.flatnonzero(groups_of[codes] > aggregate.max_groups)
    if len(over):  # only those with more groups than the bound are cut, at random
        sub = codes[over]
        order = np.lexsort((rng.random(len(sub)), sub))  # by person, at random within
        sorted_codes = sub[order]
        starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
        run_start = np.repeat(starts, np.diff(np.r_[starts, len(sub)]))
        keep[over[order[np.arange(len(sub)) - run_start >= aggregate.max_groups]]] = False
    kept = pa.table({"window": pairs_table.column("window"), "group": pairs_table.column("group"),
                     "count": pa.array(kept_n), "sum": pa.array(kept_s)}).filter(pa.array(keep))  # fmt: skip
    summed = kept.group_by(["window", "group"], use_threads=False).aggregate(
        [("count", "sum"), ("sum", "sum")]
    )
    return summed.rename_columns(["window", "group", "count", "sum"]).select(GROUPS.names)
