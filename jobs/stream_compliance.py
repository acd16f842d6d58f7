"""The streaming compliance job: Kafka (or, in BATCH mode, a CSV) → validate → detect → protect →
alerts topic at once, quarantine topic, keyed k-anonymity event-time windows → Parquet lake,
violations → Parquet and (with --audit) PostgreSQL.

    python -m jobs.stream_compliance --domain healthcare --output DIR [--bounded] [--audit]
    python -m jobs.stream_compliance --domain healthcare --output DIR --input FILE.csv   # BATCH

The same graph runs both ways; only the source differs (the "one runtime" promise).
"""

from __future__ import annotations

import argparse
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from connectors import audit, files, kafka, lake
from jobs.config import PipelineConfig
from udfs.pipeline import LayoutError, output_names, payload_names
from udfs.protect.tokenize import TokenKeyMissing, key_secret_from_env
from udfs.schema import CONF_DIR, DomainSchema, SchemaError, load_schema, read_yaml

JOB_NAME = "flink-compliance stream"
UNPLACED = "created_at not in UTC ISO-8601 (…Z): no event-time window"
OUTPUT_DIRS = ("lake", "suppressed", "violations", "alerts", "quarantine")


@dataclass
class StreamJob:
    domain: str
    output: Path
    key_secret: bytes = field(repr=False)
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    input: Path | None = None  # a CSV: BATCH runtime mode instead of Kafka
    bounded: bool = False  # Kafka up to the offsets at start, then finish (tests, backfills)
    audit: bool = False
    parallelism: int | None = None
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    throwaway_key: bool = False

    @property
    def batch(self) -> bool:
        return self.input is not None

    def topic(self, name: str) -> str:
        return self.pipeline.kafka.topic(name)


def stream_settings(job: StreamJob) -> dict[str, str]:
    s = job.pipeline.stream
    settings = job.pipeline.flink_settings(job.parallelism)
    settings.update(
        {
            "pipeline.name": f"{JOB_NAME} {job.domain}",
            "table.local-time-zone": "UTC",  # windows aligned the same way everywhere
            # A window's release (a Python table function) emits one row per record joined to
            # its input row, which holds the window's whole array: copying that row between
            # chained operators for every output row made a window close quadratic (at 2,000
            # records/s the job stalled for minutes). SQL operators do not keep records.
            "pipeline.object-reuse": "true",
            "restart-strategy.type": "fixed-delay",
            "restart-strategy.fixed-delay.attempts": str(s.restart_attempts),
            "restart-strategy.fixed-delay.delay": f"{s.restart_delay_ms} ms",
        }
    )
    if job.batch:
        # Python timers under BATCH's sorted-input state backend can hang in process mode.
        settings["execution.batch-state-backend.enabled"] = "false"
    else:
        # The default bundle time (1 s) is a latency floor for alerts.
        settings["python.fn-execution.bundle.time"] = str(s.bundle_time_ms)
        settings["python.fn-execution.bundle.size"] = str(s.bundle_size)
        settings["execution.checkpointing.interval"] = f"{s.checkpoint_interval_ms} ms"
        settings["execution.checkpointing.mode"] = "EXACTLY_ONCE"
        settings["pipeline.auto-watermark-interval"] = "200 ms"
        settings["table.exec.source.idle-timeout"] = f"{s.idle_timeout_ms} ms"
    return settings


def source(t_env, job: StreamJob, schema: DomainSchema, rules_config: dict):
    """The processed rows (output_names + rowtime) from Kafka messages or CSV lines."""
    from pyflink.table.expressions import col

    from udfs.flink.functions import (
        ProcessLines,
        ProcessMessages,
        as_pandas_udf,
        violation_rows_sql,
    )

    severity = job.pipeline.alerts.min_severity
    args = (schema, rules_config, _as_of(), job.key_secret, job.throwaway_key)
    fields = ", ".join(f"r.`{n}` AS `{n}`" for n in output_names(schema))
    if job.batch:
        layouts = files.read_layouts(job.input, schema)
        fn = ProcessLines(*args, layouts=layouts, alert_min_severity=severity, window_keys=True)
        t_env.create_temporary_function("process_input", as_pandas_udf(fn, schema))
        t_env.execute_sql(files.raw_lines_ddl("raw_input", job.input))
        rebalanced = t_env.from_data_stream(
            t_env.to_data_stream(t_env.from_path("raw_input")).rebalance()
        )
        t_env.create_temporary_view("input_rows", rebalanced.select(col("line"), col("path")))
        processed = t_env.sql_query(
            f"SELECT {fields} FROM (SELECT process_input(`path`, `line`) AS r FROM input_rows)"
        )
        # No watermarks in BATCH: the windows read event time from the Python step's event_ms.
        processed = t_env.from_data_stream(t_env.to_data_stream(processed))
        t_env.create_temporary_view(
            "processed",
            t_env.sql_query(
                "SELECT *, TO_TIMESTAMP_LTZ(CAST(event_ms AS BIGINT), 3) AS rowtime FROM "
                f"{processed}"
            ),
        )
    else:
        topic = job.topic(job.domain)
        kafka.ensure_topics([topic], job.pipeline.kafka.partitions)
        t_env.execute_sql(
            kafka.source_ddl(
                "input_rows",
                topic,
                f"compliance-stream-{job.domain}",
                job.bounded,
                time_field="created_at",
                out_of_orderness_ms=job.pipeline.stream.out_of_orderness_ms,
                parallelism=job.pipeline.kafka.source_parallelism,
            )
        )
        fn = ProcessMessages(*args, alert_min_severity=severity, window_keys=True)
        t_env.create_temporary_function("process_input", as_pandas_udf(fn, schema))
        # rowtime (a time attribute, watermarked per Kafka partition) passes the Python step.
        t_env.create_temporary_view(
            "processed",
            t_env.sql_query(
                f"SELECT {fields}, rowtime FROM "
                "(SELECT process_input(message, source_ts) AS r, rowtime FROM input_rows)"
            ),
        )

    t_env.create_temporary_view("violation_rows", t_env.sql_query(violation_rows_sql()))


