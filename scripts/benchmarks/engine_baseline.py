"""The baseline of `scripts/bench batch`: the batch job's work in one plain Python process, no
Flink — the file read a few MiB at a time (connectors.splits, one split), the columnar engine,
pyarrow writing the staged records, violations and quarantine, and the same k-anonymity
decision (udfs.anonymity.release over all staged records at once, in this process) writing the
same date-partitioned lake.

    python -m scripts.benchmarks.engine_baseline --input records.csv --domain healthcare --output DIR

Prints one JSON object: rows, records, violations, quarantined, seconds (scan / release),
records/s, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from connectors import files, lake
from connectors.splits import plan_splits, read_split
from connectors.staging import (
    RECORD_OPTIONS,
    VIOLATION_OPTIONS,
    AttemptFiles,
    commit,
    read_staged,
)
from jobs.batch_compliance import STAGING, BatchJob
from udfs.anonymity.release import release
from udfs.engine import Engine
from udfs.engine.outputs import quarantine_rows, staged_records, violation_rows
from udfs.protect import seal
from udfs.protect.tokenize import key_secret_from_env
from udfs.schema import load_schema, read_rules
from udfs.validation import parse_timestamp


def run(input_path: Path, domain: str, output: Path, as_of: datetime) -> dict:
    started = time.perf_counter()
    schema = load_schema(domain)
    rules = read_rules(domain)
    layouts = files.read_layouts(input_path, schema)
    job = BatchJob(
        input=input_path, domain=domain, output=output, as_of=as_of,
        key_secret=key_secret_from_env(), quarantine_secret=seal.secret_from_env(), quiet=True,
    )  # fmt: skip
    lake.prepare_output(output, ("lake", "violations", "quarantine", STAGING))
    engine = Engine(
        schema,
        rules,
        as_of,
        job.key_secret,
        layouts=layouts,
        quarantine_secret=job.quarantine_secret,
    )
    expected = violations = quarantined = 0
    for split in plan_splits(list(layouts), 1 << 62):  # one split per file: one process
        header = layouts[split.path].encode()
        attempt = AttemptFiles(output / STAGING, split.index, "baseline")
        for batch in read_split(split, header, job.pipeline.batch.read_bytes):
            result = engine.process_lines(batch.lines, split.path)
            expected += batch.records
            found = violation_rows(result, domain, job.started_at, job.job_id)
            violations += found.num_rows
            quarantined += result.quarantine.num_rows
            attempt.write("records", staged_records(result), **RECORD_OPTIONS)
            attempt.write("violations", found, **VIOLATION_OPTIONS)
            attempt.write("quarantine", quarantine_rows(result, domain, job.job_id))
        written = attempt.close()
        for kind, target in (("violations", output / "violations"),
                             ("quarantine", output / "quarantine"), ("records", None)):  # fmt: skip
            commit(output / STAGING, kind, [written[kind]] if kind in written else [], target)
    scanned = time.perf_counter()
    released = release(read_staged(output / STAGING / "records"), schema.anonymity)
    lake.write_lake(released.records, output / "lake")
    shutil.rmtree(output / STAGING, ignore_errors=True)
    seconds = time.perf_counter() - started
    return {
        "rows": expected,
        "records": released.published + released.suppressed,
        "published": released.published,
        "violations": violations,
        "quarantined": quarantined,
        "scan_seconds": round(scanned - started, 2),
        "release_seconds": round(seconds - (scanned - started), 2),
        "seconds": round(seconds, 2),
        "records_per_s": round(expected / seconds),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--domain", choices=("healthcare", "financial"), required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--as-of", help="reference time for retention (ISO-8601; default now)")
    args = parser.parse_args(argv)
    as_of = parse_timestamp(args.as_of) if args.as_of else datetime.now(UTC)
    print(json.dumps(run(args.input.resolve(), args.domain, args.output.resolve(), as_of)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
