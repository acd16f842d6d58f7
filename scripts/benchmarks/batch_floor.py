"""The floor of the batch job's scan: the same Flink graph (CSV lines → the vectorized Python step
→ staging Parquet and quarantine, in the local MiniCluster) with validate → detect → protect
skipped: each line is only split into its fields. Its time is what Flink, PyFlink's Arrow path
and the Parquet writer cost on this machine before any rule runs — the scan cannot be faster.

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

from connectors import files
from jobs.batch_compliance import BatchJob, scan_statements
from jobs.config import PipelineConfig
from udfs.flink.functions import ProcessLines
from udfs.pipeline import RECORD, LineProcessor
from udfs.schema import CONF_DIR, load_schema, read_yaml
from udfs.validation import parse_timestamp


class SplitOnlyProcessor(LineProcessor):
    """A line split into its fields and passed on as a record row: no rule, no protection."""

    def process_record(self, values, raw, extra, source_ms=None) -> list[tuple]:
        payload = tuple(values.get(n) or None for n in self.payload)
        event_date = (values.get("created_at") or "")[:10]
        return [
            self.row(
                RECORD, payload, extra, record_id=values.get("record_id"), event_date=event_date,
                violations=[],
            )
        ]  # fmt: skip


class SplitOnlyLines(ProcessLines):
    def make_processor(self) -> LineProcessor:
        return SplitOnlyProcessor(*self.args, layouts=self.layouts, **self.kwargs)


def run(input_path: Path, domain: str, as_of: str, parallelism: int | None = None) -> dict:
    if __name__ != "__main__":  # the workers cannot import scripts/: ship these classes by value
        import cloudpickle

        cloudpickle.register_pickle_by_value(sys.modules[__name__])
    schema = load_schema(domain)
    rules_config = read_yaml(CONF_DIR / "rules" / f"{domain}.yaml")
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
        statements = scan_statements(job, schema, rules_config, layouts, step=SplitOnlyLines)
        started = time.perf_counter()
        statements.execute().wait()
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(output, ignore_errors=True)
    return {"rows": rows, "scan_seconds": round(seconds, 2), "records_per_s": round(rows / seconds)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.benchmarks.batch_floor")
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--domain", choices=("healthcare", "financial"), default="healthcare")
    parser.add_argument("--as-of", default="2026-01-01T00:00:00+00:00")
    parser.add_argument("--parallelism", type=int)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.input, args.domain, args.as_of, args.parallelism)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
