"""k-anonymity over keyed windows (STREAMING): the decision logic, free of Flink.

When a window closes, its records are grouped by their generalized quasi-identifiers at the
first rung of the ladder; groups of at least k are released. The rest try the next rung (one
level up), and so on. What still falls short at the last rung is suppressed: counted, never
silently dropped. A record therefore waits at most one window for its group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from udfs.anonymity.hierarchies import Hierarchy

Levels = dict[str, int]


@dataclass
class Released:
    record: Any
    generalized: dict[str, str]
    rung: int


@dataclass
class WindowResult:
    released: list[Released] = field(default_factory=list)
    suppressed: list[Any] = field(default_factory=list)


def generalize(
    values: dict[str, str | None], hierarchies: dict[str, Hierarchy], levels: Levels
) -> dict[str, str]:
    return {
        name: hierarchies[name].generalize(values.get(name), level)
        for name, level in levels.items()
    }


def group_key(
    values: dict[str, str | None], hierarchies: dict[str, Hierarchy], ladder: Sequence[Levels]
) -> str:
    """A record's key for keyed windows: its quasi-identifiers at the ladder's last rung.
    Hierarchies nest, so records with different keys never share a group at a lower rung and
    keyed windows decide exactly as one global window would."""
    return "|".join(generalize(values, hierarchies, ladder[-1]).values())


def close_window(
    pending: Sequence[tuple[dict[str, str | None], Any]],
    hierarchies: dict[str, Hierarchy],
    ladder: Sequence[Levels],
    k: int,
) -> WindowResult:
    """`pending` holds (QI values, record). Climb the ladder; release groups >= k."""
    result = WindowResult()
    left = list(pending)
    for rung, levels in enumerate(ladder):
        groups: dict[tuple[str, ...], list] = defaultdict(list)
        for item in left:
            generalized = generalize(item[0], hierarchies, levels)
            groups[tuple(generalized.values())].append((item, generalized))
        left = []
        for members in groups.values():
            if len(members) >= k:
                result.released.extend(Released(item[1], gen, rung) for item, gen in members)
            else:
                left.extend(item for item, _ in members)
    result.suppressed.extend(record for _values, record in left)
    return result


@dataclass
class WindowPlan:
    """close_window's decision without the records: `at[j]` is the index of record j's released
    group in `groups` (-1: suppressed); each group is its rung and its generalized values, one
    per quasi-identifier plan_window was given (None where that rung leaves the value as it is)."""

    at: list[int]
    groups: list[tuple[int, tuple[str | None, ...]]]


def plan_window(
    values: Sequence[Sequence[str | None]],
    names: Sequence[str],
    hierarchies: dict[str, Hierarchy],
    ladder: Sequence[Levels],
    k: int,
) -> WindowPlan:
    """What close_window decides for records whose quasi-identifiers `names` are `values` (one
    sequence per record): the same groups, released at the same rungs. Each distinct value is
    generalized once per rung, and nothing per record is built but its group key."""
    at = [-1] * len(values)
    groups: list[tuple[int, tuple[str | None, ...]]] = []
    left = list(range(len(values)))
    for rung, levels in enumerate(ladder):
        columns = []
        for i, name in enumerate(names):
            if name not in levels:  # close_window: not grouped on, not replaced
                columns.append([None] * len(left))
                continue
            hierarchy, level, cache = hierarchies[name], levels[name], {}
            column = []
            for j in left:
                value = values[j][i]
                label = cache.get(value)
                if label is None:
                    label = cache[value] = hierarchy.generalize(value, level)
                column.append(label)
            columns.append(column)
        members: dict[tuple[str | None, ...], list[int]] = defaultdict(list)
        keys = zip(*columns, strict=True) if columns else [()] * len(left)
        for j, key in zip(left, keys, strict=True):
            members[key].append(j)
        left = []
        for key, group in members.items():
            if len(group) >= k:
                for j in group:
                    at[j] = len(groups)
                groups.append((rung, key))
            else:
                left.extend(group)
    return WindowPlan(at, groups)


def group_key_column(
    values: dict[str, Any], hierarchies: dict[str, Hierarchy], ladder: Sequence[Levels], size: int
):
    """`group_key` for every record of a batch (values: Arrow columns), each distinct value of a
    quasi-identifier generalized once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from udfs.arrow import pylist

    parts = []
    for name, level in ladder[-1].items():
        column = values.get(name)
        if column is None:
            column = pa.nulls(size, pa.string())
        encoded = pc.dictionary_encode(column, null_encoding="encode")
        hierarchy = hierarchies[name]
        labels = [hierarchy.generalize(v, level) for v in pylist(encoded.dictionary)]
        parts.append(pa.array(labels, pa.string()).take(encoded.indices))
    if not parts:
        return pa.array([""] * size, pa.string())
    return pc.binary_join_element_wise(*parts, "|")
