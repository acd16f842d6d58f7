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
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from udfs.anonymity.hierarchies import Hierarchy


@dataclass
class QiColumn:
    name: str
    codes: list[np.ndarray]  # per level: int code per record
    labels: list[list[str]]  # per level: generalized text per code
    penalty: list[np.ndarray]  # per level: NCP per record
    penalty_total: list[float]  # per level: the sum of `penalty` over all records


@dataclass
class QiTable:
    columns: list[QiColumn]
    rows: int
    sensitive: np.ndarray | None = None  # int code per record


def factorize(column: Sequence[str | None]) -> tuple[list[str], np.ndarray]:
    """The distinct values (None as "") and an int64 code per record (hash-based, O(n))."""
    codes, uniques = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=False)
    distinct = ["" if v is None or v != v else str(v) for v in uniques]
    if len(set(distinct)) < len(distinct):  # None and "" are the same value here
        merged, remap = pd.factorize(np.asarray(distinct, dtype=object))
        return [str(v) for v in remap], merged[codes].astype(np.int64)
    return distinct, codes.astype(np.int64)


def build_qi_table(
    values: dict[str, Sequence[str | None]],
    hierarchies: dict[str, Hierarchy],
    sensitive: Sequence[str | None] | None = None,
) -> QiTable:
    """Generalize each distinct value once per level; records refer to them by code."""
    columns = []
    rows = 0
    for name, column in values.items():
        distinct, inverse = factorize(column)
        rows = len(inverse)
        spread = max(len(distinct) - 1, 1)
        hierarchy = hierarchies[name]
        codes, labels, penalty = [], [], []
        for level in range(hierarchy.levels):
            generalized = [hierarchy.generalize(v, level) for v in distinct]
            gen_distinct, gen_inverse = np.unique(
                np.asarray(generalized, dtype=object), return_inverse=True
            )
            covers = np.bincount(gen_inverse, minlength=len(gen_distinct))
            codes.append(gen_inverse[inverse].astype(np.int64))
            labels.append([str(x) for x in gen_distinct])
            penalty.append(((covers[gen_inverse] - 1) / spread)[inverse])
        totals = [float(p.sum()) for p in penalty]
        columns.append(QiColumn(name, codes, labels, penalty, totals))
    sens = factorize(sensitive)[1] if sensitive is not None else None
    return QiTable(columns, rows, sens)


def group_keys(table: QiTable, levels: Sequence[int]) -> np.ndarray:
    """One int64 per record naming its group under the given level vector."""
    key = np.zeros(table.rows, dtype=np.int64)
    bound = 1
    for column, level in zip(table.columns, levels, strict=True):
        codes = column.codes[level]
        width = len(column.labels[level])
        if bound * width >= 2**62:  # re-number densely before the product could overflow
            key = pd.factorize(key)[0].astype(np.int64)
            bound = int(key.max()) + 1 if len(key) else 1
        key *= width  # in place: this runs once per lattice node over every record
        key += codes
        bound *= width
    return key


def group_sizes(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per record a group index, and the size of each group: by counting when the key range is
    small, else by hashing (no sort: this runs once per lattice node)."""
    if len(key) == 0:
        return key, np.zeros(0, dtype=np.int64)
    bound = int(key.max()) + 1
    if bound > 4 * len(key) + 4096:
        key = pd.factorize(key)[0]
    return key, np.bincount(key)


def small_groups(
    table: QiTable, levels: Sequence[int], k: int, l_diverse: int | None
) -> np.ndarray:
    """Mask of records whose group is smaller than k (or less than l-diverse)."""
    inverse, counts = group_sizes(group_keys(table, levels))
    short = counts[inverse] < k
    if l_diverse and table.sensitive is not None:
        pairs = np.unique(
            inverse.astype(np.int64) * (int(table.sensitive.max()) + 1) + table.sensitive
        )
        distinct = np.bincount(pairs // (int(table.sensitive.max()) + 1), minlength=len(counts))
        short |= distinct[inverse] < l_diverse
    return short


def information_loss(table: QiTable, levels: Sequence[int], suppressed: np.ndarray) -> float:
    if table.rows == 0:
        return 0.0
    # The kept records' penalty is the total less the suppressed ones' (a few percent at most):
    # no copy of every record's penalty per lattice node.
    gone = np.flatnonzero(suppressed)
    total = sum(
        c.penalty_total[lv] - float(c.penalty[lv][gone].sum())
        for c, lv in zip(table.columns, levels, strict=True)
    )
    total += len(gone) * len(table.columns)
    return total / (table.rows * len(table.columns))


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


def search_levels(
    table: QiTable, k: int, max_suppression: float, l_diverse: int | None = None
) -> Decision:
    """Exhaustive search of the level lattice, most general first. A node below an infeasible
    one is infeasible too (generalizing only merges groups), so it is skipped unchecked."""
    if k < 1:
        raise ValueError("k must be at least 1")
    counts = [len(c.codes) for c in table.columns]
    budget = int(max_suppression * table.rows)
    infeasible: set[tuple[int, ...]] = set()
    best: Decision | None = None
    checked = 0
    nodes = sorted(itertools.product(*(range(n) for n in counts)), key=lambda n: -sum(n))
    for node in nodes:
        parents = [
            (*node[:i], node[i] + 1, *node[i + 1 :])
            for i in range(len(node))
            if node[i] + 1 < counts[i]
        ]
        if any(p in infeasible for p in parents):
            infeasible.add(node)
            continue
        checked += 1
        short = small_groups(table, node, k, l_diverse)
        suppressed = int(short.sum())
        if suppressed > budget:
            infeasible.add(node)
            continue
        loss = information_loss(table, node, short)
        candidate = Decision(
            {c.name: lv for c, lv in zip(table.columns, node, strict=True)},
            loss,
            suppressed,
            table.rows,
            0,
        )
        if best is None or (loss, suppressed, sum(node)) < (
            best.loss,
            best.suppressed,
            sum(best.levels.values()),
        ):
            best = candidate
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
        c.name: np.asarray(c.labels[lv], dtype=object)[c.codes[lv]]
        for c, lv in zip(table.columns, levels, strict=True)
    }
    return generalized, short
