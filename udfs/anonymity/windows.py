"""k-anonymity over keyed windows (STREAMING): the decision logic, free of Flink.

When a window closes, its records are grouped by their generalized quasi-identifiers at the
first rung of the ladder; groups of at least k are released. The rest try the next rung (one
level up), and so on. What still falls short is suppressed once it is older than the maximum
delay (the streaming job closes each window for good: delay 0), else it waits — counted,
never silently dropped.
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
    waiting: list[tuple[dict, Any, int]] = field(default_factory=list)  # pending items kept


def generalize(
    values: dict[str, str | None], hierarchies: dict[str, Hierarchy], levels: Levels
) -> dict[str, str]:
    return {
        name: hierarchies[name].generalize(values.get(name), level)
        for name, level in levels.items()
    }


def close_window(
    pending: Sequence[tuple[dict[str, str | None], Any, int]],
    hierarchies: dict[str, Hierarchy],
    ladder: Sequence[Levels],
    k: int,
    now_ms: int,
    max_delay_ms: int,
) -> WindowResult:
    """`pending` holds (QI values, record, event time ms). Climb the ladder; release groups >= k."""
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
    for _values, record, event_ms in left:
        if now_ms - event_ms >= max_delay_ms:
            result.suppressed.append(record)
        else:
            result.waiting.append((_values, record, event_ms))
    return result
