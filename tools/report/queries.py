"""What the report shows, read from the audit database and aggregated there: one pass over the
window's violations (the covering index of schema v2), then grouping sets over that small
result; runs and quarantine counts from their own tables. Nothing here holds a raw value: the
audit trail has tokens only, and the report reads counts, rule ids, field names and run facts."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
RUN_LIMIT = 100  # runs listed (the newest); the charts of runs show the newest 30
SEVERITIES = ("critical", "high", "medium", "low")


def parse_since(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([mhdw])", text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"--since expects a number and a unit m/h/d/w (e.g. 7d), got {text!r}")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


@dataclass(frozen=True)
class Scope:
    """Which violations and runs: the last `since`, optionally one domain or one run."""

    since: str = "7d"
    domain: str | None = None
    job_id: str | None = None

    @property
    def span(self) -> timedelta:
        return parse_since(self.since)

    def describe(self) -> str:
        parts = [f"run {self.job_id}" if self.job_id else f"the last {self.since}"]
        if self.domain:
            parts.append(f"domain {self.domain}")
        return ", ".join(parts)


@dataclass
class Run:
    job_id: str
    job_name: str
    domain: str
    mode: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    records_in: int | None
    published: int | None
    suppressed: int | None
    quarantined: int | None
    violations: int | None
    information_loss: float | None
    records_per_s: float | None
    k: int | None
    levels: dict[str, int]
    input: str | None
    output: str | None
    reason: str | None
    quality_score: float | None = None  # udfs.quality: the run's score and level
    quality_level: str | None = None


@dataclass
class ReportData:
    scope: Scope
    generated_at: datetime
    window_start: datetime
    total_violations: int = 0
    by_regulation: list[tuple[str, int]] = field(default_factory=list)
    by_severity: list[tuple[str, int]] = field(default_factory=list)
    by_day_regulation: list[tuple[date, str, int]] = field(default_factory=list)
    by_day_severity: list[tuple[date, str, int]] = field(default_factory=list)
    by_rule: list[tuple[str, str, int]] = field(default_factory=list)
    by_field: list[tuple[str, int]] = field(default_factory=list)
    by_rule_field: list[tuple[str, str, int]] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    quarantine: list[tuple[str, str, int]] = field(default_factory=list)  # job_id, reason, n
    # The privacy budget spent in the window (dp_ledger), per domain and aggregate: releases,
    # ε, δ, and the event-time span their windows cover.
    dp_spent: list[tuple[str, str, int, float, float, datetime, datetime]] = field(
        default_factory=list
    )

    def as_json(self) -> dict[str, Any]:
        """Plain JSON types (dates as ISO text), for --format json."""

        def plain(value: Any) -> Any:
            if isinstance(value, datetime | date):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [plain(v) for v in value]
            return value

        return plain(asdict(self))


# The window's violations grouped once by everything the charts need (a few hundred rows), then
# the rollups by grouping sets over that result: the table or index is read once.
VIOLATIONS_SQL = """
WITH base AS MATERIALIZED (
    SELECT detected_at::date AS day, regulation, severity, rule_id, field, count(*) AS n
    FROM violations
    WHERE detected_at >= %(start)s {extra}
    GROUP BY 1, 2, 3, 4, 5
)
SELECT GROUPING(day, regulation, severity, rule_id, field) AS grouping,
       day, regulation, severity, rule_id, field, sum(n)::bigint
FROM base
GROUP BY GROUPING SETS ((), (regulation), (severity), (day, regulation), (day, severity),
                        (regulation, rule_id), (field), (rule_id, field))
"""

# GROUPING(day, regulation, severity, rule_id, field): a bit set for each column left out.
_ALL = 0b11111
_SETS = {
    _ALL: "total",
    _ALL ^ 0b01000: "by_regulation",
    _ALL ^ 0b00100: "by_severity",
    _ALL ^ 0b11000: "by_day_regulation",
    _ALL ^ 0b10100: "by_day_severity",
    _ALL ^ 0b01010: "by_rule",
    _ALL ^ 0b00001: "by_field",
    _ALL ^ 0b00011: "by_rule_field",
}

RUNS_SQL = """
SELECT job_id, job_name, domain, mode, status, started_at, finished_at, records_in, published,
       suppressed, quarantined, violations, information_loss,
       (summary->>'records_per_s')::double precision, (summary->>'k')::int,
       coalesce(summary->'levels', '{{}}'::jsonb), summary->>'input', summary->>'output',
       coalesce(summary->>'reason', summary->>'error'), {quality}
FROM job_runs
WHERE started_at >= %(start)s {extra}
ORDER BY started_at DESC, job_id
LIMIT %(limit)s
"""

QUARANTINE_SQL = """
SELECT q.job_id, q.reason, q.records
FROM quarantine q JOIN job_runs r USING (job_id)
WHERE r.started_at >= %(start)s {extra}
ORDER BY r.started_at DESC, q.records DESC, q.reason
"""

DP_SQL = """
SELECT domain, aggregate, count(*), sum(epsilon), sum(delta),
       min(window_start) at time zone 'utc', max(window_end) at time zone 'utc'
