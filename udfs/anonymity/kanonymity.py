"""Whole-input k-anonymity: pick the generalization level of each quasi-identifier with the least
information loss such that every released group has at least k records (and, optionally, l
distinct sensitive values) and at most `max_suppression` of the records are suppressed.

Information loss is the normalized certainty penalty (NCP, Xu et al. 2006) with data-driven
leaf counts: a value generalized to a node that covers c of the n distinct values seen costs
(c - 1) / (n - 1); a suppressed record costs 1 per quasi-identifier. The loss of a release is
the mean over records and quasi-identifiers, in [0, 1].
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from udfs.anonymity.hierarchies import Hierarchy


@dataclass
class QiColumn:
    """One quasi-identifier: a code per row (its distinct value), and per level small arrays
    over the distinct values — what the level's code, label and penalty of each value are. A
    level's per-row arrays are gathered when a lattice node asks (nothing per row per level
    is kept: memory is the codes alone)."""

    name: str
    values: np.ndarray  # int32 code per row: the index of its distinct value
    maps: list[np.ndarray]  # per level: distinct value → generalized code
    labels: list[list[str]]  # per level: generalized text per code
    value_penalty: list[np.ndarray]  # per level: NCP of each distinct value
    penalty_total: list[float]  # per level: the sum of the rows' penalty (weighted)
    floor: int = 0  # the lowest level asked of it: a roll-up's rows are codes at this level
    _codes: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def levels(self) -> int:
        return len(self.maps)

    def codes(self, level: int) -> np.ndarray:
        """The generalized code per row at `level` (int32; kept once asked: the search asks
        for each level many times)."""
        if level < self.floor:
            raise ValueError(f"{self.name}: level {level} is below this roll-up's {self.floor}")
        found = self._codes.get(level)
        if found is None:
            found = self._codes[level] = self.maps[level][self.values]
        return found

    def nests(self, low: int, high: int) -> bool:
        """Whether each value's code at `high` follows from its code at `low` (values that
        share a group at `low` share one at `high`): then a roll-up at `low` can be judged at
        `high`. True of every hierarchy shipped; checked, not assumed."""
        if high < low or low < self.floor:
            return False
        return bool(np.array_equal(self.following(low, high)[self.maps[low]], self.maps[high]))

    def following(self, low: int, high: int) -> np.ndarray:
        """Per code at `low`, the code at `high` of one of its values (of all of them where
        the levels nest)."""
        found = np.zeros(len(self.labels[low]), dtype=np.int32)
        found[self.maps[low]] = self.maps[high]
        return found

    def rolled(self, level: int, rows: np.ndarray) -> QiColumn:
        """This column over a roll-up at `level` whose rows are `rows` of this table: its
        values are the codes at `level`; each higher level's code and penalty follow from it."""
        width = len(self.labels[level])
        maps: list[np.ndarray] = []
        penalties: list[np.ndarray] = []
        for high in range(self.levels):
            if high < level:
                maps.append(np.zeros(0, dtype=np.int32))
                penalties.append(np.zeros(0))
                continue
            penalty = np.zeros(width)
            penalty[self.maps[level]] = self.value_penalty[high]  # one per generalized value
            maps.append(self.following(level, high))
            penalties.append(penalty)
        return QiColumn(self.name, self.codes(level)[rows], maps, self.labels, penalties,
                        self.penalty_total, level)  # fmt: skip

    def taken(self, rows: np.ndarray) -> QiColumn:
        """This column over the given rows of its table (a sample, merged or reordered rows):
        the same distinct values and levels."""
        return QiColumn(self.name, self.values[rows], self.maps, self.labels, self.value_penalty,
                        self.penalty_total, self.floor)  # fmt: skip

    def penalty(self, level: int, rows: np.ndarray) -> np.ndarray:
        """The NCP of the given rows at `level` (per record; not weighted)."""
        return self.value_penalty[level][self.values[rows]]


