"""The floor of the batch job's scan: the same Flink graph (input splits → the Python workers
read, parse and write their staging and quarantine Parquet, in the local MiniCluster) with
validate → detect → protect skipped: each line is only split into its fields. Its time is what
Flink, the reading and the Parquet writing cost on this machine before any rule runs — the scan
cannot be faster.

    python -m scripts.benchmarks.batch_floor --input records.csv --domain healthcare

Writes nothing that stays (its staging goes to a temporary directory: it holds the raw values).
Prints one JSON object: rows, seconds from submission to the end of the scan, records/s.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from connectors import files
from connectors.splits import plan_for_workers
from jobs.batch_compliance import BatchJob, scan, scan_table
from jobs.config import PipelineConfig
from udfs.engine import Engine, EngineResult
from udfs.engine.engine import _blank_to_null
from udfs.engine.parse import Parsed
from udfs.engine.schemas import ALERTS, VIOLATIONS
from udfs.schema import DOMAINS, load_schema, read_rules
from udfs.validation import parse_timestamp


class SplitOnlyEngine(Engine):
    """Lines split into their fields and passed on as records: no validation, rule or
    protection (lines the parser refuses still go to the quarantine)."""

    per_record_below = 0  # never the per-record path: it would run the rules

    def _process(self, parsed: Parsed, inputs: int, source_ms=None) -> EngineResult:
        n = parsed.size
        created = parsed.values.get("created_at") or pa.nulls(n, pa.string())
        columns = {
            "row": pa.array(parsed.rows.astype(np.int32)),
            "record_id": self._column(parsed.values, "record_id", n),
            "event_date": pc.utf8_slice_codeunits(created, 0, 10),
            "event_ms": pa.array(np.zeros(n, dtype=np.int64)),
        }
        for name in self.payload:
            columns[name] = _blank_to_null(self._column(parsed.values, name, n))
        columns["extra"] = parsed.extra
        records = pa.Table.from_pydict(columns, schema=self.records_schema)
        quarantine = self._quarantine(parsed, np.full(n, None, dtype=object))
        return EngineResult(
            inputs, records, VIOLATIONS.empty_table(), quarantine, ALERTS.empty_table(),
            parsed.skipped,
        )  # fmt: skip


def run(input_path: Path, domain: str, as_of: str, parallelism: int | None = None) -> dict:
    if __name__ != "__main__":  # the workers cannot import scripts/: ship these classes by value
        import cloudpickle

        cloudpickle.register_pickle_by_value(sys.modules[__name__])
    schema = load_schema(domain)
    rules_config = read_rules(domain)
    layouts = files.read_layouts(input_path, schema)
    rows = sum(files.count_records(Path(p)) for p in layouts)
    output = Path(tempfile.mkdtemp(prefix="compliance-floor-"))
    try:
        job = BatchJob(
            input=input_path.resolve(), domain=domain, output=output,
            as_of=parse_timestamp(as_of), key_secret=secrets.token_bytes(32),
            throwaway_key=True, pipeline=PipelineConfig.load(None), parallelism=parallelism,
            quiet=True,
        )  # fmt: skip
        workers = parallelism or job.pipeline.parallelism
        splits = plan_for_workers(list(layouts), job.pipeline.batch.split_bytes, workers)
        table = scan_table(job, schema, rules_config, layouts, splits, SplitOnlyEngine).table
        started = time.perf_counter()
        scan(job, table)
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(output, ignore_errors=True)
    return {"rows": rows, "scan_seconds": round(seconds, 2), "records_per_s": round(rows / seconds)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.benchmarks.batch_floor")
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--domain", choices=DOMAINS, default="healthcare")
    parser.add_argument("--as-of", default="2026-01-01T00:00:00+00:00")
    parser.add_argument("--parallelism", type=int)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.input, args.domain, args.as_of, args.parallelism)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
