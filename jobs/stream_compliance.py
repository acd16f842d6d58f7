"""The streaming compliance job: Kafka (or, in BATCH mode, a CSV) → validate → detect → protect →
alerts topic at once, quarantine topic, keyed k-anonymity event-time windows → Parquet lake,
violations → Parquet and (with --audit) PostgreSQL.

    python -m jobs.stream_compliance --domain healthcare --output DIR [--bounded] [--audit]
    python -m jobs.stream_compliance --domain healthcare --output DIR --input FILE.csv   # BATCH
    python -m jobs.stream_compliance --domain healthcare --output DIR --cdc public.patients

With --cdc the records are a PostgreSQL table's changes (connectors.cdc starts their capture:
Debezium in Kafka Connect writes them to a topic): inserts and updates are scanned like messages,
each version its own lake row; a delete goes to deleted/ (and the audit), never to the lake.

The same graph runs both ways; only the source differs (the "one runtime" promise).
"""

from __future__ import annotations

import os
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from connectors import audit, cdc, files, kafka, lake, lineage
from connectors.settings import DatabaseSettings, KafkaSettings
from jobs import cli
from jobs.config import PipelineConfig
from udfs.cdc.spec import TableMapping, load_cdc
from udfs.dp.spec import DPConfig, load_dp
from udfs.flink import stream_sql as sql
from udfs.pipeline import LayoutError, payload_names
from udfs.protect.seal import quarantine_secret
from udfs.protect.tokenize import KeyMissing
from udfs.quality.spec import QualityConfig, load_quality
from udfs.rules.ruleset import build_rule_set
from udfs.schema import DomainSchema, SchemaError, load_schema, read_rules

JOB_NAME = "flink-compliance stream"
OUTPUT_DIRS = ("lake", "suppressed", "violations", "alerts", "quarantine", "dp", "dp-topic",
               "quality", "quality-topic", "lineage", "deleted")  # fmt: skip


@dataclass
class StreamJob:
    domain: str
    output: Path
    key_secret: bytes = field(repr=False)
    quarantine_secret: bytes | None = field(default=None, repr=False)  # None: throwaway only
    token_key_id: str | None = None  # the id the tokens carry (udfs.protect.tokenize)
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    input: Path | None = None  # a CSV: BATCH runtime mode instead of Kafka
    bounded: bool = False  # Kafka up to the offsets at start, then finish (tests, backfills)
    audit: bool = False
    parallelism: int | None = None
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    throwaway_key: bool = False
    as_of: datetime = field(default_factory=lambda: datetime.now(UTC))  # for retention rules
    rules_path: Path | None = None  # default conf/rules/<domain>.yaml
    dp_path: Path | None = None  # publish the private aggregates of this settings file
    quality: bool = True  # a quality row per window; a quality alert below the thresholds
    quality_path: Path | None = None  # default conf/quality/<domain>.yaml
    cdc: TableMapping | None = None  # read this table's change events instead of messages
    capture: bool = True  # with cdc: start the capture (connectors.cdc) before reading its topic

    @property
    def batch(self) -> bool:
        return self.input is not None

    def topic(self, name: str) -> str:
        return self.pipeline.kafka.topic(name)


def stream_settings(job: StreamJob) -> dict[str, str]:
    s = job.pipeline.stream
    # Over a CSV (BATCH) the top-level parallelism splits the file; over Kafka, stream's.
    settings = job.pipeline.flink_settings(
        job.parallelism or (None if job.batch else s.parallelism)
    )
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
        settings["execution.checkpointing.unaligned.enabled"] = str(s.unaligned_checkpoints).lower()
        settings["pipeline.auto-watermark-interval"] = "200 ms"
        settings["table.exec.source.idle-timeout"] = f"{s.idle_timeout_ms} ms"
        # A Python worker process per Python operator (`flink:` may say otherwise): sharing the
        # slot's managed memory (Flink's default) they share one process, and each window close's
        # release (0.2-0.25 s of Python) held the step's alerts behind it — the closes' 5 s
        # slices p99 0.4-0.6 s against 0.15-0.4 apart (docs/performance.md, session 32). The
        # workers' memory (~200 MB each) is then outside the slot's managed budget.
        settings.setdefault("python.fn-execution.memory.managed", "false")
    return settings


