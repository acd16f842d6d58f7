"""The PostgreSQL audit trail: schema, job runs, quarantine counts, and the Flink `jdbc` sink
options for violations. Tokens only — callers never pass raw values."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any

from connectors.settings import DatabaseSettings, SettingsError

SQL_DIR = Path(__file__).resolve().parent / "sql"
MIGRATIONS = tuple(
    sorted(SQL_DIR.glob("audit_v*.sql"), key=lambda p: int(p.stem[len("audit_v") :]))
)
SCHEMA_VERSION = len(MIGRATIONS)


class AuditUnavailable(RuntimeError):
    pass


class AuditLost(AuditUnavailable):
    """The database went away during the run and did not come back in time."""


RETRY_DELAYS = (1.0, 2.0, 4.0)  # seconds before each retry of a write whose connection died


class AuditConnection:
    """A run's connection to the audit database, reopened when the server went away: the
    run's writes (`retried`) go through it, each one transaction, redone whole on the new
    connection — none is ever half committed."""

    def __init__(self, settings: DatabaseSettings | None = None):
        self.settings = settings or DatabaseSettings.from_env()
        self.raw = connect(self.settings)

    def __getattr__(self, name: str):
        return getattr(self.raw, name)

    def __enter__(self):
        return self.raw.__enter__()

    def __exit__(self, *exc):
        return self.raw.__exit__(*exc)

    def reopen(self) -> None:
        with suppress(Exception):
            self.raw.close()
        self.raw = connect(self.settings)

    def close(self) -> None:
        with suppress(Exception):
            self.raw.close()


def retried(write: Callable) -> Callable:
    """A write `f(conn, ...)` redone on a reopened connection when the database went away
    (RETRY_DELAYS apart); AuditLost when it stays away."""

    @wraps(write)
    def call(conn, *args, **kwargs):
        import psycopg2

        delays = list(RETRY_DELAYS) if isinstance(conn, AuditConnection) else []
        while True:
            try:
                return write(conn, *args, **kwargs)
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as err:
                if not delays:
                    first = str(err).strip().splitlines()[0] if str(err).strip() else "no answer"
                    raise AuditLost(
                        f"the audit database went away during the run ({write.__name__}: "
                        f"{first}), retried {len(RETRY_DELAYS)} times over "
                        f"{sum(RETRY_DELAYS):.0f} s; nothing of this write was committed. The "
                        "outputs under --output are written: rerun with --audit once the "
                        "database is back (violations are upserted, nothing duplicates)"
                    ) from None
                delay = delays.pop(0)
                print(f"audit: the database went away ({write.__name__}); reconnecting in "
                      f"{delay:.0f} s", file=sys.stderr, flush=True)  # fmt: skip
                time.sleep(delay)
                with suppress(AuditUnavailable):
                    conn.reopen()

    return call


def connect(settings: DatabaseSettings | None = None):
    import psycopg2

    settings = settings or DatabaseSettings.from_env()
    try:
        return psycopg2.connect(**settings.connect_kwargs())
    except SettingsError as err:
        raise AuditUnavailable(str(err)) from None
    except psycopg2.OperationalError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else "no answer"
        raise AuditUnavailable(
            f"audit database {settings.host}:{settings.port}/{settings.name} is unavailable: {first}. "
            "Start it (scripts/services up postgres) or run without --audit."
        ) from None


def ensure_schema(conn) -> int:
    """Applies the migrations (connectors/sql/audit_vN.sql) the database has not had yet, each
    in its own transaction; returns the schema version."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('schema_version') IS NOT NULL")
        current = 0
        if cur.fetchone()[0]:
            cur.execute("SELECT coalesce(max(version), 0) FROM schema_version")
            current = int(cur.fetchone()[0])
    for version, path in enumerate(MIGRATIONS, start=1):
        if version > current:
            with conn, conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(hashtext('flink-compliance schema'))")
                cur.execute(path.read_text(encoding="utf-8"))
    with conn, conn.cursor() as cur:
        cur.execute("SELECT max(version) FROM schema_version")
        return int(cur.fetchone()[0])


