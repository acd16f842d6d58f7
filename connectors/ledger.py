"""The differential-privacy ledger in PostgreSQL (table dp_ledger, connectors/sql/audit_v3.sql):
what each release spent, and the check that a new release fits the budget — made and recorded
in one transaction, under a lock per domain, so two jobs cannot both spend a day's last ε."""

from __future__ import annotations

from datetime import date

from connectors.audit import retried
from udfs.dp.budget import BudgetExceeded, Spend, overspent, refusal
from udfs.dp.spec import Budget

SPENT_ON_DAYS = """
SELECT d, sum(l.epsilon), sum(l.delta)
FROM unnest(%s::date[]) AS d
JOIN dp_ledger l ON l.domain = %s
    AND l.window_start < ((d + 1)::timestamp AT TIME ZONE 'UTC')
    AND l.window_end > (d::timestamp AT TIME ZONE 'UTC')
GROUP BY d
"""


def spent_on(cur, domain: str, days: list[date]) -> dict[date, tuple[float, float]]:
    """What the ledger holds for each of `days` (ε, δ of every release whose window covers
    it), summed by the database: a long window in the ledger costs one row, not its days."""
    cur.execute(SPENT_ON_DAYS, (days, domain))
    return {day: (eps, delta) for day, eps, delta in cur.fetchall()}


@retried
def spend(
    conn, domain: str, job_id: str, spends: list[Spend], budget: Budget, mechanisms: dict[str, str],
    source: str,
) -> None:  # fmt: skip
    """Record the releases, or raise BudgetExceeded (nothing recorded) when a day they cover
    would pass the budget. The caller publishes only after this returns."""
    if not spends:
        return
    days = sorted({d for s in spends for d in s.days()})
    with conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"dp_ledger {domain}",))
        problems = overspent(spent_on(cur, domain, days), spends, budget)
        if problems:
            raise BudgetExceeded(refusal(problems, source))
        cur.executemany(
            """INSERT INTO dp_ledger (domain, aggregate, window_start, window_end, epsilon, delta,
                                      mechanism, job_id)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
            [(domain, s.aggregate, s.window_start, s.window_end, s.epsilon, s.delta,
              mechanisms.get(s.aggregate, ""), job_id) for s in spends],
        )  # fmt: skip