def source(t_env, job: StreamJob, schema: DomainSchema, rules_config: dict,
           quality: QualityConfig | None = None):  # fmt: skip
    """The processed rows (step_names + rowtime, and proctime in STREAMING) from Kafka messages
    or CSV lines."""
    from pyflink.table.expressions import col

    from jobs.runtime import translated_once
    from udfs.flink.functions import (
        VIOLATIONS_FUNCTION,
        ProcessLines,
        ProcessMessages,
        as_pandas_udf,
        step_names,
        violation_rows_sql,
    )

    severity = job.pipeline.alerts.min_severity
    args = (schema, rules_config, job.as_of, job.key_secret, job.throwaway_key)
    step = sql.processed_sql(step_names(schema), job.batch)
    if job.batch:
        layouts = files.read_layouts(job.input, schema)
        fn = ProcessLines(*args, layouts=layouts, alert_min_severity=severity, window_keys=True,
                          quarantine_secret=job.quarantine_secret, token_key_id=job.token_key_id,
                          quality=quality)  # fmt: skip
        t_env.create_temporary_function("process_input", as_pandas_udf(fn, schema))
        t_env.execute_sql(files.raw_lines_ddl("raw_input", job.input))
        lines = t_env.to_data_stream(t_env.from_path("raw_input")).rebalance()
        t_env.create_temporary_view(
            "input_rows", t_env.from_data_stream(lines).select(col("line"), col("path"))
        )
        processed = t_env.from_data_stream(t_env.to_data_stream(t_env.sql_query(step)))
        t_env.create_temporary_view("processed", t_env.sql_query(sql.batch_rowtime_sql(processed)))
    else:
        topic, group, time_field = input_topic(job)
        kafka.ensure_topics([topic], job.pipeline.kafka.partitions)
        t_env.create_java_temporary_system_function(*kafka.EVENT_TIME_FUNCTION)
        t_env.execute_sql(
            kafka.source_ddl(
                "input_rows", topic, group, job.bounded, time_field=time_field,
                out_of_orderness_ms=job.pipeline.stream.out_of_orderness_ms,
                parallelism=job.pipeline.kafka.source_parallelism,
                change_events=job.cdc is not None,
            )
        )  # fmt: skip
        fn = ProcessMessages(*args, alert_min_severity=severity, window_keys=True,
                             quarantine_secret=job.quarantine_secret,
                             token_key_id=job.token_key_id, changes=job.cdc,
                             quality=quality)  # fmt: skip
        t_env.create_temporary_function("process_input", as_pandas_udf(fn, schema))
        t_env.create_temporary_view("processed", translated_once(t_env, t_env.sql_query(step)))
    t_env.create_java_temporary_system_function(*VIOLATIONS_FUNCTION)
    t_env.create_temporary_view("violation_rows", t_env.sql_query(violation_rows_sql()))


def input_topic(job: StreamJob) -> tuple[str, str, str | None]:
    """The topic read, its consumer group and the JSON field holding the event time (change
    events: none, their time is when the source committed them)."""
    if job.cdc is None:
        return job.topic(job.domain), f"compliance-stream-{job.domain}", "created_at"
    return job.cdc.topic, f"compliance-stream-{job.domain}-{job.cdc.name}", None


def windowed_lake(t_env, job: StreamJob, schema: DomainSchema) -> list[str]:
    """Valid records → tumbling event-time windows per group key, collected in the JVM → one
    Python call per window and key that decides which groups ≥ k are released and how (the JVM
    applies it) and which are suppressed. Records that arrive after their window closed are
    suppressed as late, never dropped: in STREAMING the window operator itself says which
    (udfs/jvm KAnonymityWindows)."""
    from udfs.flink.windows import kanonymity_windows, qi_positions, release_plan_udf

    columns = sql.window_columns(payload_names(schema))
    window_ms = job.pipeline.stream.window_ms
    t_env.create_java_temporary_system_function(*sql.PACK_FUNCTION)
    if job.batch:
        t_env.create_java_temporary_function("window_phase", "io.flinkcompliance.udfs.WindowPhase")
        t_env.create_temporary_view("on_time", t_env.sql_query(sql.on_time_sql(columns, window_ms)))
    else:
        records = t_env.sql_query(sql.window_input_sql(columns))
        t_env.create_temporary_view("window_outputs", kanonymity_windows(t_env, records, window_ms))
    t_env.create_temporary_view("late", t_env.sql_query(sql.late_sql(job.batch)))
    t_env.create_temporary_function("release_plan", release_plan_udf(schema.anonymity, columns))
    t_env.create_java_temporary_system_function(*sql.RELEASE_FUNCTION)
    t_env.create_java_temporary_system_function(*sql.PROJECT_FUNCTION)
    windowed = sql.windowed_sql(columns, job.batch, qi_positions(schema.anonymity, columns))
    t_env.create_temporary_view("windowed", t_env.sql_query(windowed))
    return columns


