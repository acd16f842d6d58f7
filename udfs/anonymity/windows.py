"""k-anonymity over keyed windows (STREAMING): the decision logic, free of Flink.

When a window closes, its records are grouped by their generalized quasi-identifiers at the
first rung of the ladder; groups of at least k are released. The rest try the next rung (one
level up), and so on. What still falls short waits for the next window while younger than the
maximum delay, and is suppressed after that: counted, never silently dropped.
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


def window_end(event_ms: int, window_ms: int) -> int:
    """End (exclusive) of the tumbling event-time window holding `event_ms`."""
    return (event_ms // window_ms + 1) * window_ms


@dataclass
class Pending:
    """A record waiting in keyed state: its QI values, the record, its event time, and the end of
    the window in which it is next considered."""

    values: dict[str, str | None]
    record: Any
    event_ms: int
    due_ms: int


def fire_due(
    pending: Sequence[Pending],
    up_to_ms: int,
    window_ms: int,
    hierarchies: dict[str, Hierarchy],
    ladder: Sequence[Levels],
    k: int,
    max_delay_ms: int,
) -> tuple[list[Released], list[Any], list[Pending]]:
    """Close, in event-time order, every window that ends at or before `up_to_ms` (the watermark).

    Records that fall short wait for the next window until older than the maximum delay. The
    outcome depends only on the records and their event times, not on how often the watermark
    advanced: a stream and a bounded run over the same records release the same groups.
    """
    released: list[Released] = []
    suppressed: list[Any] = []
    later = [p for p in pending if p.due_ms > up_to_ms]
    due = sorted((p for p in pending if p.due_ms <= up_to_ms), key=lambda p: p.due_ms)
    while due:
        end = due[0].due_ms
        batch = [p for p in due if p.due_ms == end]
        due = [p for p in due if p.due_ms != end]
        result = close_window(
            [(p.values, p, p.event_ms) for p in batch], hierarchies, ladder, k, end, max_delay_ms
        )
        released.extend(Released(r.record.record, r.generalized, r.rung) for r in result.released)
        suppressed.extend(p.record for p in result.suppressed)
        for _values, p, _event in result.waiting:
            p.due_ms = end + window_ms
            (due if p.due_ms <= up_to_ms else later).append(p)
        due.sort(key=lambda p: p.due_ms)
    return released, suppressed, later