def _as_of():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def windowed_lake(t_env, job: StreamJob, schema: DomainSchema) -> list[str]:
    """Valid records → tumbling event-time windows per group key, collected in the JVM (Flink
    SQL) → one Python call per window and key that releases groups ≥ k or suppresses them.
    Records that arrive after the watermark passed them are suppressed as late, never dropped."""
    from udfs.flink.windows import release_window_udtf

    columns = ["record_id", "event_date", "event_ms", *payload_names(schema), "extra"]
    packed = "JSON_ARRAY(" + ", ".join(f"`{c}`" for c in columns) + " NULL ON NULL)"
    # A bounded CSV run has no late records: its only watermark is the final one.
    late = "FALSE" if job.batch else "rowtime <= CURRENT_WATERMARK(rowtime)"
    t_env.create_temporary_view(
        "on_time",
        t_env.sql_query(
            f"SELECT group_key, {packed} AS packed, rowtime FROM processed "
            f"WHERE kind = 'record' AND rowtime IS NOT NULL AND NOT ({late}) IS TRUE"
        ),
    )
    reason = (
        f"CASE WHEN rowtime IS NULL THEN '{UNPLACED}' ELSE 'late' END"
        if not job.batch
        else "'late'"
    )
    t_env.create_temporary_view(
        "late",
        t_env.sql_query(
            f"SELECT record_id, event_date, {reason} AS reason FROM processed "
            f"WHERE kind = 'record' AND (rowtime IS NULL OR ({late}) IS TRUE)"
        ),
    )
    t_env.create_temporary_function(
        "release_window", release_window_udtf(schema.anonymity, columns)
    )
    window_s = job.pipeline.stream.window_ms / 1000
    size = f"INTERVAL '{window_s:.3f}' SECOND"
    # Streaming: GROUP BY TUMBLE, not the TUMBLE table function. The latter's operator restores
    # its watermark from a savepoint and silently drops records of windows fired before it,
    # while the late filter above (CURRENT_WATERMARK) starts afresh after a restore. This one
    # starts afresh too, so "not late here" always means "not dropped there". (BATCH has no
    # restores, and GROUP BY TUMBLE there does not take a TIMESTAMP_LTZ.)
    windows = (
        f"TABLE(TUMBLE(TABLE on_time, DESCRIPTOR(rowtime), {size})) "
        "GROUP BY window_start, window_end, group_key"
        if job.batch
        else f"on_time GROUP BY TUMBLE(rowtime, {size}), group_key"
    )
    names = ", ".join(f"`{c}`" for c in ["kind", *columns])
    t_env.create_temporary_view(
        "windowed",
        t_env.sql_query(
            f"""SELECT {names} FROM (
                SELECT group_key, ARRAY_AGG(packed) AS items FROM {windows}
            ), LATERAL TABLE(release_window(items)) AS T({names})"""
        ),
    )
    return columns