def private_aggregates(t_env, job: StreamJob, dp: DPConfig) -> list[str]:
    """Per tumbling event-time window of dp.window_minutes (one window over a BATCH run's whole
    input would need its end: BATCH uses the same windows), each aggregate's published rows."""
    from udfs.flink.dp import NAMES, release_dp_udtf

    records = sql.dp_records_sql(dp.columns, dp.person, job.batch)
    t_env.create_temporary_view("dp_records", t_env.sql_query(records))
    views = []
    for i, aggregate in enumerate(dp.aggregates):
        groups, value = aggregate.group_columns, sql.clamped_sql(aggregate.column, aggregate.bounds)
        pairs = sql.dp_pairs_sql(dp.person, groups, value, job.batch, dp.window_minutes)
        t_env.create_temporary_view(f"dp_pairs_{i}", t_env.sql_query(pairs))
        t_env.create_temporary_function(
            f"dp_release_{i}", release_dp_udtf(dp, aggregate.name, job.job_id)
        )
        released = sql.dp_release_sql(f"dp_pairs_{i}", f"dp_release_{i}", dp.person, groups,
                                      job.batch, dp.window_minutes, NAMES)  # fmt: skip
        t_env.create_temporary_view(f"dp_released_{i}", t_env.sql_query(released))
        views.append(f"dp_released_{i}")
    dp_cols = [(n, "DOUBLE" if n in ("value", "epsilon", "delta") else "STRING") for n in NAMES]
    t_env.execute_sql(lake.parquet_sink_ddl("dp_sink", job.output / "dp", dp_cols))
    if job.batch:
        text = [("k", "STRING"), ("v", "STRING")]
        t_env.execute_sql(lake.parquet_sink_ddl("dp_topic_sink", job.output / "dp-topic", text))
    else:
        topic = job.topic("dp")
        kafka.ensure_topics([topic], job.pipeline.kafka.partitions)
        t_env.execute_sql(kafka.keyed_sink_ddl("dp_topic_sink", topic))
    return views


def quality_windows(t_env, job: StreamJob, quality: QualityConfig) -> None:
    """Per window of quality.window_seconds of processing time (the whole input in BATCH), the
    data quality: every window to quality/ (Parquet), those below the thresholds to the quality
    topic (quality-topic/ in BATCH)."""
    from udfs.flink.quality import score_quality_udf

    t_env.create_temporary_function("score_quality", score_quality_udf(quality))
    t_env.create_temporary_view("quality_rows", t_env.sql_query(sql.quality_rows_sql(job.batch)))
    windows = sql.quality_windows_sql(job.batch, quality.window_seconds)
    t_env.create_temporary_view("quality_windows", t_env.sql_query(windows))
    cols = [(n, {"score": "DOUBLE", "passed": "BOOLEAN"}.get(n, "STRING"))
            for n in sql.QUALITY_NAMES]  # fmt: skip
    t_env.execute_sql(lake.parquet_sink_ddl("quality_sink", job.output / "quality", cols))
    text = [("k", "STRING"), ("v", "STRING")]
    if job.batch:
        t_env.execute_sql(lake.parquet_sink_ddl("quality_topic_sink", job.output / "quality-topic",
                                                text))  # fmt: skip
        return
    topic = job.topic("quality")
    kafka.ensure_topics([topic], job.pipeline.kafka.partitions)
    t_env.execute_sql(kafka.keyed_sink_ddl("quality_topic_sink", topic))


