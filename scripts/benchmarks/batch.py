"""The batch job on generated healthcare rows in the local MiniCluster (parallelism from
conf/pipeline/local.yaml): records/s end to end and excluding the local runtime's start (the
JVM's, from the summary, and the MiniCluster's, from the job's Flink log), phase times, and the
peak memory of the whole process tree (driver, JVM, Python workers); then, on the same file, the
floor of the scan (the same Flink graph with the rules skipped: scripts/benchmarks/batch_floor.py)
and the single-process baseline on the same engine, with the same release and no Flink
(scripts/benchmarks/engine_baseline.py), with the ratios."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

from connectors.settings import PROJECT_ROOT
from scripts.benchmarks.flink_log import minicluster_start_seconds, read_logs
from scripts.benchmarks.memory import TreePeak
from tools.synthetic.generator import DEFAULT_AS_OF, write_dataset


def target(rows: int) -> int:
    """Records/s excluding start-up the batch job should reach (#16): 80,000 at 1,000,000 rows,
    120,000 from 10,000,000."""
    return 120_000 if rows >= 10_000_000 else 80_000


def run(rows: int, out: Path) -> dict:
    data = out / f"batch-{rows}"
    if not (data / "records.csv").exists():
        started = time.perf_counter()
        write_dataset("healthcare", rows, data, seed=7, as_of=DEFAULT_AS_OF, jsonl=False)
        print(f"generated {rows:,} rows in {time.perf_counter() - started:.0f}s", flush=True)
    output = out / f"batch-{rows}-out"
    logs = out / f"batch-{rows}-log"  # the job's Flink log: when its MiniCluster started
    shutil.rmtree(logs, ignore_errors=True)
    # A fresh output, as on a first run: deleting the last run's ~3,650 lake folders is no part
    # of this run's work (it took the job ~1 s at 1M rows).
    shutil.rmtree(output, ignore_errors=True)
    os.sync()  # ... and its deletion on disk before the job's own files (it slows their creation)
    env = {**os.environ, "COMPLIANCE_TOKEN_KEY": secrets.token_hex(32),
           "COMPLIANCE_QUARANTINE_KEY": secrets.token_hex(32)}  # fmt: skip
    job_env = {**env, "FLINK_LOG_DIR": str(logs)}
    job_env.pop("LOG4J_PROPERTIES", None)
    as_of = DEFAULT_AS_OF.isoformat()
    started = time.perf_counter()
    job = subprocess.Popen(
        [sys.executable, "-m", "jobs.batch_compliance", "--input", str(data / "records.csv"),
         "--domain", "healthcare", "--output", str(output), "--as-of", as_of],
        cwd=PROJECT_ROOT, env=job_env,
    )  # fmt: skip
    with TreePeak(job.pid) as flink_memory:
        if job.wait() != 0:
            raise SystemExit(f"the batch job failed (exit {job.returncode})")
    wall = time.perf_counter() - started
    summary = json.loads((output / "summary.json").read_text())
    # #16's figure: from the job's start to its summary, leaving out only the local runtime's
    # own start — the JVM (summary's start-up) and the MiniCluster (from the job's log).
    minicluster = minicluster_start_seconds(read_logs(logs))
    if minicluster is None:
        raise SystemExit(f"no MiniCluster start in the job's log ({logs})")
    flink_rate = round(rows / (summary["wall_seconds"] - summary["startup_seconds"] - minicluster))
    print("floor: the same scan with the rules skipped ...", flush=True)
    floor = subprocess.run(
        [sys.executable, "-m", "scripts.benchmarks.batch_floor", "--input",
         str(data / "records.csv"), "--domain", "healthcare", "--as-of", as_of],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, text=True, check=False,
    )  # fmt: skip
    if floor.returncode != 0:
        raise SystemExit(f"the floor run failed (exit {floor.returncode})")
    floor_scan = json.loads(floor.stdout.strip().splitlines()[-1])["scan_seconds"]
    print("single-process baseline on the same file ...", flush=True)
    shutil.rmtree(out / f"batch-{rows}-baseline", ignore_errors=True)  # fresh, as the job's
    os.sync()
    baseline = subprocess.Popen(
        [sys.executable, "-m", "scripts.benchmarks.engine_baseline", "--input",
         str(data / "records.csv"), "--domain", "healthcare", "--output",
         str(out / f"batch-{rows}-baseline"), "--as-of", as_of],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    with TreePeak(baseline.pid) as baseline_memory:
        stdout, _ = baseline.communicate()
    if baseline.returncode != 0:
        raise SystemExit(f"the baseline failed (exit {baseline.returncode})")
    single = json.loads(stdout.strip().splitlines()[-1])
    report = {
        "rows": rows,
        "process_wall_seconds": round(wall, 1),
        "records_per_s_end_to_end": round(rows / wall),
        "records_per_s_excluding_startup": summary["records_per_s_excluding_startup"],
        "records_per_s_excluding_runtime_start": flink_rate,  # compared with the target
        "minicluster_start_seconds": minicluster,
        "job_wall_seconds": summary["wall_seconds"],
        "startup_seconds": summary["startup_seconds"],
        "scan_seconds": summary["scan_seconds"],
        "release_seconds": summary["release_seconds"],
        # The scan with validate/detect/protect skipped (scripts/benchmarks/batch_floor.py).
        "floor_scan_seconds": floor_scan,
        "peak_rss_mib": flink_memory.mib,
        "driver_peak_rss_mib": flink_memory.root_mib,  # the job's own process (phase 2 runs there)
        "target_records_per_s": target(rows),
        "ratio_to_target": round(flink_rate / target(rows), 3),
        "reconciled": summary["reconciled"],
        "baseline": {**single, "peak_rss_mib": baseline_memory.mib},
        "ratio_to_baseline_end_to_end": round(rows / wall / single["records_per_s"], 3),
        "ratio_to_baseline_excluding_startup": round(flink_rate / single["records_per_s"], 3),
    }
    print(
        f"batch job, {rows:,} healthcare rows, MiniCluster: {report['records_per_s_end_to_end']:,} records/s end to end "
        f"({wall:.0f}s incl. JVM start), {flink_rate:,.0f} records/s excluding the JVM's and the "
        f"MiniCluster's start ({summary['startup_seconds']:.1f} + {minicluster:.1f}s; target "
        f"{target(rows):,}: ratio {report['ratio_to_target']}); scan {summary['scan_seconds']:.0f}s, "
        f"k-anonymity + lake {summary['release_seconds']:.0f}s; the scan with the rules "
        f"skipped (floor) {floor_scan:.0f}s; peak RSS (driver + JVM + Python workers) "
        f"{flink_memory.mib:,} MiB, the driver alone {flink_memory.root_mib:,} MiB\n"
        f"single-process baseline, same engine and release, no Flink: {single['records_per_s']:,} "
        f"records/s ({single['seconds']:.0f}s: scan {single['scan_seconds']:.0f}s, release "
        f"{single['release_seconds']:.0f}s), peak RSS {baseline_memory.mib:,} MiB; Flink/baseline: "
        f"{report['ratio_to_baseline_end_to_end']} end to end, "
        f"{report['ratio_to_baseline_excluding_startup']} excluding the runtime's start"
    )
    return report
