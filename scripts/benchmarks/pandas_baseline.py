"""The baseline of `scripts/bench batch`: one plain Python process with pandas, the same rules and
the same tokenization as the Flink job (udfs.pipeline.RecordProcessor), no Flink.

    python -m scripts.benchmarks.pandas_baseline --input records.csv --domain healthcare --output DIR

pandas reads the CSV (all columns as text); each row goes through the job's own validate → detect
→ protect; the protected records and the violation rows are written as Parquet (one file each,
no date partitions, no k-anonymity search). Lines pandas cannot split into the header's columns
are counted as quarantined (pandas skips them; the count is lines minus rows read). Prints one
JSON object: rows, seconds, records/s, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from connectors import files
from udfs.pipeline import (
    RECORD,
    RECORD_ID_AT,
    VIOLATION_FIELDS,
    VIOLATIONS_AT,
    RecordProcessor,
    output_names,
)
from udfs.protect.tokenize import key_secret_from_env
from udfs.schema import CONF_DIR, load_schema, read_yaml
from udfs.validation import parse_timestamp


def run(input_path: Path, domain: str, output: Path, as_of: datetime) -> dict:
    started = time.perf_counter()
    schema = load_schema(domain)
    rules = read_yaml(CONF_DIR / "rules" / f"{domain}.yaml")
    processor = RecordProcessor(schema, rules, as_of, key_secret_from_env())
    frame = pd.read_csv(
        input_path, dtype=str, keep_default_na=False, on_bad_lines="skip", engine="c"
    )
    read_seconds = time.perf_counter() - started
    names = [n for n in schema.names if n in frame.columns]
    extras = [c for c in frame.columns if c not in schema.names]
    records, violations, quarantined = [], [], 0
    for row in frame[names + extras].itertuples(index=False, name=None):
        values = dict(zip(names, row, strict=False))
        extra = json.dumps(dict(zip(extras, row[len(names) :], strict=True))) if extras else None
        for out in processor.process_record(values, ",".join(row), extra):
            if out[0] == RECORD:
                records.append(out)
                violations.extend((out[RECORD_ID_AT], *v) for v in out[VIOLATIONS_AT])
            else:
                quarantined += 1
    output.mkdir(parents=True, exist_ok=True)
    lake = pd.DataFrame.from_records(records, columns=list(output_names(schema))).drop(
        columns=["kind", "reason", "raw", "group_key", "alert", "violations"]
    )
    lake.to_parquet(output / "records.parquet", index=False)
    found = pd.DataFrame.from_records(violations, columns=["record_id", *VIOLATION_FIELDS])
    found.to_parquet(output / "violations.parquet", index=False)
    seconds = time.perf_counter() - started
    lines = files.count_records(input_path)
    return {
        "rows": lines,
        "records": len(records),
        "violations": len(violations),
        "quarantined": quarantined + (lines - len(frame)),
        "read_seconds": round(read_seconds, 2),
        "seconds": round(seconds, 2),
        "records_per_s": round(lines / seconds),
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
    print(json.dumps(run(args.input, args.domain, args.output, as_of)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
