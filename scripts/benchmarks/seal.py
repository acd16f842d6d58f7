"""The cost of sealing the quarantine (scripts/bench seal): the engine over the same generated
healthcare rows without and with a quarantine key, batch by batch in alternating order on one
core in this process (the batch job's throughput is the engine's: the seal adds no other
work), and the seal alone per quarantined line."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from tools.synthetic.generator import DEFAULT_AS_OF, write_dataset

TARGET_COST = 0.02
BATCH = 20_000  # the batch job's engine batches are of this order (read_mib of lines)


def run(rows: int, out: Path, batch: int = BATCH) -> dict:
    import pyarrow as pa

    from udfs.engine import Engine
    from udfs.protect.seal import SealKey
    from udfs.schema import load_schema, read_rules

    data = out / f"batch-{rows}"
    if not (data / "records.csv").exists():
        write_dataset("healthcare", rows, data, seed=7, as_of=DEFAULT_AS_OF, jsonl=False)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    pa.set_cpu_count(1)
    with open(data / "records.csv", "rb") as handle:
        header = handle.readline().decode().rstrip("\n")
        lines = handle.read().splitlines()[:rows]
    arrays = [pa.array(lines[i : i + batch], pa.binary()) for i in range(0, len(lines), batch)]
    schema, rules = load_schema("healthcare"), read_rules("healthcare")
    as_of = datetime(2026, 1, 1, tzinfo=UTC)
    layouts = {"/in.csv": header}
    engines = {
        "without": Engine(schema, rules, as_of, b"k" * 32, layouts=layouts),
        "with": Engine(schema, rules, as_of, b"k" * 32, layouts=layouts,
                       quarantine_secret=b"q" * 32),
    }  # fmt: skip
    for engine in engines.values():
        engine.process_lines(arrays[0])  # warm-up
    seconds = {"without": 0.0, "with": 0.0}
    quarantined = 0
    for i, array in enumerate(arrays):
        order = ("without", "with") if i % 2 == 0 else ("with", "without")
        for label in order:
            started = time.perf_counter()
            result = engines[label].process_lines(array)
            seconds[label] += time.perf_counter() - started
        quarantined += result.quarantine.num_rows
        if i % 10 == 9:
            print(f"seal: {(i + 1) * batch:,} of {len(lines):,} rows", flush=True)
    raws = pa.array([f"line {i}," + "x" * 160 for i in range(20_000)], pa.string())
    key = SealKey(b"q" * 32)
    started = time.perf_counter()
    key.seal_array(raws)
    per_line = (time.perf_counter() - started) / len(raws)
    n = len(lines)
    report = {
        "rows": n,
        "batch": batch,
        "quarantined": quarantined,
        "us_per_record": {k: round(v / n * 1e6, 3) for k, v in seconds.items()},
        "records_per_s": {k: round(n / v) for k, v in seconds.items()},
        "cost": round(seconds["with"] / seconds["without"] - 1, 4),
        "seal_us_per_quarantined_line": round(per_line * 1e6, 2),
        "target_cost": TARGET_COST,
    }
    print(f"engine, one core, {n:,} rows ({quarantined:,} quarantined): "
          f"{report['records_per_s']['without']:,} records/s without / "
          f"{report['records_per_s']['with']:,} with the quarantine sealed → cost "
          f"{report['cost']:.2%} (target ≤ {TARGET_COST:.0%}); the seal alone "
          f"{report['seal_us_per_quarantined_line']} µs per quarantined line of ~170 bytes",
          flush=True)  # fmt: skip
    return report
