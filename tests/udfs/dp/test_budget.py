from datetime import UTC, date, datetime

from udfs.dp.budget import Spend, days_of, overspent, per_day
from udfs.dp.spec import Budget

BUDGET = Budget(epsilon=3.0, delta=1e-5)


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_a_window_spends_on_every_day_it_covers():
    assert days_of(at(1), at(3)) == [date(2026, 3, 1), date(2026, 3, 2)]
    assert days_of(at(1, 23), at(2, 1)) == [date(2026, 3, 1), date(2026, 3, 2)]
    assert days_of(at(1, 1), at(1, 2)) == [date(2026, 3, 1)]


def test_hourly_windows_of_a_day_add_up():
    hours = [Spend("a", at(1, h), at(1, h + 1), 0.1, 1e-7) for h in range(20)]
    eps, _ = per_day(hours)[date(2026, 3, 1)]
    assert abs(eps - 2.0) < 1e-9


def test_a_release_within_the_budget_passes_and_one_past_it_is_refused_with_its_day():
    spent = per_day([Spend("a", at(1), at(3), 2.0, 1e-6)])
    assert overspent(spent, [Spend("b", at(2), at(3), 1.0, 1e-6)], BUDGET) == []
    problems = overspent(spent, [Spend("b", at(2), at(4), 1.5, 1e-6)], BUDGET)
    assert len(problems) == 1 and problems[0].startswith("2026-03-02")


def test_delta_is_budgeted_too():
    problems = overspent({}, [Spend("a", at(1), at(2), 0.1, 2e-5)], BUDGET)
    assert problems and "δ=2e-05" in problems[0]