def build(t_env, job: StreamJob, schema: DomainSchema, rules_config: dict):
    source(t_env, job, schema, rules_config)
    columns = windowed_lake(t_env, job, schema)
    out = job.output
    record_cols = [c for c in columns if c not in ("event_date", "event_ms")]
    lake_cols = [(c, "STRING") for c in record_cols] + [("date", "STRING")]
    commit = (
        "'sink.partition-commit.policy.kind' = 'success-file', 'sink.partition-commit.trigger' = 'process-time', "
        "'sink.partition-commit.delay' = '0 s', "
    )
    t_env.execute_sql(
        f"""CREATE TEMPORARY TABLE lake_sink ({", ".join(f"`{n}` {t}" for n, t in lake_cols)})
        PARTITIONED BY (`date`) WITH ({commit}'connector' = 'filesystem',
        'path' = '{(out / "lake").resolve().as_uri()}', 'format' = 'parquet')"""
    )
    t_env.execute_sql(
        lake.parquet_sink_ddl(
            "suppressed_sink",
            out / "suppressed",
            [("record_id", "STRING"), ("event_date", "STRING"), ("reason", "STRING")],
        )
    )
    t_env.execute_sql(
        lake.parquet_sink_ddl(
            "violations_sink",
            out / "violations",
            [(n, "STRING") for n in lake.VIOLATION_COLUMNS]
            + [("job_id", "STRING"), ("event_date", "STRING")],
            # ~4 rows per record through the row-at-a-time Parquet writer, in the source's
            # chain: its dictionary encoding cost more than the rest of that writer.
            dictionary=False,
        )
    )
    statements = t_env.create_statement_set()
    lake_select = ", ".join(f"`{n}`" for n in record_cols)
    statements.add_insert_sql(
        f"INSERT INTO lake_sink SELECT {lake_select}, event_date FROM windowed WHERE kind = 'lake'"
    )
    statements.add_insert_sql(
        "INSERT INTO suppressed_sink SELECT record_id, event_date, 'group smaller than k' "
        "FROM windowed WHERE kind = 'suppressed'"
    )
    statements.add_insert_sql(
        "INSERT INTO suppressed_sink SELECT record_id, event_date, reason FROM late"
    )
    violation_cols = "record_id, rule_id, `field`, regulation, severity, description"
    statements.add_insert_sql(
        f"INSERT INTO violations_sink SELECT '{job.domain}', {violation_cols}, '{job.job_id}', event_date "
        "FROM violation_rows"
    )
    if job.batch:
        # Alerts and quarantine as files: a bounded run has no topics to feed.
        t_env.execute_sql(
            lake.parquet_sink_ddl("alerts_sink", out / "alerts", [("k", "STRING"), ("v", "STRING")])
        )
        t_env.execute_sql(
            lake.parquet_sink_ddl(
                "quarantine_sink", out / "quarantine", [("k", "STRING"), ("v", "STRING")]
            )
        )
    else:
        alerts, quarantine = job.topic("alerts"), job.topic("quarantine")
        kafka.ensure_topics(
            [alerts, quarantine],
            job.pipeline.kafka.partitions,
            configs={alerts: {"message.timestamp.type": "LogAppendTime"}},
        )
        t_env.execute_sql(kafka.keyed_sink_ddl("alerts_sink", alerts))
        t_env.execute_sql(kafka.keyed_sink_ddl("quarantine_sink", quarantine))
    statements.add_insert_sql(
        "INSERT INTO alerts_sink SELECT record_id, alert FROM processed "
        "WHERE kind = 'record' AND alert IS NOT NULL"
    )
    statements.add_insert_sql(
        "INSERT INTO quarantine_sink SELECT record_id, JSON_OBJECT('record_id' VALUE record_id, "
        f"'domain' VALUE '{job.domain}', 'reason' VALUE reason, 'raw' VALUE `raw`) "
        "FROM processed WHERE kind = 'quarantine'"
    )
    if job.audit:
        t_env.execute_sql(audit.jdbc_violations_ddl("audit_violations"))
        statements.add_insert_sql(
            audit.insert_violations_sql(
                job.domain,
                job.job_id,
                "CAST(CURRENT_TIMESTAMP AS TIMESTAMP(3))",  # when the stream saw it
                "violation_rows",
            )
        )
    return statements


def run(job: StreamJob, detached: bool = False):
    from jobs.runtime import stream_table_env

    schema = load_schema(job.domain)
    rules_config = read_yaml(CONF_DIR / "rules" / f"{job.domain}.yaml")
    if job.audit:
        conn = audit.connect()
        audit.ensure_schema(conn)
        conn.close()
    if job.batch:  # a bounded run replaces its outputs; a stream keeps them across restarts
        lake.prepare_output(job.output, OUTPUT_DIRS)
    env, t_env = stream_table_env(batch=job.batch, settings=stream_settings(job))
    statements = build(t_env, job, schema, rules_config)
    statements.attach_as_datastream()
    if detached:
        client = env.execute_async(f"{JOB_NAME} {job.domain}")
        return client.get_job_id()
    return env.execute(f"{JOB_NAME} {job.domain}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.stream_compliance", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--domain", choices=("healthcare", "financial"), required=True)
    parser.add_argument(
        "--output", type=Path, required=True, help="lake, violations and suppressed go here"
    )
    parser.add_argument(
        "--input", type=Path, help="a CSV file or directory: run in BATCH mode instead of Kafka"
    )
    parser.add_argument(
        "--bounded", action="store_true", help="read Kafka up to the offsets at start, then stop"
    )
    parser.add_argument("--detached", action="store_true", help="submit and return (cluster)")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--audit", action="store_true")
    parser.add_argument("--parallelism", type=int)
    args, _ = parser.parse_known_args(argv)
    try:
        job = StreamJob(
            domain=args.domain,
            output=args.output.resolve(),
            key_secret=key_secret_from_env(),
            pipeline=PipelineConfig.load(args.config),
            input=args.input.resolve() if args.input else None,
            bounded=args.bounded,
            audit=args.audit,
            parallelism=args.parallelism,
        )
        result = run(job, detached=args.detached)
    except (
        TokenKeyMissing,
        SchemaError,
        files.InputError,
        LayoutError,
        audit.AuditUnavailable,
    ) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(result if args.detached else f"finished: {job.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
