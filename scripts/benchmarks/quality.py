"""The cost of the data-quality metrics (scripts/bench quality): the batch job on the same
generated healthcare file without (--no-quality) and with them, alternating, in the same run;
records/s excluding start-up and the scan's seconds (the release's time varies more than the
metrics cost), best against best and pair by pair."""

from __future__ import annotations

import time
from pathlib import Path

from scripts.benchmarks.dp import batch_run
from tools.synthetic.generator import DEFAULT_AS_OF, write_dataset

TARGET_COST = 0.05
PAIRS = 3
IN_PROCESS_ROWS = 200_000  # the first rows of the file, in batches of the job's size


def in_process(path: Path, rows: int = IN_PROCESS_ROWS, batch: int = 20_000) -> dict:
    """On one core in this process: the engine over the rows, then the quality measurement of
    each batch's result as the scan does it (counts and distinct ids): µs per record of each
    and their ratio — the cost without the run-to-run noise of a whole job."""
    import os
    from datetime import UTC, datetime

    import pyarrow as pa

    from udfs.engine import Engine
    from udfs.quality import measure as quality
    from udfs.quality.spec import load_quality
    from udfs.schema import load_schema, read_rules

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    pa.set_cpu_count(1)
    with open(path, "rb") as handle:
        header = handle.readline().decode().rstrip("\n")
        lines = [handle.readline().rstrip(b"\n") for _ in range(rows)]
    schema = load_schema("healthcare")
    as_of = datetime(2026, 1, 1, tzinfo=UTC)
    engine = Engine(schema, read_rules("healthcare"), as_of, b"k" * 32,
                    layouts={"/in.csv": header})  # fmt: skip
    config = load_quality(schema)
    stale_before = quality.stale_before_as_of(as_of, config)
    arrays = [pa.array(lines[i : i + batch], pa.binary()) for i in range(0, len(lines), batch)]
    engine.process_lines(arrays[0])  # warm-up
    engine_s = measure_s = 0.0
    ids = []
    for array in arrays:
        started = time.perf_counter()
        result = engine.process_lines(array)
        middle = time.perf_counter()
        ids.append(quality.measure_with_ids(result, config, stale_before)[1])
        measure_s += time.perf_counter() - middle
        engine_s += middle - started
    started = time.perf_counter()
    quality.ids_table(ids)
    measure_s += time.perf_counter() - started
    return {"rows": rows, "batch": batch,
            "engine_us_per_record": round(engine_s / rows * 1e6, 3),
            "quality_us_per_record": round(measure_s / rows * 1e6, 3),
            "share_of_engine": round(measure_s / engine_s, 4)}  # fmt: skip


def run(rows: int, out: Path, pairs: int = PAIRS) -> dict:
    data = out / f"batch-{rows}"
    if not (data / "records.csv").exists():
        write_dataset("healthcare", rows, data, seed=7, as_of=DEFAULT_AS_OF, jsonl=False)
    rates: dict[str, list[float]] = {"without": [], "with": []}
    scans: dict[str, list[float]] = {"without": [], "with": []}
    quality = None
    for label in ("without", "with") * pairs:
        extra = ("--no-quality",) if label == "without" else ()
        summary = batch_run(data / "records.csv", out / f"quality-batch-{label}", extra)
        rates[label].append(summary["records_per_s_excluding_startup"])
        scans[label].append(summary["scan_seconds"])
        quality = summary.get("quality") or quality
        print(f"batch {label} quality: {rates[label][-1]:,.0f} records/s excluding start-up, "
              f"scan {scans[label][-1]:.1f}s", flush=True)  # fmt: skip
    cpu = in_process(data / "records.csv")
    print(f"in process, one core, {cpu['rows']:,} rows: engine {cpu['engine_us_per_record']} "
          f"µs/record, quality {cpu['quality_us_per_record']} µs/record → "
          f"{cpu['share_of_engine']:.1%} of the engine", flush=True)  # fmt: skip
    best = {label: max(r) for label, r in rates.items()}
    fastest_scan = {label: min(s) for label, s in scans.items()}
    pairwise = [round(1 - w / o, 4) for o, w in zip(rates["without"], rates["with"], strict=True)]
    report = {
        "rows": rows,
        "records_per_s": rates,
        "scan_seconds": scans,
        "cost": round(1 - best["with"] / best["without"], 4),
        "pairwise_cost": pairwise,
        "scan_cost": round(fastest_scan["with"] / fastest_scan["without"] - 1, 4),
        "target_cost": TARGET_COST,
        "in_process": cpu,
        "quality": quality,
    }
    print(f"batch, {rows:,} rows: best {best['without']:,.0f} without / {best['with']:,.0f} "
          f"records/s with the quality metrics → cost {report['cost']:.1%} (pairwise "
          f"{', '.join(f'{c:.1%}' for c in report['pairwise_cost'])}; fastest scans "
          f"{fastest_scan['without']:.1f}s / {fastest_scan['with']:.1f}s → {report['scan_cost']:.1%}); "
          f"target ≤ {TARGET_COST:.0%}", flush=True)  # fmt: skip
    return report
