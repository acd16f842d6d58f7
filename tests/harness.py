"""A test harness in the manner of bytewax's testing module: a list of records in (dicts, the
fields left out empty), named output rows out (dicts) — through the engine in-process, or
through the batch job in Flink's MiniCluster. A rule or job test is then a few lines:

    out = run_engine([record(notes="SSN 123-45-6789")])
    assert [v["rule_id"] for v in out.violations] == ["hipaa.phi_in_free_text"]
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
KEY = b"harness-test-key-0123456789abcdef"
QUARANTINE_KEY = b"harness-quarantine-key-0123456789"
# A record that breaks no rule (consent given, recent): a test sets only what it is about.
CLEAN = {"created_at": "2025-06-01T00:00:00Z", "consent_given": "true"}


def record(record_id: str = "r1", **values: str) -> dict[str, str]:
    return {"record_id": record_id, **CLEAN, **values}


@dataclass
class Outputs:
    records: list[dict[str, Any]] = field(default_factory=list)  # protected records (the lake)
    violations: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)  # the batch job's summary.json

    def by_id(self, name: str = "records") -> dict[str, dict[str, Any]]:
        return {row["record_id"]: row for row in getattr(self, name)}


def csv_text(records: list[dict[str, str] | str], domain: str) -> str:
    """The records as the domain's CSV (a str item is written as a raw line: bad input)."""
    from udfs.schema import load_schema

    names = load_schema(domain).names
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for item in records:
        if isinstance(item, str):
            out.write(item + "\n")
        else:
            unknown = set(item) - set(names)
            assert not unknown, f"not fields of {domain}: {sorted(unknown)}"
            writer.writerow([item.get(n, "") for n in names])
    return out.getvalue()


def run_engine(
    records: list[dict[str, str] | str], domain: str = "healthcare", rules: dict | None = None,
    as_of: datetime = AS_OF, alert_min_severity: str = "high", **engine_kwargs: Any,
) -> Outputs:  # fmt: skip
    """The records through the columnar engine, as the jobs run it (CSV lines in)."""
    import pyarrow as pa

    from udfs.engine import Engine
    from udfs.schema import load_schema, read_rules

    text = csv_text(records, domain)
    header, *lines = text.splitlines()
    schema = load_schema(domain)
    engine = Engine(schema, rules or read_rules(domain), as_of, KEY, layouts={"/in.csv": header},
                    alert_min_severity=alert_min_severity, **engine_kwargs)  # fmt: skip
    result = engine.process_lines(pa.array([line.encode() for line in lines], pa.binary()))
    alerts = [{**row, "alert": json.loads(row["alert"])} for row in result.alerts.to_pylist()]
    return Outputs(
        result.records.to_pylist(), result.violations.to_pylist(),
        result.quarantine.to_pylist(), alerts,
    )  # fmt: skip


def run_batch_job(
    records: list[dict[str, str] | str], tmp_path: Path, domain: str = "healthcare",
    rules: dict | None = None, **job_kwargs: Any,
) -> Outputs:  # fmt: skip
    """The records through the batch job in the MiniCluster: the lake, violations, quarantine
    and summary it wrote, as rows. `rules` (a rules config) is written to a file for --rules."""
    import yaml

    from connectors.lake import read_parquet_dir
    from jobs.batch_compliance import BatchJob, run
    from jobs.config import PipelineConfig

    source = tmp_path / "input.csv"
    source.write_text(csv_text(records, domain), encoding="utf-8")
    rules_path = None
    if rules is not None:
        rules_path = tmp_path / "rules.yaml"
        rules_path.write_text(yaml.safe_dump(rules))
    output = tmp_path / "out"
    job = BatchJob(input=source, domain=domain, output=output, as_of=AS_OF, key_secret=KEY,
                   quarantine_secret=QUARANTINE_KEY,
                   pipeline=PipelineConfig.load(), rules_path=rules_path, quiet=True,
                   **job_kwargs)  # fmt: skip
    summary = run(job)
    read = lambda name: read_parquet_dir(output / name).to_pylist()  # noqa: E731
    return Outputs(read("lake"), read("violations"), read("quarantine"), summary=summary)
