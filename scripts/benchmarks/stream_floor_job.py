"""The Flink program of `scripts/bench stream-floor`: the streaming job's first stages alone,
with its settings (jobs.stream_compliance.stream_settings), each variant ending in one keyed Kafka
sink that gets one message per input message:

- `kafka`: the job's Kafka source (event time, watermarks) → the sink. No Python.
- `bridge`: + a vectorized Python function that returns its input (the Arrow bridge alone,
  with the job's bundles).
- `step`: + the job's real step (validate, detect, protect: `process_input`) instead, the
  record's id and kind to the sink — no violations, windows, lake or quality.
- `alerts`, `violations`, `windows`: `step` plus that one stage of the job, as the job builds
  it: the alerts and quarantine topics; the violations exploded into their Parquet; the
  k-anonymity windows, their release and the lake (with the suppressed records).

    flink run --python scripts/benchmarks/stream_floor_job.py --variant step --config FILE \
        --input TOPIC --output TOPIC
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

# The job's stages a variant adds to `step`: the sinks of their INSERTs (udfs.flink.stream_sql)
STAGES = {
    "alerts": ("alerts_sink", "quarantine_sink"),
    "violations": ("violations_sink",),
    "windows": ("lake_sink", "suppressed_sink"),
}
VARIANTS = ("kafka", "bridge", "step", *STAGES)
# The output's key is the input's record id, so that each output is timed against its input.
KEY = "JSON_VALUE(CAST(message AS STRING), '$.record_id')"


def stage_topics(output_topic: str) -> dict[str, str]:
    """The alerts and quarantine topics of the `alerts` variant (the driver deletes them)."""
    return {role: f"{output_topic}-{role}" for role in ("alerts", "quarantine")}


def build(t_env, variant: str, job, input_topic: str, output_topic: str):
    """The variant's graph as a statement set, its source and sink as the job's."""
    from connectors import kafka

    stages: list[str] = []
    if variant == "step" or variant in STAGES:
        from jobs.stream_compliance import sinks, source, windowed_lake
        from udfs.flink import stream_sql
        from udfs.schema import load_schema, read_rules

        schema = load_schema(job.domain)
        source(t_env, job, schema, read_rules(job.domain))
        rows = "SELECT record_id, kind FROM processed"
        if variant in STAGES:
            columns = windowed_lake(t_env, job, schema)
            sinks(t_env, job, columns)
            stages = [
                insert
                for insert in stream_sql.inserts(job.domain, job.job_id, columns)
                if insert.split()[2] in STAGES[variant]
            ]
    else:
        t_env.create_java_temporary_system_function(*kafka.EVENT_TIME_FUNCTION)
        t_env.execute_sql(
            kafka.source_ddl("input_rows", input_topic, f"floor-{output_topic}", False,
                             time_field="created_at",
                             out_of_orderness_ms=job.pipeline.stream.out_of_orderness_ms,
                             parallelism=job.pipeline.kafka.source_parallelism)
        )  # fmt: skip
        if variant == "bridge":
            from pyflink.table import DataTypes
            from pyflink.table.udf import udf

            same = udf(lambda message: message, result_type=DataTypes.BYTES(), func_type="pandas")
            t_env.create_temporary_function("same", same)
            rows = f"SELECT {KEY}, CAST(same(message) AS STRING) FROM input_rows"
        else:
            rows = f"SELECT {KEY}, CAST(message AS STRING) FROM input_rows"
    t_env.execute_sql(kafka.keyed_sink_ddl("floor_sink", output_topic))
    statements = t_env.create_statement_set()
    statements.add_insert_sql(f"INSERT INTO floor_sink {rows}")
    for insert in stages:
        statements.add_insert_sql(insert)
    return statements


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variant", choices=VARIANTS, required=True)
    parser.add_argument("--config", type=Path, required=True, help="pipeline settings (YAML)")
    parser.add_argument("--input", required=True, help="the topic to read")
    parser.add_argument("--output", required=True, help="the topic to write")
    args = parser.parse_args(argv)
    from jobs.config import PipelineConfig
    from jobs.runtime import stream_table_env
    from jobs.stream_compliance import StreamJob, stream_settings
    from udfs.protect.seal import quarantine_secret

    config = PipelineConfig.load(args.config)
    topics = {**config.kafka.topics, "healthcare": args.input, **stage_topics(args.output)}
    config = replace(config, kafka=replace(config.kafka, topics=topics))
    job = StreamJob("healthcare", Path(tempfile.mkdtemp(prefix="floor-")), b"floor-key" * 4,
                    pipeline=config, throwaway_key=True)  # fmt: skip
    job.quarantine_secret = quarantine_secret(None, True)
    env, t_env = stream_table_env(batch=False, settings=stream_settings(job))
    build(t_env, args.variant, job, args.input, args.output).attach_as_datastream()
    print(env.execute_async(f"flink-compliance stream floor {args.variant}").get_job_id())
    return 0


if __name__ == "__main__":
    sys.exit(main())