FROM dp_ledger
WHERE spent_at >= %(start)s {extra}
GROUP BY domain, aggregate
ORDER BY domain, aggregate
"""


def _filters(scope: Scope, table: str = "") -> str:
    prefix = f"{table}." if table else ""
    extra = ""
    if scope.domain:
        extra += f" AND {prefix}domain = %(domain)s"
    if scope.job_id:
        extra += f" AND {prefix}job_id = %(job_id)s"
    return extra


def window_start(conn, scope: Scope) -> datetime:
    """The window's first moment (UTC, naive like the audit's timestamps): `since` before now,
    or for one run a day before it started (the bound keeps the index scan to the run's time)."""
    with conn.cursor() as cur:
        if scope.job_id:
            cur.execute(
                "SELECT (min(started_at) at time zone 'utc') - interval '1 day' FROM job_runs "
                "WHERE job_id = %s",
                (scope.job_id,),
            )
            found = cur.fetchone()[0]
            if found is not None:
                return found
            return datetime(1970, 1, 1)  # a run not in job_runs (streaming): all its violations
        cur.execute("SELECT (now() at time zone 'utc') - %s", (scope.span,))
        return cur.fetchone()[0]


def fetch(conn, scope: Scope, run_limit: int = RUN_LIMIT) -> ReportData:
    start = window_start(conn, scope)
    with conn.cursor() as cur:
        cur.execute("SELECT now() at time zone 'utc'")
        data = ReportData(scope=scope, generated_at=cur.fetchone()[0], window_start=start)
        params = {"start": start, "domain": scope.domain, "job_id": scope.job_id}
        cur.execute("SET LOCAL jit = off")  # compiling costs more than it saves on this query
        cur.execute(VIOLATIONS_SQL.format(extra=_filters(scope)), params)
        for grouping, day, regulation, severity, rule_id, field_name, n in cur.fetchall():
            name = _SETS[grouping]
            if name == "total":
                data.total_violations = int(n or 0)  # sum() over no rows is NULL
                continue
            row = {
                "by_regulation": (regulation, n),
                "by_severity": (severity, n),
                "by_day_regulation": (day, regulation, n),
                "by_day_severity": (day, severity, n),
                "by_rule": (regulation, rule_id, n),
                "by_field": (field_name, n),
                "by_rule_field": (rule_id, field_name, n),
            }[name]
            getattr(data, name).append(row)
        run_start = datetime(1970, 1, 1) if scope.job_id else start
        run_params = {**params, "start": run_start, "limit": run_limit}
        cur.execute("SELECT to_regclass('lineage') IS NOT NULL")  # schema version 4
        quality = ("(quality->>'score')::double precision, quality->>'level'"
                   if cur.fetchone()[0] else "NULL::double precision, NULL::text")  # fmt: skip
        cur.execute(RUNS_SQL.format(extra=_filters(scope), quality=quality), run_params)
        data.runs = [Run(*row) for row in cur.fetchall()]
        cur.execute(QUARANTINE_SQL.format(extra=_filters(scope, "r")), run_params)
        data.quarantine = [tuple(row) for row in cur.fetchall()]
        cur.execute("SELECT to_regclass('dp_ledger') IS NOT NULL")
        if cur.fetchone()[0]:  # an audit database older than the ledger has none
            cur.execute(DP_SQL.format(extra=_filters(scope)), run_params)
            data.dp_spent = [tuple(row) for row in cur.fetchall()]
    conn.rollback()  # read only; ends the transaction of SET LOCAL
    _order(data)
    return data


PRODUCED_SQL = """
SELECT l.job_id, l.event_time at time zone 'utc', r.domain, r.mode, r.status,
       (r.quality->>'score')::double precision, r.quality->>'level', r.summary->>'input'
FROM lineage l LEFT JOIN job_runs r USING (job_id)
WHERE (l.event_type = 'COMPLETE' AND l.outputs @> ARRAY[%(dataset)s])
   OR (l.event_type = 'START' AND l.outputs @> ARRAY[%(lake)s])
ORDER BY l.event_time DESC
"""


def dataset_name(path: Path) -> str:
    """A lake partition (or a file in it) as the lineage names it: "file/<absolute dir>"."""
    path = Path(path).resolve()
    return f"file/{path.parent if path.is_file() else path}"


def produced(conn, path: Path) -> list[dict[str, Any]]:
    """The runs whose COMPLETE event lists this output, and the streams whose START names the
    lake it is part of (a stream writes its partitions as it goes), newest first."""
    keys = ("job_id", "completed_at", "domain", "mode", "status", "quality_score",
            "quality_level", "input")  # fmt: skip
    with conn.cursor() as cur:
        name = dataset_name(path)
        cur.execute(PRODUCED_SQL, {"dataset": name, "lake": name.rsplit("/", 1)[0]})
        rows = [dict(zip(keys, row, strict=True)) for row in cur.fetchall()]
    conn.rollback()
    return rows


def _order(data: ReportData) -> None:
    """Largest first for the rankings; days in order; severities from critical to low."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    data.by_regulation.sort(key=lambda r: (-r[1], r[0]))
    data.by_severity.sort(key=lambda r: (rank.get(r[0], len(rank)), r[0]))
    data.by_day_regulation.sort(key=lambda r: (r[0], r[1]))
    data.by_day_severity.sort(key=lambda r: (r[0], rank.get(r[1], len(rank)), r[1]))
    data.by_rule.sort(key=lambda r: (-r[2], r[0], r[1]))
    data.by_field.sort(key=lambda r: (-r[1], r[0]))
    data.by_rule_field.sort(key=lambda r: (-r[2], r[0], r[1]))