@dataclass(frozen=True)
class Parts:
    """A table's rows in parts no group crosses: at a node whose level in `column` nests in
    `level` (QiColumn.nests), every group's rows lie within one part. The search then counts a
    node part by part — smaller hash tables, and a node over budget stops counting once its
    parts so far suppress more than the budget allows (`_judge`)."""

    column: int
    level: int
    starts: np.ndarray  # the first row of each part, then the table's rows

    def ranges(self, table: QiTable, node: Sequence[int]) -> list[slice] | None:
        """The parts as row slices, if the node's groups keep within them."""
        if table.rows < PART_ROWS or not table.columns[self.column].nests(
            node[self.column], self.level
        ):
            return None
        return [slice(int(a), int(b)) for a, b in itertools.pairwise(self.starts)]


@dataclass
class QiTable:
    columns: list[QiColumn]
    rows: int  # table rows: records, or distinct combinations of a frequency table
    sensitive: np.ndarray | None = None  # int code per row
    weights: np.ndarray | None = None  # records per row (a frequency table); None: one each
    parts: Parts | None = None  # rows in parts no group crosses at most nodes (`partitioned`)

    def __post_init__(self) -> None:
        if self.weights is not None and (len(self.weights) == 0 or self.weights.max() == 1):
            self.weights = None  # a row per record after all: count rows (faster)
        self.records = int(self.weights.sum()) if self.weights is not None else self.rows
        # The rows standing for more than one record (few, on most inputs): groups are counted
        # by rows, then these rows' extra records added (weighted counting is ~2x slower).
        self.heavy = None
        if self.weights is not None:
            rows = np.flatnonzero(self.weights > 1)
            if len(rows) * 4 < self.rows:  # else (a roll-up) weighted counting is cheaper
                self.heavy = (rows, (self.weights[rows] - 1).astype(np.float64))

    def count(self, mask: np.ndarray) -> int:
        """Records in the rows of `mask`."""
        return int(self.weights[mask].sum()) if self.weights is not None else int(mask.sum())

    def weighing(self, rows: slice) -> tuple[np.ndarray | None, tuple | None]:
        """The weights and heavy rows (`heavy`) of a slice of the rows, numbered within it."""
        if self.weights is None or rows == slice(None):
            return self.weights, self.heavy
        heavy = None
        if self.heavy is not None:
            at, extra = self.heavy
            first, last = np.searchsorted(at, [rows.start, rows.stop])
            heavy = (at[first:last] - rows.start, extra[first:last])
        return self.weights[rows], heavy


def factorize(column: Sequence[str | None]) -> tuple[list[str], np.ndarray]:
    """The distinct values (None as "") and an int64 code per record (hash-based, O(n))."""
    codes, uniques = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=False)
    distinct = ["" if v is None or v != v else str(v) for v in uniques]
    if len(set(distinct)) < len(distinct):  # None and "" are the same value here
        merged, remap = pd.factorize(np.asarray(distinct, dtype=object))
        return [str(v) for v in remap], merged[codes].astype(np.int64)
    return distinct, codes.astype(np.int64)


def qi_column(
    name: str, distinct: list[str], codes: np.ndarray, hierarchy: Hierarchy,
    weights: np.ndarray | None = None,
) -> QiColumn:  # fmt: skip
    """A quasi-identifier from its distinct values and a code per row (each value generalized
    once per level)."""
    spread = max(len(distinct) - 1, 1)
    per_value = records_per_value(codes, weights, len(distinct))
    maps, labels, penalties, totals = [], [], [], []
    for level in range(hierarchy.levels):
        generalized = [hierarchy.generalize(v, level) for v in distinct]
        gen_distinct, gen_inverse = np.unique(
            np.asarray(generalized, dtype=object), return_inverse=True
        )
        covers = np.bincount(gen_inverse, minlength=len(gen_distinct))
        penalty = (covers[gen_inverse] - 1) / spread
        maps.append(gen_inverse.astype(np.int32))
        labels.append([str(x) for x in gen_distinct])
        penalties.append(penalty)
        totals.append(float(penalty @ per_value))
    return QiColumn(name, codes.astype(np.int32), maps, labels, penalties, totals)


def records_per_value(codes: np.ndarray, weights: np.ndarray | None, width: int) -> np.ndarray:
    """The records of each code: rows counted, then the rows of weight above 1 (few, in a
    frequency table of near-unique combinations) add theirs — at 10M rows ~0.04 s against
    0.1-0.35 s for counting with float weights."""
    if weights is None:
        return np.bincount(codes, minlength=width)
    heavy = np.flatnonzero(weights != 1)
    if len(heavy) * 4 >= len(weights):
        return np.bincount(codes, weights=weights, minlength=width)
    extra = np.bincount(codes[heavy], weights=weights[heavy] - 1, minlength=width)
    return np.bincount(codes, minlength=width) + extra


