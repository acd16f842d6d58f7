"""The batch compliance job: bounded CSV → validate → detect → protect → k-anonymity → Parquet
lake, violations, quarantine, and (with --audit) the PostgreSQL audit trail.

    python -m jobs.batch_compliance --input FILE_OR_DIR --domain healthcare --output DIR

Phase 1, a Flink job in BATCH mode, scans the input's splits in the Python workers. Phase 2
decides k-anonymity in the driver from the splits' counts and releases the lake in date buckets
(in the workers for a large input). The driver needs the output directory (local or shared)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow.parquet as pq

from connectors import audit, files, lake, lineage
from connectors.files import InputError
from connectors.splits import Split, plan_for_workers
from connectors.staging import commit as staging_commit
from connectors.staging import commit_partitioned
from jobs import cli
from jobs.config import PipelineConfig
from jobs.runtime import first_results, runs_locally, task_table
from udfs.anonymity.frequencies import (
    Decided,
    decide_table,
    read_counts,
    search_table,
)
from udfs.anonymity.kanonymity import QiTable
from udfs.anonymity.release import NOT_RELEASED
from udfs.dp.batch import release_from_files
from udfs.dp.budget import BudgetExceeded
from udfs.dp.spec import DPConfig, load_dp
from udfs.protect.seal import SealKey, quarantine_secret
from udfs.protect.tokenize import KeyMissing
from udfs.quality.measure import count_distinct_ids
from udfs.quality.measure import merge as merge_quality
from udfs.quality.score import Quality
from udfs.quality.score import score as score_quality
from udfs.quality.spec import QualityConfig, load_quality
from udfs.rules.ruleset import build_rule_set
from udfs.schema import DomainSchema, SchemaError, load_schema, read_rules
from udfs.summary import BatchSummary, Timings

JOB_NAME = "flink-compliance batch"
EXIT_NOT_RELEASED = 3  # scanned, outputs and summary written, but no k-anonymous lake
EXIT_DP_REFUSED = 4  # all written but the private aggregates: the budget would be exceeded
EXIT_QUALITY = 5  # quarantine, violations and summary written; data quality below threshold
STAGING = "_staging"
LOCAL_JVM_ARGS = "-XX:TieredStopAtLevel=1"  # C1 only (scan_table)
OUTPUT_DIRS = ("lake", "violations", "quarantine", "dp", STAGING)
DP_PUBLISHED, DP_REFUSED = "published", "refused"
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
    quarantine_secret: bytes | None = field(default=None, repr=False)  # None: throwaway only
    token_key_id: str | None = None  # the id the tokens carry (udfs.protect.tokenize)
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    rules_path: Path | None = None
    audit: bool = False
    parallelism: int | None = None
    dp_path: Path | None = None  # publish the private aggregates of this settings file
    quality: bool = True  # measure data quality; below its thresholds publish no lake
    quality_path: Path | None = None  # default conf/quality/<domain>.yaml
    publish_below_threshold: bool = False  # publish the lake even below the quality thresholds
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    quiet: bool = False

    def say(self, message: str) -> None:
        if not self.quiet:
            print(f"[batch {self.domain}] {message}", file=sys.stderr, flush=True)


def build(
    t_env, job: BatchJob, schema: DomainSchema, rules_config: dict, layouts: dict[str, str],
    splits: list[Split], engine: type | None = None, buckets: int = 1, dp: DPConfig | None = None,
    quality: QualityConfig | None = None,
):  # fmt: skip
    """The scan graph: the input's splits → ScanSplits (each worker reads its splits, runs the
    engine and writes its attempt's files) → one JSON summary per split, collected by the
    driver. `engine` replaces the Engine (the benchmark's floor skips the rules with it)."""
    from udfs.engine import Engine
    from udfs.flink.scan import ScanSplits

    function = ScanSplits(
        (schema, rules_config, job.as_of, job.key_secret, job.throwaway_key),
        {"quarantine_secret": job.quarantine_secret, "token_key_id": job.token_key_id},
        layouts, str(job.output / STAGING), job.domain, job.job_id, job.started_at,
        job.pipeline.batch.read_bytes, engine or Engine, buckets, dp, quality,
    )  # fmt: skip
    tasks = [(s.index, s.path, s.start, s.end) for s in splits]
    return task_table(t_env, "scan_split", function, tasks)


def scan(job: BatchJob, table) -> tuple[list[dict], float]:
    """Run the scan; one result per split (the first attempt to finish wins), its files
    committed: violations and quarantine into the output; records and the counts of their
    quasi-identifiers kept in staging. And the seconds until the job was submitted."""
    chosen, submitted = first_results(table, "split")
    staging = job.output / STAGING
    kept = sorted({kind for r in chosen.values() for kind in r["files"]} | {"frequencies"})
    for kind in kept:  # records of each date bucket and the counts stay in staging
        target = job.output / kind if kind in ("violations", "quarantine") else None
        names = [r["files"][kind] for r in chosen.values() if kind in r["files"]]
        staging_commit(staging, kind, names, target)
    return [chosen[i] for i in sorted(chosen)], submitted


def search_table_of(job: BatchJob, schema: DomainSchema) -> QiTable:
    """The splits' frequency tables stacked as the k-anonymity search reads them (repeated
    combinations merged on integer codes): the driver holds counts, never the records, and
    not the Arrow tables either once this returns (at 10M records ~0.5 GB)."""
    paths = sorted((job.output / STAGING / "frequencies").glob("*.parquet"))
    return search_table(read_counts(paths, schema.anonymity), schema.anonymity)


def decide_release(job: BatchJob, schema: DomainSchema, table: QiTable, started: float) -> Decided:
    """k-anonymity over the search's table (`started`: when its reading began)."""
    workers = max(1, job.parallelism or job.pipeline.parallelism)  # the driver's threads
    decided = decide_table(table, schema.anonymity, threads=workers)
    job.say(f"k-anonymity: {table.rows:,} counted combinations searched in "
            f"{time.perf_counter() - started:.1f}s")  # fmt: skip
    return decided


def release(
    job: BatchJob, schema: DomainSchema, t_env, input_bytes: int, decided: Decided
) -> tuple[Decided, int]:
    """The lake written by the workers: one task per date bucket (its staged records from every
    split), each generalizing them, leaving out the suppressed groups
    (udfs.anonymity.frequencies) and writing its dates' partitions, one file each — or, for an
    input below batch.release_in_driver_mib or on a local MiniCluster, the same in the driver,
    a bucket per thread."""
    from udfs.flink.release import ReleaseFiles
    from udfs.flink.scan import RECORDS

    staging, anonymity = job.output / STAGING, schema.anonymity
    workers = max(1, job.parallelism or job.pipeline.parallelism)  # the driver's threads
    started = time.perf_counter()
    files = sorted(str(p) for p in staging.glob(f"{RECORDS}*"))  # a folder per date bucket
    if decided.plan is None or not files:
        lake.fresh_dir(job.output / "lake")
        return decided, 0
    function = ReleaseFiles(decided.plan, anonymity, str(staging / "lake"))
    rows = list(enumerate(files))
    batch = job.pipeline.batch
    if input_bytes < batch.release_in_driver_bytes or (
        batch.release_in_driver_when_local and runs_locally(t_env)
    ):
        # A bucket per thread, as many as workers: reading, the Arrow kernels and the Parquet
        # writer let go of the GIL, so two buckets use two cores.
        function.open(None)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = dict(zip([i for i, _ in rows], pool.map(lambda r: function.release(*r), rows),
                            strict=True))  # fmt: skip
    else:
        table = task_table(t_env, "release_file", function, rows)
        done, _ = first_results(table, "task")
    published = sum(r["published"] for r in done.values())
    if len(done) != len(files) or published != decided.published:
        raise JobFailed(f"the release pass wrote {published:,} records of {len(done)} files; "
                        f"the decision released {decided.published:,} of {len(files)}")  # fmt: skip
    chosen = [r["attempt"] for r in done.values()]
    written = time.perf_counter()
    committed = commit_partitioned(staging / "lake", chosen, job.output / "lake")
    read, applied, wrote = (sum(r.get("seconds", [0, 0, 0])[i] for r in done.values())
                            for i in range(3))  # fmt: skip
    job.say(f"lake: {published:,} records in {committed:,} files, written in "
            f"{written - started:.1f}s (tasks: read {read:.1f}s, generalized {applied:.1f}s, "
            f"wrote {wrote:.1f}s), committed in {time.perf_counter() - written:.1f}s")  # fmt: skip
    return decided, committed


@contextmanager
def dp_ledger(enabled: bool, audit_conn=None):
    """The connection the private aggregates' budget is kept over: the audit's, or its own."""
    if not enabled or audit_conn is not None:
        yield audit_conn
        return
    conn = audit.connect()
    try:
        audit.ensure_schema(conn)
        yield conn
    finally:
        conn.close()


def publish_dp(job: BatchJob, dp: DPConfig, results: list[dict], conn) -> dict:
    """The private aggregates over the splits' pairs, published (dp/) only once the ledger has
    recorded what they spend; refused, with nothing published, past the budget."""
    from connectors import ledger

    paths = sorted(str(p) for p in (job.output / STAGING / "dp").glob("*.parquet"))
    released = release_from_files(paths, dp, job.job_id)
    figures = {
        "aggregates": [a.name for a in dp.aggregates], "releases": len(released.spends),
        "groups_published": released.rows.num_rows,
        "groups_before_selection": released.groups_in,
        "without_person": sum(r.get("dp_without_person", 0) for r in results),
        "epsilon": {a.name: a.epsilon for a in dp.aggregates},
        "delta": {a.name: a.delta for a in dp.aggregates},
    }  # fmt: skip
    try:
        ledger.spend(conn, dp.domain, job.job_id, released.spends, dp.budget,
                     released.mechanisms, dp.source)  # fmt: skip
    except BudgetExceeded as err:
        job.say(str(err))
        return {"status": DP_REFUSED, "reason": str(err), **figures}
    (job.output / "dp").mkdir(exist_ok=True)
    pq.write_table(released.rows, job.output / "dp" / "part-0.parquet")
    job.say(f"dp: {released.rows.num_rows:,} groups published in {len(released.spends)} "
            "release(s) (aggregate × window), their ε and δ recorded in the ledger")  # fmt: skip
    return {"status": DP_PUBLISHED, **figures}


def run(job: BatchJob) -> dict:
    started_wall, started = time.time(), time.perf_counter()
    job.quarantine_secret = quarantine_secret(job.quarantine_secret, job.throwaway_key)
    try:
        schema = load_schema(job.domain)
        rules_config = read_rules(job.domain, job.rules_path)
        build_rule_set(rules_config, schema, job.as_of)  # a bad rule or plugin: said here
        layouts = files.read_layouts(job.input, schema)  # clear header errors up front
        dp = load_dp(schema, job.dp_path) if job.dp_path else None
        quality = load_quality(schema, job.quality_path) if job.quality else None
        lake.prepare_output(job.output, (*OUTPUT_DIRS, "summary.json", "lineage"))
    except (SchemaError, InputError) as err:
        raise JobFailed(str(err)) from None
    except OSError as err:
        raise JobFailed(f"output directory {job.output} is not writable: {err.strerror}") from None
    try:
        with audit.recorded_run(job.audit, job.job_id, JOB_NAME, job.domain, "BATCH",
                                datetime.fromtimestamp(started_wall, UTC)) as record:  # fmt: skip
            trail = run_lineage(job, schema, quality, record.conn, layouts)
            trail.start()
            try:
                with dp_ledger(dp is not None, record.conn) as ledger_conn:
                    summary = flink_run(job, lambda: _run(job, schema, rules_config, layouts,
                                        started, record.conn, dp, ledger_conn, quality))  # fmt: skip
            except BaseException as err:
                # First free the disk a failure may have filled, and never let the lineage
                # event of a failure hide the failure itself.
                shutil.rmtree(job.output / STAGING, ignore_errors=True)
                try:
                    trail.fail(str(err) or type(err).__name__)
                except Exception as lost:
                    job.say(f"warning: the lineage FAIL event was not written: {lost}")
                raise
            record.summary = summary.as_dict()
            trail.complete(batch_outputs(job), record.summary.get("quality"))
    except audit.AuditUnavailable as err:
        raise JobFailed(str(err)) from None
    finally:
        shutil.rmtree(job.output / STAGING, ignore_errors=True)
    return record.summary


def flink_run(job: BatchJob, work):
    """`work()`, a failed Flink job said in one line (the cause its workers raised) instead of
    pages of Java; a full output disk named as such."""
    from py4j.protocol import Py4JJavaError

    from jobs.runtime import flink_failure

    try:
        return work()
    except Py4JJavaError as err:
        cause = flink_failure(str(err))
        if "No space left on device" in cause or "[Errno 28]" in cause:
            raise JobFailed(
                f"no space left on the output's device ({job.output}): {cause}"
            ) from None
        raise JobFailed(f"the Flink job failed: {cause}") from None


def run_lineage(job: BatchJob, schema: DomainSchema, quality: QualityConfig | None, conn,
                layouts: dict[str, str]) -> lineage.RunLineage:  # fmt: skip
    """The run's OpenLineage events: the input files with their sizes and checksums."""
    trail = lineage.RunLineage(
        JOB_NAME.replace(" ", "."), job.job_id, job.domain, "BATCH",
        [(f.name, f.type) for f in schema.fields],
        lineage.versions(job.domain, job.rules_path, quality), job.pipeline.lineage, job.output,
        conn,
    )  # fmt: skip
    trail.inputs = [lineage.file_source(Path(p)) for p in sorted(layouts)]
    return trail


def batch_outputs(job: BatchJob) -> list[lineage.Source]:
    """What the run wrote: each lake partition, violations, quarantine, private aggregates,
    the summary, and with --audit the audit tables."""
    out = job.output
    found = lineage.lake_partitions(out / "lake")
    found += [lineage.dir_source(out / d) for d in ("violations", "quarantine", "dp")
              if (out / d).is_dir() and any((out / d).iterdir())]  # fmt: skip
    found.append(lineage.file_source(out / "summary.json"))
    if job.audit:
        found += lineage.audit_tables()
    return found


class ScanGraph(NamedTuple):
    t_env: Any
    table: Any  # the scan's task table, ready to execute
    env_seconds: float  # the table environment's start: the JVM's on a local run


def scan_table(
    job: BatchJob, schema: DomainSchema, rules_config: dict, layouts: dict[str, str],
    splits: list[Split], engine: type | None = None, buckets: int = 1, dp: DPConfig | None = None,
    quality: QualityConfig | None = None,
) -> ScanGraph:  # fmt: skip
    """A BATCH table environment for the job, and its scan graph ready to execute."""
    from jobs.runtime import ship_plugins, stream_table_env

    settings = job.pipeline.flink_settings(job.parallelism)
    batch = job.pipeline.batch
    settings.setdefault("restart-strategy.type", "fixed-delay")
    settings.setdefault("restart-strategy.fixed-delay.attempts", str(batch.restart_attempts))
    settings.setdefault("restart-strategy.fixed-delay.delay", f"{batch.restart_delay_ms} ms")
    # A handful of split rows is a tiny input: without this the adaptive batch scheduler
    # would give the Python step one subtask.
    settings["execution.batch.adaptive.auto-parallelism.min-parallelism"] = settings[
        "parallelism.default"
    ]
    settings["python.fn-execution.bundle.size"] = "1"  # a split is seconds of work
    # Its Python workers read the input and write every output themselves: no connector jar.
    # A local run's JVM (started here) moves task rows, not records: without the C2 compiler
    # it starts faster and leaves the cores to the workers (JVM_ARGS set by the caller wins).
    os.environ.setdefault("JVM_ARGS", LOCAL_JVM_ARGS)
    started = time.perf_counter()
    _, t_env = stream_table_env(batch=True, settings=settings, connectors=False)
    env_seconds = time.perf_counter() - started
    rules_config = ship_plugins(t_env, rules_config)
    t_env.get_config().set("pipeline.name", f"{JOB_NAME} {job.domain} {job.job_id[:8]}")
    table = build(t_env, job, schema, rules_config, layouts, splits, engine, buckets, dp, quality)
    return ScanGraph(t_env, table, env_seconds)


def _run(
    job: BatchJob, schema: DomainSchema, rules_config: dict, layouts: dict[str, str],
    started: float, conn=None, dp: DPConfig | None = None, ledger_conn=None,
    quality: QualityConfig | None = None,
) -> BatchSummary:  # fmt: skip
    workers = job.parallelism or job.pipeline.parallelism
    splits = plan_for_workers(list(layouts), job.pipeline.batch.split_bytes, workers)
    size = sum(Path(p).stat().st_size for p in layouts)
    job.say(f"{len(layouts)} file(s), {size / 2**20:,.1f} MiB in {len(splits)} splits; "
            f"job id {job.job_id}")  # fmt: skip
    # Release tasks: enough for every worker, each holding at most ~release_mib of the input.
    buckets = max(2 * workers, min(512, size // job.pipeline.batch.release_bytes))
    graph = scan_table(job, schema, rules_config, layouts, splits, buckets=buckets, dp=dp,
                       quality=quality)  # fmt: skip
    t_env = graph.t_env
    job.say("phase 1/2: scan (validate, detect, protect) in Flink ...")
    scan_started = time.perf_counter()
    results, submitted = scan(job, graph.table)
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
    # The quality's distinct ids (one core's hashing: ~4 s at 10M records) are counted beside
    # the k-anonymity search (a lake withheld for its quality leaves the decision unused),
    # after the search's table is read: the two at once would hold both their inputs.
    searching = time.perf_counter()
    table = search_table_of(job, schema)
    with ThreadPoolExecutor(max_workers=1) as beside:
        measuring = (
            beside.submit(measure_quality, job, quality, results) if quality is not None else None
        )
        decided = decide_release(job, schema, table, searching)
        measured = measuring.result() if measuring is not None else None
    del table
    if measured is not None and not measured.passed and not job.publish_below_threshold:
        job.say(f"data quality: {'; '.join(measured.failures)} — the lake is not published "
                "(--publish-below-threshold publishes it anyway)")  # fmt: skip
        lake.fresh_dir(job.output / "lake")
        released, lake_files, private = withheld(decided, measured), 0, None
    else:
        released, lake_files = release(job, schema, t_env, size, decided)
        private = publish_dp(job, dp, results, ledger_conn) if dp is not None else None
    release_seconds = time.perf_counter() - release_started
    summary = BatchSummary(
        job_id=job.job_id, domain=job.domain, input=str(job.input), output=str(job.output),
        as_of=job.as_of.isoformat(), records_expected=expected, released=released,
        lake_files=lake_files, throwaway_key=job.throwaway_key,
        quarantine_key_id=SealKey(job.quarantine_secret).key_id,
        quarantine_reasons=lake.count_by(job.output / "quarantine", "reason"),
        violations_by_regulation=lake.count_by(job.output / "violations", "regulation"),
        timings=Timings(time.perf_counter() - started, graph.env_seconds, scan_seconds,
                        release_seconds, submitted),
        dp=private, quality=measured.as_dict() if measured is not None else None,
    )  # fmt: skip
    summary_path = job.output / "summary.json"
    summary_path.write_text(json.dumps(summary.as_dict(), indent=2) + "\n", encoding="utf-8")
    if summary.mismatch():
        raise JobFailed(f"{summary.mismatch()} (see {summary_path})")
    return summary


def measure_quality(job: BatchJob, quality: QualityConfig, results: list[dict]) -> Quality:
    """The run's data quality from the splits' counts; uniqueness over every split's ids."""
    counts = merge_quality([r["quality"] for r in results if "quality" in r])
    ids = [pq.read_table(p) for p in sorted((job.output / STAGING / "ids").glob("*.parquet"))]
    counts["distinct_ids"] = count_distinct_ids(ids)
    measured = score_quality(counts, quality)
    job.say(f"data quality {measured.score:.3f} ({measured.level}): "
            + ", ".join(f"{m} {v:.3f}" for m, v in measured.metrics.items()))  # fmt: skip
    return measured


def withheld(decided: Decided, measured: Quality) -> Decided:
    """No lake: every staged record held back (the search's count of them), the quality
    failures as the reason."""
    return dataclasses.replace(
        decided, plan=None, suppressed=decided.staged, information_loss=None,
        lattice_nodes_checked=None, reason=f"data quality: {'; '.join(measured.failures)}",
    )  # fmt: skip


def job_from_args(argv: list[str] | None) -> BatchJob:
    inputs = "a CSV file or a directory of CSV files"
    parser = cli.job_parser("jobs.batch_compliance", __doc__, inputs, True)
    parser.add_argument(
        "--publish-below-threshold", action="store_true",
        help="publish the lake even when data quality is below its thresholds (exit code 5)",
    )  # fmt: skip
    args = cli.parse(parser, argv)
    return BatchJob(**cli.resolve(args).kwargs(),
                    publish_below_threshold=args.publish_below_threshold)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    try:
        job = job_from_args(argv)
        if job.throwaway_key:
            job.say(
                "using THROWAWAY keys (demo): tokens differ on every run, and quarantined "
                "lines cannot be replayed"
            )
        summary = run(job)
    except (JobFailed, KeyMissing, SchemaError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    where = job.output / "summary.json"
    if summary["status"] == NOT_RELEASED:
        print(f"not released: {summary['reason']} (see {where})", file=sys.stderr)
    print(json.dumps({k: summary[k] for k in SHOWN}))
    quality = summary.get("quality") or {}
    if quality and not quality["passed"]:
        failed = "; ".join(quality["failures"])
        published = "published anyway" if job.publish_below_threshold else "not published"
        print(f"error: data quality below threshold: {failed}; the lake was {published} "
              f"(see {where})", file=sys.stderr)  # fmt: skip
        return EXIT_QUALITY
    if summary["status"] == NOT_RELEASED:
        return EXIT_NOT_RELEASED
    if (summary.get("dp") or {}).get("status") == DP_REFUSED:
        print(f"error: {summary['dp']['reason']} (see {where})", file=sys.stderr)
        return EXIT_DP_REFUSED
    return 0


if __name__ == "__main__":
    sys.exit(main())