def sinks(t_env, job: StreamJob, columns: list[str]) -> None:
    """The lake (partitioned by day), suppressed and violations as Parquet; alerts and
    quarantine to their topics (as files in BATCH: a bounded run has no topics to feed)."""
    out, text = job.output, [("k", "STRING"), ("v", "STRING")]
    lake_cols = [(c, "STRING") for c in sql.lake_columns(columns)] + [("date", "STRING")]
    suppressed_cols = [("record_id", "STRING"), ("event_date", "STRING"), ("reason", "STRING")]
    violation_cols = [(n, "STRING") for n in (*lake.VIOLATION_COLUMNS, "job_id", "event_date")]
    t_env.execute_sql(lake.parquet_sink_ddl("lake_sink", out / "lake", lake_cols, partition="date"))
    t_env.execute_sql(lake.parquet_sink_ddl("suppressed_sink", out / "suppressed", suppressed_cols))
    # ~4 rows per record through the row-at-a-time Parquet writer, in the source's chain: its
    # dictionary encoding cost more than the rest of that writer.
    violations = lake.parquet_sink_ddl("violations_sink", out / "violations", violation_cols,
                                       dictionary=False)  # fmt: skip
    t_env.execute_sql(violations)
    if job.cdc is not None:
        deleted = [(n, {"lsn": "BIGINT", "deleted_at": "TIMESTAMP(3)"}.get(n, "STRING"))
                   for n in sql.DELETED_NAMES]  # fmt: skip
        t_env.execute_sql(lake.parquet_sink_ddl("deleted_sink", out / "deleted", deleted))
    if job.batch:
        t_env.execute_sql(lake.parquet_sink_ddl("alerts_sink", out / "alerts", text))
        t_env.execute_sql(lake.parquet_sink_ddl("quarantine_sink", out / "quarantine", text))
        return
    alerts, quarantine = job.topic("alerts"), job.topic("quarantine")
    kafka.ensure_topics([alerts, quarantine], job.pipeline.kafka.partitions,
                        configs={alerts: {"message.timestamp.type": "LogAppendTime"}})  # fmt: skip
    t_env.execute_sql(kafka.keyed_sink_ddl("alerts_sink", alerts))
    t_env.execute_sql(kafka.keyed_sink_ddl("quarantine_sink", quarantine))


def build(t_env, job: StreamJob, schema: DomainSchema, rules_config: dict,
          dp: DPConfig | None = None, quality: QualityConfig | None = None):  # fmt: skip
    """Settings are in t_env; sources → the Python step → windows → sinks, as one statement set."""
    source(t_env, job, schema, rules_config, quality)
    columns = windowed_lake(t_env, job, schema)
    sinks(t_env, job, columns)
    statements = t_env.create_statement_set()
    for insert in sql.inserts(job.domain, job.job_id, columns):
        statements.add_insert_sql(insert)
    if quality is not None:
        quality_windows(t_env, job, quality)
        for insert in sql.quality_inserts():
            statements.add_insert_sql(insert)
    if dp is not None:
        from udfs.flink.dp import NAMES

        for insert in sql.dp_inserts(private_aggregates(t_env, job, dp), NAMES):
            statements.add_insert_sql(insert)
    if job.audit:
        t_env.execute_sql(audit.jdbc_violations_ddl("audit_violations"))
        when = "CAST(CURRENT_TIMESTAMP AS TIMESTAMP(3))"  # when the stream saw it
        statements.add_insert_sql(
            audit.insert_violations_sql(job.domain, job.job_id, when, "violation_rows")
        )
    if job.cdc is not None:
        if job.audit:
            t_env.execute_sql(audit.jdbc_deletions_ddl("audit_deletions"))
        for insert in sql.deleted_inserts(job.cdc.qualified, job.job_id, job.domain, job.audit):
            statements.add_insert_sql(insert)
    return statements


def run(job: StreamJob, detached: bool = False):
    from jobs.runtime import ship_plugins, stream_table_env

    job.quarantine_secret = quarantine_secret(job.quarantine_secret, job.throwaway_key)
    if job.audit:  # a local MiniCluster's JDBC sink reads the password there (no secret in SQL)
        passfile = DatabaseSettings.from_env().passfile
        if passfile is not None:
            os.environ.setdefault("PGPASSFILE", str(passfile))
    schema = load_schema(job.domain)
    rules_config = read_rules(job.domain, job.rules_path)
    build_rule_set(rules_config, schema, job.as_of)  # a bad rule or plugin: said here
    dp = load_dp(schema, job.dp_path) if job.dp_path else None
    quality = load_quality(schema, job.quality_path) if job.quality else None
    if job.audit or dp is not None:  # the private aggregates' budget is kept there too
        conn = audit.connect()
        audit.ensure_schema(conn)
        conn.close()
    if job.batch:  # a bounded run replaces its outputs; a stream keeps them across restarts
        lake.prepare_output(job.output, OUTPUT_DIRS)
    if job.cdc is not None and job.capture:
        cdc.start(job.cdc, job.pipeline.kafka.partitions)
    env, t_env = stream_table_env(batch=job.batch, settings=stream_settings(job))
    rules_config = ship_plugins(t_env, rules_config)
    statements = build(t_env, job, schema, rules_config, dp, quality)
    statements.attach_as_datastream()
    trail = stream_lineage(job, schema, quality, dp is not None)
    trail.start(stream_outputs(job, dp is not None, quality is not None, written=False))
    if detached:  # the job outlives this process: its lineage is the START event
        client = env.execute_async(f"{JOB_NAME} {job.domain}")
        return client.get_job_id()
    try:
        result = env.execute(f"{JOB_NAME} {job.domain}")
    except BaseException as err:
        trail.fail(str(err)[:2000] or type(err).__name__)
        raise
    trail.inputs = stream_inputs(job)  # the offsets it read up to
    trail.complete(stream_outputs(job, dp is not None, quality is not None))
    return result


