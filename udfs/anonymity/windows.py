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