def build_qi_table(
    values: dict[str, Sequence[str | None]],
    hierarchies: dict[str, Hierarchy],
    sensitive: Sequence[str | None] | None = None,
    weights: np.ndarray | None = None,
) -> QiTable:
    """Generalize each distinct value once per level; rows refer to them by code. With
    `weights`, each row stands for that many records (a frequency table's counts)."""
    columns = []
    rows = 0
    for name, column in values.items():
        distinct, inverse = factorize(column)
        rows = len(inverse)
        columns.append(qi_column(name, distinct, inverse, hierarchies[name], weights))
    sens = factorize(sensitive)[1] if sensitive is not None else None
    return QiTable(columns, rows, sens, weights)


def hash_groups(key: np.ndarray) -> np.ndarray:
    """Per row its distinct key's number, in order of first appearance, by hashing: Arrow's
    hash kernel (on random int64 keys, 10M rows and 90,000 to 3.3M groups, 25-45% faster than
    pandas' factorize; in the search at 10M records, 12.8 s against 13.5)."""
    return pc.dictionary_encode(pa.array(key)).indices.to_numpy()


MERGE_SHARE = 0.9  # merge_rows: more distinct rows than this share, and the table is kept
MERGE_SAMPLE_ROWS = 1_000_000  # merge_rows: larger tables estimate that share first
MERGE_SAMPLE_BITS = 6  # ... on the combinations whose hash is one of 2**6 values


def merge_rows(
    table: QiTable, share: float = MERGE_SHARE, sample_rows: int = MERGE_SAMPLE_ROWS
) -> QiTable:
    """The table with the rows of the same values (and sensitive value) merged into one
    weighted row: frequency tables of parts of the input, stacked, as the table of the whole —
    by hashing one integer per row built from the values' codes, not the values' text. Where
    more than `share` of the rows are distinct already, the table is returned as it is: the
    search decides the same over repeated rows (weighted), and merging a few would cost more
    than it saves (at 10M near-unique combinations: 1.9-2.2 s kept, 2.6-3.2 s merged). A table
    of `sample_rows` or more tells that from a sample first (`distinct_share`): at 10M rows
    ~0.2 s instead of ~2 s for the full count that would then be thrown away."""
    if table.rows == 0:
        return table
    codes = [(c.values, len(c.maps[0])) for c in table.columns]
    if table.sensitive is not None:
        codes.append((table.sensitive, int(table.sensitive.max()) + 1))
    if table.rows >= sample_rows and distinct_share(codes, table.rows) > share + 0.02:
        return table
    index, groups = dense_groups(packed_key(codes, table.rows))
    if groups > share * table.rows:
        return table
    rows, weights = one_row_per_group(index, groups, table.weights)
    columns = [c.taken(rows) for c in table.columns]
    sensitive = table.sensitive[rows] if table.sensitive is not None else None
    return QiTable(columns, groups, sensitive, weights)


