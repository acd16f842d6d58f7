"""The batch compliance job: bounded CSV → validate → detect → protect → k-anonymity → Parquet
lake, violations, quarantine, and (with --audit) the PostgreSQL audit trail.

    python -m jobs.batch_compliance --input FILE_OR_DIR --domain healthcare --output DIR

Phase 1 is a Flink job in BATCH runtime mode (one fused, vectorized Python function: Arrow batches
of lines in, a row per line out). Phase 2 writes the violations, searches the generalization
levels over the whole input and releases the lake; it runs in the driver, which needs the output
directory (local disk or shared storage).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from connectors import audit, files, lake
from connectors.files import InputError
from connectors.splits import Split, plan_splits
from connectors.staging import commit as staging_commit
from jobs import cli
from jobs.config import PipelineConfig
from udfs.anonymity.release import NOT_RELEASED, Release
from udfs.anonymity.release import release as release_records
from udfs.protect.tokenize import TokenKeyMissing
from udfs.rules.ruleset import build_rule_set
from udfs.schema import DomainSchema, SchemaError, load_schema, read_rules
from udfs.summary import BatchSummary, Timings

JOB_NAME = "flink-compliance batch"
EXIT_NOT_RELEASED = 3  # scanned, outputs and summary written, but no k-anonymous lake
STAGING = "_staging"
OUTPUT_DIRS = ("lake", "violations", "quarantine", STAGING)
SHOWN = ("records_in", "published", "suppressed", "quarantined", "violations")  # on stdout


class JobFailed(RuntimeError):
    """The job stopped; the message says why (shown to the user without a traceback)."""


@dataclass
class BatchJob:
    input: Path
    domain: str
    output: Path
    as_of: datetime
    key_secret: bytes = field(repr=False)
    throwaway_key: bool = False
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    rules_path: Path | None = None
    audit: bool = False
    parallelism: int | None = None
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    quiet: bool = False

    def say(self, message: str) -> None:
        if not self.quiet:
            print(f"[batch {self.domain}] {message}", file=sys.stderr, flush=True)


def build(
    t_env, job: BatchJob, schema: DomainSchema, rules_config: dict, layouts: dict[str, str],
    splits: list[Split], engine: type | None = None,
):  # fmt: skip
    """The scan graph: the input's splits → ScanSplits (each worker reads its splits, runs the
    engine and writes its attempt's files) → one JSON summary per split, collected by the
    driver. `engine` replaces the Engine (the benchmark's floor skips the rules with it)."""
    from pyflink.table import DataTypes
    from pyflink.table.expressions import call, col

    from udfs.engine import Engine
    from udfs.flink.scan import ScanSplits, scan_splits_udf

    function = ScanSplits(
        (schema, rules_config, job.as_of, job.key_secret, job.throwaway_key),
        layouts, str(job.output / STAGING), job.domain, job.job_id, job.started_at,
        job.pipeline.batch.read_bytes, engine or Engine,
    )  # fmt: skip
    t_env.create_temporary_function("scan_split", scan_splits_udf(function))
    source = t_env.from_elements(
        [(s.index, s.path, s.start, s.end) for s in splits],
        DataTypes.ROW(
            [
                DataTypes.FIELD("split", DataTypes.INT()),
                DataTypes.FIELD("path", DataTypes.STRING()),
                DataTypes.FIELD("start", DataTypes.BIGINT()),
                DataTypes.FIELD("end", DataTypes.BIGINT()),
            ]
        ),
    )
    # The splits, round-robin over every Python worker.
    spread = t_env.from_data_stream(t_env.to_data_stream(source).rebalance())
    return spread.select(call("scan_split", col("split"), col("path"), col("start"), col("end")))


def scan(job: BatchJob, table) -> list[dict]:
    """Run the scan; one result per split (the first attempt to finish wins), its files
    committed: violations and quarantine into the output, records kept in staging."""
    chosen: dict[int, dict] = {}
    with table.execute().collect() as rows:
        for row in rows:
            found = json.loads(row[0])
            chosen.setdefault(found["split"], found)
    staging = job.output / STAGING
    for kind, target in (("violations", job.output / "violations"),
                         ("quarantine", job.output / "quarantine"), ("records", None)):  # fmt: skip
        names = [r["files"][kind] for r in chosen.values() if kind in r["files"]]
        staging_commit(staging, kind, names, target)
    return [chosen[i] for i in sorted(chosen)]


def release(job: BatchJob, schema: DomainSchema) -> tuple[Release, int]:
    """k-anonymity over the whole input (udfs.anonymity.release), then the lake written."""
    decided = release_records(lake.read_parquet_dir(job.output / STAGING / "records"),
                              schema.anonymity)  # fmt: skip
    return decided, lake.write_lake(decided.records, job.output / "lake")


def run(job: BatchJob) -> dict:
    started_wall, started = time.time(), time.perf_counter()
    try:
        schema = load_schema(job.domain)
        rules_config = read_rules(job.domain, job.rules_path)
        build_rule_set(rules_config, schema, job.as_of)  # a bad rule or plugin: said here
        layouts = files.read_layouts(job.input, schema)  # clear header errors up front
        lake.prepare_output(job.output, (*OUTPUT_DIRS, "summary.json"))
    except (SchemaError, InputError) as err:
        raise JobFailed(str(err)) from None
    except OSError as err:
        raise JobFailed(f"output directory {job.output} is not writable: {err.strerror}") from None
    try:
        with audit.recorded_run(job.audit, job.job_id, JOB_NAME, job.domain, "BATCH",
                                datetime.fromtimestamp(started_wall, UTC)) as record:  # fmt: skip
            summary = _run(job, schema, rules_config, layouts, started, record.conn)
            record.summary = summary.as_dict()
    except audit.AuditUnavailable as err:
        raise JobFailed(str(err)) from None
    finally:
        shutil.rmtree(job.output / STAGING, ignore_errors=True)
    return record.summary


def scan_table(
    job: BatchJob, schema: DomainSchema, rules_config: dict, layouts: dict[str, str],
    splits: list[Split], engine: type | None = None,
):  # fmt: skip
    """A BATCH table environment for the job and its scan graph, ready to execute."""
    from jobs.runtime import ship_plugins, stream_table_env

    settings = job.pipeline.flink_settings(job.parallelism)
    # A handful of split rows is a tiny input: without this the adaptive batch scheduler
    # would give the Python step one subtask.
    settings["execution.batch.adaptive.auto-parallelism.min-parallelism"] = settings[
        "parallelism.default"
    ]
    settings["python.fn-execution.bundle.size"] = "1"  # a split is seconds of work
    _, t_env = stream_table_env(batch=True, settings=settings)
    rules_config = ship_plugins(t_env, rules_config)
    t_env.get_config().set("pipeline.name", f"{JOB_NAME} {job.domain} {job.job_id[:8]}")
    return build(t_env, job, schema, rules_config, layouts, splits, engine)


def plan(job: BatchJob, layouts: dict[str, str]) -> list[Split]:
    """Splits small enough to keep every worker busy (four per worker at least)."""
    total = sum(Path(p).stat().st_size for p in layouts)
    workers = job.parallelism or job.pipeline.parallelism
    size = min(job.pipeline.batch.split_bytes, max(total // (4 * workers), 1 << 20))
    return plan_splits(list(layouts), size)


def _run(
    job: BatchJob, schema: DomainSchema, rules_config: dict, layouts: dict[str, str],
    started: float, conn=None,
) -> BatchSummary:  # fmt: skip
    splits = plan(job, layouts)
    size = sum(Path(p).stat().st_size for p in layouts)
    job.say(
        f"{len(layouts)} file(s), {size / 2**20:,.1f} MiB in {len(splits)} splits; job id {job.job_id}"
    )
    table = scan_table(job, schema, rules_config, layouts, splits)
    startup = time.perf_counter() - started
    job.say("phase 1/2: scan (validate, detect, protect) in Flink ...")
    scan_started = time.perf_counter()
    results = scan(job, table)
    scan_seconds = time.perf_counter() - scan_started
    if len(results) != len(splits):
        missing = sorted({s.index for s in splits} - {r["split"] for r in results})
        raise JobFailed(f"the scan ended without a result for split(s) {missing[:10]}")
    expected = sum(r["records_expected"] for r in results)
    job.say(
        f"phase 1/2 done in {scan_seconds:.1f}s ({expected:,} records); "
        "phase 2/2: k-anonymity search and release ..."
    )
    release_started = time.perf_counter()
    if conn is not None:
        upserted = audit.upsert_violations(conn, lake.parquet_files(job.output / "violations"))
        job.say(f"audit: {upserted:,} violations upserted")
    released, lake_files = release(job, schema)
    release_seconds = time.perf_counter() - release_started
    summary = BatchSummary(
        job_id=job.job_id, domain=job.domain, input=str(job.input), output=str(job.output),
        as_of=job.as_of.isoformat(), records_expected=expected, released=released,
        lake_files=lake_files,
        quarantine_reasons=lake.count_by(job.output / "quarantine", "reason"),
        violations_by_regulation=lake.count_by(job.output / "violations", "regulation"),
        timings=Timings(time.perf_counter() - started, startup, scan_seconds, release_seconds),
        throwaway_key=job.throwaway_key,
    )  # fmt: skip
    summary_path = job.output / "summary.json"
    summary_path.write_text(json.dumps(summary.as_dict(), indent=2) + "\n", encoding="utf-8")
    if summary.mismatch():
        raise JobFailed(f"{summary.mismatch()} (see {summary_path})")
    return summary


def job_from_args(argv: list[str] | None) -> BatchJob:
    parser = cli.job_parser(
        "jobs.batch_compliance", __doc__, "a CSV file or a directory of CSV files", True
    )
    return BatchJob(**cli.resolve(cli.parse(parser, argv)).kwargs())


def main(argv: list[str] | None = None) -> int:
    try:
        job = job_from_args(argv)
        if job.throwaway_key:
            job.say("using a THROWAWAY token key (demo): tokens differ on every run")
        summary = run(job)
    except (JobFailed, TokenKeyMissing, SchemaError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if summary["status"] == NOT_RELEASED:
        print(
            f"not released: {summary['reason']} (see {job.output / 'summary.json'})",
            file=sys.stderr,
        )
    print(json.dumps({k: summary[k] for k in SHOWN}))
    return EXIT_NOT_RELEASED if summary["status"] == NOT_RELEASED else 0


if __name__ == "__main__":
    sys.exit(main())
