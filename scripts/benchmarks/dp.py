"""The cost and the utility of the differentially private aggregates (scripts/bench dp):

- batch: the batch job on the same generated file without and with --dp (conf/dp/healthcare.yaml
  with its budget raised), alternated, records/s excluding start-up and the ratio;
- utility: the published counts of that run against the true counts of the same groups, read
  from the input file: median relative error at ε = 1, groups suppressed by partition selection;
- stream: the streaming job on the local cluster at one rate without and with --dp (1-minute
  windows, so that releases happen during the run): alert latency, sustained or not, CPU.

Needs PostgreSQL (the ledger); the stream part the broker and the cluster (scripts/services up)."""

from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import yaml

from connectors.lake import read_parquet_dir
from connectors.settings import PROJECT_ROOT
from tools.synthetic.generator import DEFAULT_AS_OF, write_dataset
from udfs.dp.contributions import group_key
from udfs.dp.spec import default_path, load_dp
from udfs.schema import load_schema

TARGET_COST = 0.10  # the aggregates may cost at most this share of the throughput


def settings(out: Path, window_minutes: int | None = None) -> Path:
    """The shipped healthcare aggregates, their budget raised for repeated benchmark runs."""
    spec = yaml.safe_load(default_path("healthcare").read_text())
    spec["budget"] = {"epsilon": 1.0e9, "delta": 1.0}
    if window_minutes:
        spec["window_minutes"] = window_minutes
    path = out / f"dp-bench-{window_minutes or 'default'}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def batch_run(data: Path, output: Path, extra: tuple[str, ...] = ()) -> dict:
    """The batch job on `data` with the flags `extra`; its summary (exits on a failed run)."""
    env = {**os.environ, "COMPLIANCE_TOKEN_KEY": secrets.token_hex(32),
           "COMPLIANCE_QUARANTINE_KEY": secrets.token_hex(32)}  # fmt: skip
    cmd = [sys.executable, "-m", "jobs.batch_compliance", "--input", str(data), "--domain",
           "healthcare", "--output", str(output), "--as-of", DEFAULT_AS_OF.isoformat(), *extra]  # fmt: skip
    if subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, check=False).returncode != 0:
        raise SystemExit(f"the batch job failed (flags {' '.join(extra) or 'none'})")
    return json.loads((output / "summary.json").read_text())


def utility(data: Path, output: Path) -> list[dict]:
    """Published counts against the true counts of their groups (records with a person and an
    event time, from the input itself), per count aggregate."""
    config = load_dp(load_schema("healthcare"))
    columns = [*config.columns, "created_at"]
    options = pcsv.ConvertOptions(include_columns=columns,
                                  column_types={c: pa.string() for c in columns})  # fmt: skip
    skip = pcsv.ParseOptions(invalid_row_handler=lambda row: "skip")  # the malformed lines
    table = pcsv.read_csv(data, parse_options=skip, convert_options=options)
    table = table.filter(pc.and_(pc.not_equal(pc.fill_null(table.column(config.person), ""), ""),
                                 pc.match_substring_regex(pc.fill_null(table.column("created_at"), ""),
                                                          r"^\d{4}-\d\d-\d\dT.*Z$")))  # fmt: skip
    published = read_parquet_dir(output / "dp").to_pylist()
    figures = []
    for aggregate in (a for a in config.aggregates if a.measure == "count"):
        counted = pc.value_counts(group_key(table, aggregate, config.hierarchies)).flatten()
        truth = dict(zip(counted[0].to_pylist(), counted[1].to_pylist(), strict=True))
        errors = []
        mine = [r for r in published if r["aggregate"] == aggregate.name]
        for row in mine:
            group = json.loads(row["group"])
            key = "\x1f".join(group[c] for c in aggregate.group_columns)
            errors.append(abs(row["value"] - truth[key]) / truth[key])
        figures.append({
            "aggregate": aggregate.name, "epsilon": aggregate.epsilon, "delta": aggregate.delta,
            "groups_true": len(truth), "groups_published": len(mine),
            "groups_suppressed": len(truth) - len(mine),
            "median_relative_error": round(statistics.median(errors), 5) if errors else None,
            "median_true_count": statistics.median(truth.values()) if truth else None,
        })  # fmt: skip
    return figures


def run(rows: int, out: Path, rate: int | None = 2000, seconds: int = 60) -> dict:
    data = out / f"batch-{rows}"
    if not (data / "records.csv").exists():
        write_dataset("healthcare", rows, data, seed=7, as_of=DEFAULT_AS_OF, jsonl=False)
    dp = settings(out)
    runs: dict[str, list[float]] = {"without": [], "with": []}
    for label in ("without", "with", "without", "with"):
        output = out / f"dp-batch-{label}"
        summary = batch_run(
            data / "records.csv", output, ("--dp", str(dp)) if label == "with" else ()
        )
        runs[label].append(summary["records_per_s_excluding_startup"])
        print(
            f"batch {label} --dp: {runs[label][-1]:,.0f} records/s excluding start-up", flush=True
        )
    best = {label: max(rates) for label, rates in runs.items()}
    report = {
        "rows": rows,
        "batch_records_per_s": runs,
        "batch_cost": round(1 - best["with"] / best["without"], 4),
        "utility": utility(data / "records.csv", out / "dp-batch-with"),
    }
    print(f"batch, {rows:,} rows: best {best['without']:,.0f} without / {best['with']:,.0f} "
          f"records/s with --dp → cost {report['batch_cost']:.1%} (target ≤ {TARGET_COST:.0%})",
          flush=True)  # fmt: skip
    for u in report["utility"]:
        print(f"utility of {u['aggregate']} at ε = {u['epsilon']}, δ = {u['delta']}: median "
              f"relative error {u['median_relative_error']} over {u['groups_published']:,} groups "
              f"published (median true count {u['median_true_count']}), "
              f"{u['groups_suppressed']:,} of {u['groups_true']:,} suppressed by partition "
              "selection", flush=True)  # fmt: skip
    if rate:
        from scripts.benchmarks import stream

        minute = settings(out, window_minutes=1)
        plain = stream.one_rate(rate, seconds, out, name="-plain")
        private = stream.one_rate(rate, seconds, out, extra=("--dp", str(minute)), name="-dp")
        report["stream"] = {"without": plain, "with": private}
        cpu = [sum(r["cpu_per_1000"].values()) for r in (plain, private)]
        report["stream_cpu_cost"] = round(cpu[1] / cpu[0] - 1, 4)
        print(f"stream at {rate}/s: sustained {plain['sustained']} / {private['sustained']}, "
              f"p99 {plain['p99_ms']:.0f} / {private['p99_ms']:.0f} ms, CPU s per 1,000 records "
              f"{cpu[0]:.3f} / {cpu[1]:.3f} without / with --dp → cost "
              f"{report['stream_cpu_cost']:.1%}", flush=True)  # fmt: skip
    return report