def stream_inputs(job: StreamJob) -> list[lineage.Source]:
    if job.batch:
        return [lineage.file_source(Path(p)) for p in files.list_input_files(job.input)]
    topic = input_topic(job)[0]
    bootstrap = KafkaSettings.from_env().bootstrap_servers
    found = [lineage.kafka_source(bootstrap, topic, kafka.end_offsets(topic))]
    if job.cdc is not None:  # the table whose changes the topic holds
        db = cdc.source_settings(job.cdc)
        found.insert(0, lineage.postgres_source(db.host, db.port, db.name, job.cdc.table,
                                                job.cdc.schema))  # fmt: skip
    return found


def stream_outputs(job: StreamJob, dp: bool, quality: bool, written: bool = True
                   ) -> list[lineage.Source]:  # fmt: skip
    """The lake — its partitions once `written`, its directory before (the START of a stream
    that may never end names where it writes) —, the Parquet outputs, the topics (folders in
    BATCH), the audit."""
    out = job.output
    found = lineage.lake_partitions(out / "lake") if written else [lineage.dir_source(out / "lake")]
    kept = ("suppressed", "violations", *(("deleted",) if job.cdc is not None else ()))
    found += [lineage.dir_source(out / d) for d in kept]
    extra = [*(["dp"] if dp else []), *(["quality"] if quality else [])]
    found += [lineage.dir_source(out / d) for d in extra]
    roles = ["alerts", "quarantine", *extra]
    if job.batch:
        found += [lineage.dir_source(out / (r if r in ("alerts", "quarantine") else f"{r}-topic"))
                  for r in roles]  # fmt: skip
    else:
        bootstrap = KafkaSettings.from_env().bootstrap_servers
        found += [lineage.kafka_source(bootstrap, job.topic(r)) for r in roles]
    if job.audit:  # the stream writes violations (and with --cdc source_deletions) only
        deletions = ("source_deletions",) if job.cdc is not None else ()
        found += lineage.audit_tables(("violations", *deletions))
    return found


def stream_lineage(job: StreamJob, schema: DomainSchema, quality: QualityConfig | None,
                   dp: bool) -> lineage.RunLineage:  # fmt: skip
    conn = audit.connect() if job.audit else None
    trail = lineage.RunLineage(
        JOB_NAME.replace(" ", "."), job.job_id, job.domain, "BATCH" if job.batch else "STREAMING",
        [(f.name, f.type) for f in schema.fields],
        lineage.versions(job.domain, job.rules_path, quality), job.pipeline.lineage, job.output,
        conn,
    )  # fmt: skip
    trail.inputs = stream_inputs(job)
    return trail


def main(argv: list[str] | None = None) -> int:
    parser = cli.job_parser(
        "jobs.stream_compliance",
        __doc__,
        "a CSV file or directory: BATCH mode instead of Kafka",
        False,
    )
    parser.add_argument(
        "--bounded", action="store_true", help="read Kafka up to the offsets at start, then stop"
    )
    parser.add_argument("--detached", action="store_true", help="submit and return (cluster)")
    parser.add_argument(
        "--cdc", metavar="TABLE",
        help="read a PostgreSQL table's changes (schema.table, mapped in conf/cdc/<domain>.yaml)",
    )  # fmt: skip
    parser.add_argument("--cdc-mapping", type=Path, metavar="FILE",
                        help="the table mappings (default conf/cdc/<domain>.yaml)")  # fmt: skip
    parser.add_argument(
        "--no-capture", action="store_true",
        help="with --cdc: only read the change topic (its capture runs elsewhere)",
    )  # fmt: skip
    args = cli.parse(parser, argv)
    try:
        common = cli.resolve(args)
        if args.cdc and common.input is not None:
            raise ValueError("--cdc reads a table's changes from Kafka: it takes no --input")
        table = (
            load_cdc(load_schema(args.domain), args.cdc_mapping).table(args.cdc)
            if args.cdc
            else None
        )
        job = StreamJob(**common.kwargs(), bounded=args.bounded, cdc=table,
                        capture=not args.no_capture)  # fmt: skip
        result = run(job, detached=args.detached)
    except (KeyMissing, SchemaError, ValueError, files.InputError, LayoutError,
            audit.AuditUnavailable, cdc.CaptureError) as err:  # fmt: skip
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(result if args.detached else f"finished: {job.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