@retried
def start_run(conn, job_id: str, job_name: str, domain: str, mode: str, started: datetime) -> None:
    with conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO job_runs (job_id, job_name, domain, mode, started_at, status)
               VALUES (%s, %s, %s, %s, %s, 'RUNNING')
               ON CONFLICT (job_id) DO UPDATE SET started_at = EXCLUDED.started_at, status = 'RUNNING'""",
            (job_id, job_name, domain, mode, started),
        )
        cur.execute(
            "INSERT INTO audit_log (job_id, event, detail) VALUES (%s, 'job_started', %s)",
            (job_id, json.dumps({"job_name": job_name, "domain": domain, "mode": mode})),
        )


@retried
def finish_run(conn, job_id: str, status: str, summary: dict[str, Any], finished: datetime) -> None:
    with conn, conn.cursor() as cur:
        cur.execute(
            """UPDATE job_runs SET finished_at = %s, status = %s, records_in = %s, published = %s,
                   suppressed = %s, quarantined = %s, violations = %s, information_loss = %s,
                   summary = %s, quality = %s
               WHERE job_id = %s""",
            (
                finished, status, summary.get("records_in"), summary.get("published"),
                summary.get("suppressed"), summary.get("quarantined"),
                summary.get("violations", {}).get("total"), summary.get("information_loss"),
                json.dumps(summary),
                json.dumps(summary["quality"]) if summary.get("quality") else None, job_id,
            ),
        )  # fmt: skip
        for reason, count in (summary.get("quarantine_reasons") or {}).items():
            cur.execute(
                """INSERT INTO quarantine (job_id, reason, records) VALUES (%s, %s, %s)
                   ON CONFLICT (job_id, reason) DO UPDATE SET records = EXCLUDED.records""",
                (job_id, reason, count),
            )
        cur.execute(
            "INSERT INTO audit_log (job_id, event, detail) VALUES (%s, %s, %s)",
            (
                job_id,
                f"job_{status.lower()}",
                json.dumps({"records_in": summary.get("records_in")}),
            ),
        )


@dataclass
class RunRecord:
    """The run's row while the job works: `conn` (None with the audit off) for what the job
    writes meanwhile; `summary` set by the job before the block ends becomes the row's end."""

    job_id: str
    conn: Any = None
    summary: dict[str, Any] | None = None


@contextmanager
def recorded_run(
    enabled: bool, job_id: str, job_name: str, domain: str, mode: str, started: datetime
) -> Iterator[RunRecord]:
    """job_runs says RUNNING inside the block, then the summary's status, or FAILED (with the
    error) when the block raises. Raises AuditUnavailable before the block when the database
    cannot be reached."""
    if not enabled:
        yield RunRecord(job_id)
        return
    conn = AuditConnection()
    try:
        ensure_schema(conn)
        start_run(conn, job_id, job_name, domain, mode, started)
        record = RunRecord(job_id, conn)
        try:
            yield record
        except BaseException as err:
            if not isinstance(err, AuditLost):  # else the row cannot be reached: it says RUNNING
                finish_run(conn, job_id, "FAILED", {"error": str(err)[:500]}, datetime.now(UTC))
            raise
        summary = record.summary or {}
        finish_run(conn, job_id, summary.get("status", "SUCCEEDED"), summary, datetime.now(UTC))
    finally:
        conn.close()


def insert_violations_sql(
    domain: str,
    job_id: str,
    detected_at: str,
    source: str,
    table: str = "audit_violations",
    extra_columns: tuple[str, ...] = (),
) -> str:
    """INSERT of `source`'s violation rows (the contract's columns, then `extra_columns`) into
    `table` — the jdbc sink by default; `detected_at` is a SQL expression."""
    extra = "".join(f", {c}" for c in extra_columns)
    return (
        f"INSERT INTO {table} SELECT '{domain}', record_id, rule_id, `field`, regulation, "
        f"severity, description, {detected_at}, '{job_id}'{extra} FROM {source}"
    )