def distinct_share(codes: list[tuple[np.ndarray, int]], rows: int) -> float:
    """The share of distinct rows, estimated on the rows of ~1/64 of the combinations, chosen
    by a hash of their codes: every row of a chosen combination is in the sample, so its share
    of distinct rows estimates the table's (sampling rows instead would see nearly every
    repeated combination once)."""
    mixed = np.zeros(rows, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for values, _ in codes:
            mixed ^= values.astype(np.uint64)
            mixed *= np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the top bits mix
    chosen = np.flatnonzero((mixed >> np.uint64(64 - MERGE_SAMPLE_BITS)) == 0)
    if len(chosen) == 0:
        return 1.0
    sample = [(values[chosen], width) for values, width in codes]
    return dense_groups(packed_key(sample, len(chosen)))[1] / len(chosen)


def packed_key(codes: Iterable[tuple[np.ndarray, int]], rows: int) -> np.ndarray:
    """One int64 per row from codes of the given widths (mixed radix), re-numbered densely by
    hashing whenever the next product could overflow."""
    key = np.zeros(rows, dtype=np.int64)
    bound = 1
    for values, width in codes:
        if bound * width >= 2**62:  # re-number densely before the product could overflow
            key = hash_groups(key).astype(np.int64)
            bound = int(key.max()) + 1 if len(key) else 1
        key *= width  # in place: this runs once per lattice node over every record
        key += values
        bound *= width
    return key


def one_row_per_group(
    index: np.ndarray, groups: int, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """For rows numbered by group: one row of each group (any: they share the codes) and the
    records of each group."""
    rows = np.zeros(groups, dtype=np.int64)
    rows[index] = np.arange(len(index))
    return rows, np.bincount(index, weights=weights, minlength=groups).astype(np.int64)


def group_keys(table: QiTable, levels: Sequence[int], rows: slice = slice(None)) -> np.ndarray:
    """One integer per record (of `rows`) naming its group under the given level vector: int32
    when every key fits (half the memory traffic of int64; this runs once per lattice node over
    every row), else int64."""
    widths = [len(c.labels[lv]) for c, lv in zip(table.columns, levels, strict=True)]
    count = len(range(table.rows)[rows])
    if int(np.prod(widths, dtype=object)) < 2**31:
        key = np.zeros(count, dtype=np.int32)
        for column, level, width in zip(table.columns, levels, widths, strict=True):
            key *= width
            key += column.codes(level)[rows]
        return key
    codes = (
        (c.codes(lv)[rows], width)
        for c, lv, width in zip(table.columns, levels, widths, strict=True)
    )
    return packed_key(codes, count)


def group_sizes(
    key: np.ndarray, weights: np.ndarray | None = None,
    heavy: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Per row a group index, and the records in each group: by counting when the key range is
    small, else by hashing (no sort: this runs once per lattice node). `heavy`: the rows of
    weight above 1 and their extra records (QiTable.heavy), to count rows and add those."""
    if len(key) == 0:
        return key, np.zeros(0, dtype=np.int64)
    bound = int(key.max()) + 1
    if bound > 4 * len(key) + 4096:
        key = hash_groups(key)
    if weights is None:
        return key, np.bincount(key)
    if heavy is None:
        return key, np.bincount(key, weights=weights).astype(np.int64)
    counts = np.bincount(key)
    rows, extra = heavy
    if len(rows):
        counts += np.bincount(key[rows], weights=extra, minlength=len(counts)).astype(np.int64)
    return key, counts


def dense_groups(key: np.ndarray) -> tuple[np.ndarray, int]:
    """Per row its group numbered from 0 without gaps, and the number of groups: by counting
    when the key range is small, else by hashing."""
    if len(key) == 0:
        return key.astype(np.int64), 0
    bound = int(key.max()) + 1
    if bound > 4 * len(key) + 4096:
        index = hash_groups(key)
        return index, int(index.max()) + 1
    present = np.bincount(key, minlength=bound) > 0
    number = np.cumsum(present, dtype=np.int32) - 1  # int32: the rows fit
    return number[key], int(number[-1]) + 1


def short_groups(
    table: QiTable, levels: Sequence[int], k: int, l_diverse: int | None,
    rows: slice = slice(None),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Per row (of `rows`) its group; per group whether it is smaller than k (or less than
    l-diverse) and its records."""
    inverse, counts = group_sizes(group_keys(table, levels, rows), *table.weighing(rows))
    short = counts < k
    if l_diverse and table.sensitive is not None:
        pairs = np.unique(
            inverse.astype(np.int64) * (int(table.sensitive.max()) + 1) + table.sensitive[rows]
        )
        distinct = np.bincount(pairs // (int(table.sensitive.max()) + 1), minlength=len(counts))
        short |= distinct < l_diverse
    return inverse, short, counts


def small_groups(
    table: QiTable, levels: Sequence[int], k: int, l_diverse: int | None
) -> np.ndarray:
    """Mask of rows whose group is smaller than k (or less than l-diverse)."""
    inverse, short, _ = short_groups(table, levels, k, l_diverse)
    return short[inverse]


def information_loss(
    table: QiTable, levels: Sequence[int], suppressed: np.ndarray, records: int | None = None
) -> float:
    """`records`: how many records `suppressed` holds, when known."""
    if table.rows == 0:
        return 0.0
    # The kept records' penalty is the total less the suppressed ones' (a few percent at most):
    # no copy of every record's penalty per lattice node.
    gone = np.flatnonzero(suppressed)
    weights = table.weights[gone] if table.weights is not None else np.ones(len(gone))
    total = sum(
        c.penalty_total[lv] - float(c.penalty(lv, gone) @ weights)
        for c, lv in zip(table.columns, levels, strict=True)
    )
    total += (table.count(suppressed) if records is None else records) * len(table.columns)
    return total / (table.records * len(table.columns))


@dataclass
class Decision:
    levels: dict[str, int]
    loss: float
    suppressed: int
    rows: int
    nodes_checked: int

    @property
    def suppression_rate(self) -> float:
        return self.suppressed / self.rows if self.rows else 0.0


class NoFeasibleRelease(RuntimeError):
    pass


SEARCH_MEMORY = 1024 * 2**20  # what the nodes judged at once may hold together
NODE_BYTES_PER_ROW = 48
ROLLUP_BYTES_PER_ROW = 24  # what building a roll-up holds per row of the table it rolls up
ROLLUP_ROWS = 100_000  # smaller tables: every node is judged on the table itself
ROLLUP_BUILD = 3.0  # a roll-up's cost to build, in passes judging a node on the table
ROLLUP_SHARE = 0.25  # the largest roll-up built, as a share of the table's rows
PART_ROWS = 200_000  # smaller tables are counted whole at every node
PARTS = 16  # `partitioned`: about this many parts of the rows

Judged = tuple[int, float | None, int]  # suppressed records, loss (None: over budget), groups


def roll_up(table: QiTable, base: Sequence[int]) -> QiTable:
    """The table with the rows of each group at the `base` levels (and each sensitive value)
    merged into one weighted row. At any node at or above `base` in every column, where the
    hierarchies nest (QiColumn.nests), it has the same groups, sizes and suppressed records as
    the table itself, and the same loss (summed in another order): the search judges most
    nodes on a roll-up of a few percent of the rows. Built part by part where the table's parts
    hold at `base` (its rows then keep to the same parts)."""
    ranges = table.parts.ranges(table, base) if table.parts is not None else None
    parts = None
    if ranges is None:
        index, groups = _groups_at(table, base, slice(None))
    else:
        pieces, starts = [], [0]
        for rows in ranges:
            part, count = _groups_at(table, base, rows)
            pieces.append(part + starts[-1])
            starts.append(starts[-1] + count)
        index, groups = np.concatenate(pieces), starts[-1]
        parts = Parts(table.parts.column, table.parts.level, np.array(starts, dtype=np.int64))
    rows, weights = one_row_per_group(index, groups, table.weights)
    columns = [c.rolled(level, rows) for c, level in zip(table.columns, base, strict=True)]
    sensitive = table.sensitive[rows] if table.sensitive is not None else None
    return QiTable(columns, groups, sensitive, weights, parts)


def _groups_at(table: QiTable, base: Sequence[int], rows: slice) -> tuple[np.ndarray, int]:
    """Per row (of `rows`) its group at the `base` levels and sensitive value, numbered from 0."""
    index, groups = dense_groups(group_keys(table, base, rows))
    if table.sensitive is not None:
        width = int(table.sensitive.max()) + 1
        index, groups = dense_groups(index.astype(np.int64) * width + table.sensitive[rows])
    return index, groups


def for_search(table: QiTable, parts: int = PARTS) -> QiTable:
    """A large table partitioned (`partitioned`) where its parts serve the search best: by the
    column and level whose parts hold at the largest share of the lattice's nodes, less the
    share of the largest part (a part is counted whole). At 10M records the search took
    18-22 s on the table as it came and 9.5-13 s partitioned by any of seven such choices (each
    near the others, within a run's noise)."""
    if table.rows < PART_ROWS:
        return table
    best, chosen = 0.0, None
    for i, column in enumerate(table.columns):
        per_value = np.bincount(column.values, minlength=len(column.maps[0]))
        for level in range(1, column.levels):
            rows = np.bincount(column.maps[level], weights=per_value)  # the rows of each code
            if np.count_nonzero(rows) < 4:
                continue
            held = sum(column.nests(low, level) for low in range(level + 1)) / column.levels
            score = held * (1 - rows.max() / table.rows)
            if score > best:
                best, chosen = score, (i, level)
    return partitioned(table, *chosen, parts) if chosen is not None else table


def partitioned(table: QiTable, column: int, level: int, parts: int = PARTS) -> QiTable:
    """The table's rows ordered by their code at `level` of `column`, in about `parts` parts of
    whole codes (Parts): one stable counting sort of the rows."""
    codes = table.columns[column].codes(level)
    width = len(table.columns[column].labels[level])
    order = np.argsort(codes.astype(np.uint16) if width <= 2**16 else codes, kind="stable")
    ends = np.cumsum(np.bincount(codes, minlength=width))
    starts, share = [0], table.rows / parts
    for end in ends[:-1]:
        if end - starts[-1] >= share:
            starts.append(int(end))
    starts.append(table.rows)
    columns = [c.taken(order) for c in table.columns]
    sensitive = table.sensitive[order] if table.sensitive is not None else None
    weights = table.weights[order] if table.weights is not None else None
    return QiTable(columns, table.rows, sensitive, weights,
                   Parts(column, level, np.array(sorted(set(starts)), dtype=np.int64)))  # fmt: skip


def _judge(
    table: QiTable, node: tuple[int, ...], k: int, l_diverse: int | None, budget: int
) -> Judged:
    """A node's suppressed records, within the budget its information loss, and its groups.
    Over the budget, counted part by part (Parts), the counts stop where the parts so far
    exceed it: then they are at least the node's."""
    ranges = table.parts.ranges(table, node) if table.parts is not None else None
    suppressed = groups = 0
    masks = []
    for rows in ranges or [slice(None)]:
        inverse, short_group, sizes = short_groups(table, node, k, l_diverse, rows)
        suppressed += int(sizes[short_group].sum())  # counted over groups, not rows
        groups += int(np.count_nonzero(sizes))
        if suppressed > budget:
            return suppressed, None, groups
        masks.append(short_group[inverse])
    mask = masks[0] if len(masks) == 1 else np.concatenate(masks)
    return suppressed, information_loss(table, node, mask, suppressed), groups


def _judge_all(judge, table: QiTable, nodes: list, pool: ThreadPoolExecutor | None) -> list:
    """The nodes judged on `table`, at once on the pool when memory allows two."""
    at_once = SEARCH_MEMORY // max(1, NODE_BYTES_PER_ROW * table.rows)
    if pool is not None and at_once >= 2 and len(nodes) > 1:
        return list(pool.map(partial(judge, table), nodes))
    return [judge(table, node) for node in nodes]


def estimate_groups(table: QiTable, nodes: list[tuple[int, ...]], sample: int) -> np.ndarray:
    """Each node's groups (rows of its roll-up), estimated from `sample` rows drawn at random
    (Chao's estimator, bias-corrected: the groups seen, and more unseen the more of them were
    seen once rather than twice)."""
    if table.rows <= sample:
        drawn = np.arange(table.rows)
    else:  # the same draw every time: the estimate steers only the speed, never the decision
        drawn = np.sort(np.random.default_rng(0).choice(table.rows, sample, replace=False))
    part = QiTable([c.taken(drawn) for c in table.columns], len(drawn))
    estimates = np.zeros(len(nodes))
    for i, node in enumerate(nodes):
        sizes = group_sizes(group_keys(part, node))[1]
        once, twice = np.count_nonzero(sizes == 1), np.count_nonzero(sizes == 2)
        groups = np.count_nonzero(sizes) + once * (once - 1) / (2 * (twice + 1))
        estimates[i] = min(table.rows, groups)
    return estimates


def plan_roll_ups(
    table: QiTable, nodes: list[tuple[int, ...]], sample: int = 20_000,
    estimates: dict[tuple[int, ...], float] | None = None,
) -> dict[tuple[int, ...], list[tuple[int, ...]]]:  # fmt: skip
    """Which roll-ups to build, and the nodes to judge on each: chosen greedily on estimated
    sizes: a roll-up costs ROLLUP_BUILD passes over the table to build, a node the rows it is
    judged on (the table's, or its smallest roll-up's). `estimates`: nodes' groups estimated
    before (a node has the same groups in a roll-up below it as in the table): the search plans
    its roll-ups of roll-ups from the estimates on the whole table."""
    top = max(sum(n) for n in nodes)
    candidates = [n for n in nodes if 0 < sum(n) < top]
    if not candidates:
        return {}
    estimates = {} if estimates is None else estimates
    missing = [n for n in candidates if n not in estimates]
    if missing:
        estimates.update(zip(missing, estimate_groups(table, missing, sample), strict=True))
    size = np.minimum(np.array([estimates[n] for n in candidates]), table.rows)
    # Larger roll-ups save little, and every node placed on a roll-up is judged, even one
    # the search would skip.
    small = size <= table.rows * ROLLUP_SHARE
    candidates = [c for c, fits in zip(candidates, small, strict=True) if fits]
    size = size[small]
    if not candidates:
        return {}
    lattice, under = np.array(nodes), np.array(candidates)
    fits = np.all(under[:, None, :] <= lattice[None, :, :], axis=2)  # candidate x node
    for i, column in enumerate(table.columns):  # and the column's levels nest in between
        nests = np.array([[column.nests(low, high) for high in range(column.levels)]
                          for low in range(column.levels)])  # fmt: skip
        fits &= nests[under[:, i][:, None], lattice[:, i][None, :]]
    cost = np.full(len(nodes), float(table.rows))  # each node judged on the table itself
    build = ROLLUP_BUILD * table.rows
    choice = np.full(len(nodes), -1)
    while True:
        gain = (fits * np.maximum(0.0, cost[None, :] - size[:, None])).sum(axis=1) - build
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        better = fits[best] & (size[best] < cost)
        cost[better], choice[better] = size[best], best
    plan: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
    for node, chosen in zip(nodes, choice, strict=True):
        if chosen >= 0:
            plan.setdefault(candidates[chosen], []).append(node)
    return plan


class _Lattice:
    """The level lattice's order: a node's parents (one column a level higher), and the nodes
    known over budget — judged so, or below one that is (generalizing only merges groups, so
    such a node is over budget too, and the search never asks for it)."""

    def __init__(self, counts: Sequence[int]):
        self.counts = list(counts)
        self.infeasible: set[tuple[int, ...]] = set()

    def parents(self, node: tuple[int, ...]) -> list[tuple[int, ...]]:
        return [(*node[:i], node[i] + 1, *node[i + 1 :])
                for i in range(len(node)) if node[i] + 1 < self.counts[i]]  # fmt: skip

    def skipped(self, node: tuple[int, ...]) -> bool:
        """Whether the node is below a node known over budget (then it is one too)."""
        if any(p in self.infeasible for p in self.parents(node)):
            self.infeasible.add(node)
            return True
        return False

    def judged(self, node: tuple[int, ...], judged: Judged) -> None:
        if judged[1] is None:
            self.infeasible.add(node)


def _judge_by_height(
    table: QiTable, nodes: list[tuple[int, ...]], judge, pool: ThreadPoolExecutor | None,
    lattice: _Lattice,
) -> dict[tuple[int, ...], Judged]:  # fmt: skip
    """The nodes judged on `table` most general first, those below a node known over budget
    skipped; a height's nodes at once on the pool."""
    known: dict[tuple[int, ...], Judged] = {}
    for _, same in itertools.groupby(sorted(nodes, key=lambda n: -sum(n)), key=sum):
        todo = [node for node in same if not lattice.skipped(node)]
        for node, judged in zip(todo, _judge_all(judge, table, todo, pool), strict=True):
            known[node] = judged
            lattice.judged(node, judged)
    return known


def _judge_on_roll_ups(
    table: QiTable, nodes: list[tuple[int, ...]], judge, pool: ThreadPoolExecutor | None,
    lattice: _Lattice, estimates: dict[tuple[int, ...], float] | None = None,
) -> dict[tuple[int, ...], Judged]:  # fmt: skip
    """The nodes `plan_roll_ups` places on a roll-up, judged there — or on smaller roll-ups of
    it, planned the same way — the roll-ups of the highest nodes first, and those below a node
    known over budget skipped (a roll-up whose nodes are all skipped is not built). Roll-ups of
    the same table are built two at a time on the pool when memory allows (a large table's
    hashing is one core's work), then judged one after the other. `estimates`: the nodes'
    groups as estimated on the table the search began with (`plan_roll_ups`)."""
    known: dict[tuple[int, ...], Judged] = {}
    estimates = {} if estimates is None else estimates
    plan = sorted(plan_roll_ups(table, nodes, estimates=estimates).items(),
                  key=lambda item: -max(map(sum, item[1])))  # fmt: skip
    at_once = 1
    if pool is not None:
        at_once = max(1, min(2, SEARCH_MEMORY // max(1, ROLLUP_BYTES_PER_ROW * table.rows)))
    for start in range(0, len(plan), at_once):
        part = [(base, members) for base, members in plan[start : start + at_once]
                if not all(lattice.skipped(node) for node in members)]  # fmt: skip
        bases = [base for base, _ in part]
        if pool is not None and len(bases) > 1:
            rolled_ups = list(pool.map(partial(roll_up, table), bases))
        else:
            rolled_ups = [roll_up(table, base) for base in bases]
        for (_, members), rolled in zip(part, rolled_ups, strict=True):
            if rolled.rows >= ROLLUP_ROWS and len(members) > 1:
                known.update(_judge_on_roll_ups(rolled, members, judge, pool, lattice, estimates))
            rest = [node for node in members if node not in known]
            known.update(_judge_by_height(rolled, rest, judge, pool, lattice))
        rolled = rolled_ups = None  # neither held while the next ones are built
    return known


def search_levels(
    table: QiTable, k: int, max_suppression: float, l_diverse: int | None = None,
    threads: int = 1, roll_up_rows: int = ROLLUP_ROWS,
) -> Decision:  # fmt: skip
    """Exhaustive search of the level lattice, most general first. A node below an infeasible
    one is infeasible too (generalizing only merges groups), so it is skipped unchecked.

    A table of `roll_up_rows` rows or more judges most nodes on roll-ups first (`roll_up`,
    `plan_roll_ups`: same judgements, on a fraction of the rows); the search then reads
    them in the same order, so the decision does not depend on it. With `threads` > 1 the nodes
    of one height (or of one roll-up) are judged at once (numpy lets go of the GIL) when
    memory allows: each holds ~48 bytes per row it is judged on (SEARCH_MEMORY in all)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    counts = [c.levels for c in table.columns]
    budget = int(max_suppression * table.records)
    searched = _Lattice(counts)  # the nodes over budget, as the search finds them
    best: Decision | None = None
    checked = 0
    nodes = sorted(itertools.product(*(range(n) for n in counts)), key=lambda n: -sum(n))
    heights = [list(group) for _, group in itertools.groupby(nodes, key=sum)]
    pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 and table.rows else None
    judge = partial(_judge, k=k, l_diverse=l_diverse, budget=budget)
    try:
        known = (
            _judge_on_roll_ups(table, nodes, judge, pool, _Lattice(counts))
            if table.rows >= roll_up_rows and len(nodes) > 1
            else {}
        )
        for height in heights:
            todo = [node for node in height if not searched.skipped(node)]
            missing = [node for node in todo if node not in known]
            known.update(zip(missing, _judge_all(judge, table, missing, pool), strict=True))
            for node in todo:
                suppressed, loss, _ = known[node]
                checked += 1
                searched.judged(node, known[node])
                if loss is None:
                    continue
                # Rounded: summed per record, per weighted row or per roll-up row, equal losses
                # may differ in the last bits, and the same input must give the same decision.
                if best is None or (round(loss, 12), suppressed, sum(node)) < (
                    round(best.loss, 12),
                    best.suppressed,
                    sum(best.levels.values()),
                ):
                    best = Decision(
                        {c.name: lv for c, lv in zip(table.columns, node, strict=True)},
                        loss, suppressed, table.records, 0,
                    )  # fmt: skip
    finally:
        if pool is not None:
            pool.shutdown()
    if best is None:
        raise NoFeasibleRelease(
            f"no generalization reaches k={k} within {max_suppression:.1%} suppression"
        )
    best.nodes_checked = checked
    return best


def apply_levels(table: QiTable, decision: Decision, k: int, l_diverse: int | None = None):
    """Generalized QI text per record (dict of lists) and the suppression mask."""
    levels = [decision.levels[c.name] for c in table.columns]
    short = small_groups(table, levels, k, l_diverse)
    generalized = {
        c.name: np.asarray(c.labels[lv], dtype=object)[c.codes(lv)]
        for c, lv in zip(table.columns, levels, strict=True)
    }
    return generalized, short
