"""The privacy budget's arithmetic (the ledger in PostgreSQL keeps the entries,
connectors.ledger): each release spends its ε and δ on every day of event time its window
covers (basic composition: a person's records of that day are in it); a day's total may not pass
the budget. Pure: the database only fetches and stores what this decides."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from udfs.dp.spec import Budget

TOLERANCE = 1e-9  # float sums of ε


class BudgetExceeded(RuntimeError):
    """A release would spend more than the budget of a day: nothing of it is published."""


@dataclass(frozen=True)
class Spend:
    aggregate: str
    window_start: datetime  # UTC
    window_end: datetime  # exclusive
    epsilon: float
    delta: float

    def days(self) -> list[date]:
        return days_of(self.window_start, self.window_end)


def days_of(start: datetime, end: datetime) -> list[date]:
    """The UTC days a window [start, end) covers."""
    first = start.astimezone(UTC).date()
    last = (end.astimezone(UTC) - timedelta(microseconds=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def per_day(spends: Iterable[Spend]) -> dict[date, tuple[float, float]]:
    totals: dict[date, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for spend in spends:
        for day in spend.days():
            totals[day][0] += spend.epsilon
            totals[day][1] += spend.delta
    return {day: (eps, delta) for day, (eps, delta) in totals.items()}


def overspent(
    before: dict[date, tuple[float, float]], new: list[Spend], budget: Budget
) -> list[str]:
    """The days the new releases would take past the budget, each said with its figures.
    `before`: what the ledger holds for those days (connectors.ledger sums it in SQL)."""
    asked = per_day(new)
    problems = []
    for day in sorted(asked):
        eps, delta = (a + b for a, b in zip(before.get(day, (0.0, 0.0)), asked[day], strict=True))
        if eps > budget.epsilon + TOLERANCE or delta > budget.delta + TOLERANCE * budget.delta:
            had = before.get(day, (0.0, 0.0))
            problems.append(
                f"{day}: spent ε={had[0]:g} δ={had[1]:g}, this run asks ε={asked[day][0]:g} "
                f"δ={asked[day][1]:g}, budget ε={budget.epsilon:g} δ={budget.delta:g}"
            )
    return problems


def refusal(problems: list[str], source: str) -> str:
    shown = "; ".join(problems[:3]) + (
        f"; and {len(problems) - 3} more day(s)" if len(problems) > 3 else ""
    )
    return (
        f"differential privacy: the budget would be exceeded on {len(problems)} day(s) "
        f"({shown}); nothing was published. Raise budget in {source} to publish."
    )