def _passfile_needed(settings: DatabaseSettings) -> None:
    if settings.passfile is None:
        raise AuditUnavailable(
            "the streaming job's audit sink reads the database password from a libpq password "
            "file on the TaskManagers, never from its SQL: set COMPLIANCE_DB_PASSFILE here and "
            "PGPASSFILE in the TaskManagers' environment (scripts/services writes run/pgpass "
            "and starts the local cluster with it)"
        )


def _jdbc_upsert_ddl(table: str, columns: str, key: str, target: str,
                     settings: DatabaseSettings | None) -> str:  # fmt: skip
    """Flink SQL DDL of a sink into the audit table `target`, upserted on `key`."""
    settings = settings or DatabaseSettings.from_env()
    _passfile_needed(settings)
    return f"""CREATE TEMPORARY TABLE {table} (
        {columns},
        PRIMARY KEY ({key}) NOT ENFORCED
    ) WITH (
        'connector' = 'jdbc', 'url' = '{settings.jdbc_url}', 'table-name' = '{target}',
        'sink.buffer-flush.max-rows' = '5000', 'sink.buffer-flush.interval' = '1s',
        'sink.max-retries' = '3'
    )"""


def jdbc_violations_ddl(
    table: str = "audit_violations", settings: DatabaseSettings | None = None
) -> str:
    """Flink SQL DDL of the violations sink (upsert on the primary key)."""
    columns = ("domain STRING, record_id STRING, rule_id STRING, field STRING, regulation STRING, "
               "severity STRING, description STRING, detected_at TIMESTAMP(3), job_id STRING")  # fmt: skip
    return _jdbc_upsert_ddl(table, columns, "domain, record_id, rule_id, field", "violations",
                            settings)  # fmt: skip


def jdbc_deletions_ddl(
    table: str = "audit_deletions", settings: DatabaseSettings | None = None
) -> str:
    """Flink SQL DDL of the source_deletions sink (change data capture: a row deleted at the
    source), upserted on its primary key."""
    columns = ("domain STRING, source STRING, record_id STRING, lsn BIGINT, "
               "deleted_at TIMESTAMP(3), detected_at TIMESTAMP(3), job_id STRING")  # fmt: skip
    return _jdbc_upsert_ddl(table, columns, "domain, source, record_id, lsn", "source_deletions",
                            settings)  # fmt: skip


VIOLATION_COPY_COLUMNS = (
    "domain", "record_id", "rule_id", "field", "regulation", "severity", "description",
    "detected_at", "job_id",
)  # fmt: skip


@retried
def upsert_violations(conn, files: list) -> int:
    """Violation rows from Parquet files into the audit table: COPY into a temporary table,
    then one upsert on (domain, record_id, rule_id, field) — a rerun never duplicates. The last
    row of a key wins, as with one upsert per row. Returns the rows read."""
    import io

    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    columns = list(VIOLATION_COPY_COLUMNS)
    names = ", ".join(columns)
    rows = 0
    with conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TEMPORARY TABLE violations_in (LIKE violations) ON COMMIT DROP; "
            "ALTER TABLE violations_in ADD COLUMN seq bigserial"
        )
        for path in files:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=200_000, columns=columns):
                buffer = io.BytesIO()
                pacsv.write_csv(batch, buffer, pacsv.WriteOptions(include_header=False))
                buffer.seek(0)
                cur.copy_expert(
                    f"COPY violations_in ({names}) FROM STDIN WITH (FORMAT csv)", buffer
                )
                rows += batch.num_rows
        cur.execute(
            f"""INSERT INTO violations ({names})
                SELECT DISTINCT ON (domain, record_id, rule_id, field) {names}
                FROM violations_in ORDER BY domain, record_id, rule_id, field, seq DESC
                ON CONFLICT (domain, record_id, rule_id, field) DO UPDATE SET
                    regulation = EXCLUDED.regulation, severity = EXCLUDED.severity,
                    description = EXCLUDED.description, detected_at = EXCLUDED.detected_at,
                    job_id = EXCLUDED.job_id"""
        )
    return rows
