"""The columnar engine alone (udfs.engine), one process pinned to one core, over generated rows
already in memory as Arrow: records/s and µs per record per stage for batches of 5,000 and
50,000 lines, with the peak memory each batch size needs; beside it, on the same rows in the
same run, the per-record step (udfs.pipeline.LineProcessor, the reference) and the ratio.

    python -m scripts.benchmarks.engine --rows 1000000      (or scripts/bench engine)

Each measurement runs in a child process of its own, so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from connectors.settings import PROJECT_ROOT
from tools.synthetic.generator import DEFAULT_AS_OF, write_dataset

TARGET = 200_000
BATCHES = (5_000, 50_000)
DOMAINS = ("healthcare", "financial")
KEY = b"engine-benchmark-key-0123456789abcdef"


def dataset(out: Path, domain: str, rows: int) -> Path:
    data = out / f"engine-{domain}-{rows}"
    if not (data / "records.csv").exists():
        started = time.perf_counter()
        write_dataset(domain, rows, data, seed=7, as_of=DEFAULT_AS_OF, jsonl=False)
        print(
            f"generated {rows:,} {domain} rows in {time.perf_counter() - started:.0f}s", flush=True
        )
    return data / "records.csv"


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(path: Path, domain: str, batch: int | None, reference_rows: int | None) -> dict:
    """In this process: the engine over the file in batches of `batch` lines, or (batch None)
    the per-record step over its first `reference_rows` lines."""
    import pyarrow as pa

    from udfs.schema import load_schema, read_rules

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    pa.set_cpu_count(1)
    schema = load_schema(domain)
    rules = read_rules(domain)
    as_of = datetime(2026, 1, 1, tzinfo=UTC)
    data = path.read_bytes().split(b"\n")
    header, lines = data[0].decode(), [line for line in data[1:] if line]
    if batch is None:
        from udfs.pipeline import LineProcessor

        lines = lines[:reference_rows] if reference_rows else lines
        step = LineProcessor(schema, rules, as_of, KEY, layouts={"/in.csv": header})
        started = time.perf_counter()
        for line in lines:
            step.process_line("/in.csv", line)
        seconds = time.perf_counter() - started
        return {
            "rows": len(lines),
            "seconds": round(seconds, 2),
            "records_per_s": round(len(lines) / seconds),
        }
    from udfs.engine import Engine

    arrays = [pa.array(lines[i : i + batch], pa.binary()) for i in range(0, len(lines), batch)]
    del data, lines
    engine = Engine(schema, rules, as_of, KEY, layouts={"/in.csv": header})
    engine.process_lines(arrays[0])  # warm-up: compiled patterns, first allocations
    engine.timings.clear()
    pool = pa.default_memory_pool()
    arrow_before, rss_before = pool.bytes_allocated(), _rss_mib()
    rows = sum(len(a) for a in arrays)
    started = time.perf_counter()
    for array in arrays:
        engine.process_lines(array)
    seconds = time.perf_counter() - started
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "rows": rows,
        "batch": batch,
        "seconds": round(seconds, 2),
        "records_per_s": round(rows / seconds),
        "us_per_record": round(seconds / rows * 1e6, 2),
        "stages_us_per_record": {k: round(v / rows * 1e6, 2) for k, v in engine.timings.items()},
        "arrow_peak_mib_over_input": round((pool.max_memory() - arrow_before) / 2**20, 1),
        "rss_peak_mib_over_input": round(max(peak_rss - rss_before, 0), 1),
    }


def _child(path: Path, domain: str, batch: int | None, reference_rows: int | None) -> dict:
    argv = [sys.executable, "-m", "scripts.benchmarks.engine", "--measure", str(path),
            "--domain", domain]  # fmt: skip
    argv += ["--batch", str(batch)] if batch else ["--reference-rows", str(reference_rows or 0)]
    done = subprocess.run(argv, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(rows: int, out: Path, reference_rows: int | None = None) -> dict:
    report: dict = {"rows": rows, "target_records_per_s": TARGET, "domains": {}}
    for domain in DOMAINS:
        path = dataset(out, domain, rows)
        result = {"engine": {}}
        for batch in BATCHES:
            print(f"{domain}: the engine, batches of {batch:,} ...", flush=True)
            result["engine"][str(batch)] = _child(path, domain, batch, None)
        print(f"{domain}: the per-record step ...", flush=True)
        reference = _child(path, domain, None, reference_rows)
        result["per_record"] = reference
        best = max(r["records_per_s"] for r in result["engine"].values())
        result["ratio_to_per_record"] = round(best / reference["records_per_s"], 2)
        result["ratio_to_target"] = round(best / TARGET, 3)
        report["domains"][domain] = result
        for batch, r in result["engine"].items():
            print(
                f"{domain}, batch {int(batch):,}: {r['records_per_s']:,} records/s "
                f"({r['us_per_record']} µs/record: "
                + ", ".join(f"{k} {v}" for k, v in r["stages_us_per_record"].items())
                + f"); peak memory over the input: Arrow {r['arrow_peak_mib_over_input']} MiB, "
                f"RSS {r['rss_peak_mib_over_input']} MiB",
                flush=True,
            )
        print(
            f"{domain}: per-record step {reference['records_per_s']:,} records/s on "
            f"{reference['rows']:,} rows; engine/per-record {result['ratio_to_per_record']}x; "
            f"engine/target ({TARGET:,}) {result['ratio_to_target']}",
            flush=True,
        )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.benchmarks.engine")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "out" / "bench")
    parser.add_argument("--reference-rows", type=int, help="per-record step on the first N rows")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--domain", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.domain, args.batch, args.reference_rows)))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    report = run(args.rows, args.out, args.reference_rows)
    (args.out / "engine.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
