"""The batch job on generated healthcare rows in the local MiniCluster (parallelism from
conf/pipeline/local.yaml): records/s end to end and with start-up excluded, phase times, and the
peak memory of the driver and its Python workers."""

from __future__ import annotations

import json
import resource
import secrets
import subprocess
import sys
import time
from pathlib import Path

from connectors.settings import PROJECT_ROOT
from connectors.synthetic.generator import DEFAULT_AS_OF, write_dataset

TARGET = 50_000


def run(rows: int, out: Path) -> dict:
    data = out / f"batch-{rows}"
    if not (data / "records.csv").exists():
        started = time.perf_counter()
        write_dataset("healthcare", rows, data, seed=7, as_of=DEFAULT_AS_OF, jsonl=False)
        print(f"generated {rows:,} rows in {time.perf_counter() - started:.0f}s", flush=True)
    output = out / f"batch-{rows}-out"
    env_key = {"COMPLIANCE_TOKEN_KEY": secrets.token_hex(32)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "jobs.batch_compliance", "--input", str(data / "records.csv"), "--domain",
         "healthcare", "--output", str(output), "--as-of", DEFAULT_AS_OF.isoformat()],
        check=True, cwd=PROJECT_ROOT, env={**__import__("os").environ, **env_key},
    )  # fmt: skip
    wall = time.perf_counter() - started
    summary = json.loads((output / "summary.json").read_text())
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = {
        "rows": rows,
        "process_wall_seconds": round(wall, 1),
        "records_per_s_end_to_end": round(rows / wall),
        "records_per_s_excluding_startup": summary["records_per_s_excluding_startup"],
        "job_wall_seconds": summary["wall_seconds"],
        "startup_seconds": summary["startup_seconds"],
        "scan_seconds": summary["scan_seconds"],
        "release_seconds": summary["release_seconds"],
        "peak_child_rss_mib": round(children.ru_maxrss / 1024),
        "target_records_per_s": TARGET,
        "ratio_to_target": round(summary["records_per_s_excluding_startup"] / TARGET, 3),
        "reconciled": summary["reconciled"],
    }
    print(
        f"batch job, {rows:,} healthcare rows, MiniCluster: {report['records_per_s_end_to_end']:,} records/s end to end "
        f"({wall:.0f}s incl. JVM start), {report['records_per_s_excluding_startup']:,.0f} records/s excluding start-up "
        f"(target {TARGET:,}: ratio {report['ratio_to_target']}); scan {summary['scan_seconds']:.0f}s, "
        f"k-anonymity + lake {summary['release_seconds']:.0f}s; peak RSS of the largest child {report['peak_child_rss_mib']} MiB"
    )
    return report
