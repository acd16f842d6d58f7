"""The batch job in the embedded MiniCluster, on generated data with ground truth."""

import csv
import re
from collections import Counter

import pyarrow.parquet as pq
import pytest

from connectors.lake import read_lake, read_parquet_dir
from jobs.batch_compliance import run
from tests.jobs.conftest import make_job
from udfs.schema import load_schema

pytestmark = pytest.mark.jvm

RAW_PATTERNS = {
    "ssn": re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])"),
    "card": re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])"),
    "email": re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"),
    "phone": re.compile(r"\(\d{3}\) \d{3}-\d{4}|\+1 \d{3}-\d{3}-\d{4}"),
}


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def looks_raw(kind: str, match: str) -> bool:
    """An independent, rough validity check: look-alikes of identifiers may stay in clear."""
    if kind == "ssn":
        area, group, serial = match.split("-")
        return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"
    if kind != "card":
        return True
    digits = "".join(c for c in match if c.isdigit())
    return luhn(digits) and digits[0] in "23456"  # issuer families; look-alikes may stay


@pytest.fixture(scope="module")
def result(generated, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch-out")
    summary = run(make_job(generated / "records.csv", out))
    return summary, out


def test_counts_reconcile(result, generated):
    summary, _ = result
    with open(generated / "malformed.csv") as handle:
        malformed = sum(1 for _ in handle) - 1
    assert summary["records_in"] == 3000 == summary["records_expected"]
    assert summary["published"] + summary["suppressed"] + summary["quarantined"] == 3000
    assert summary["quarantined"] == malformed
    assert summary["reconciled"] is True


def test_violations_match_ground_truth(result, generated):
    _, out = result
    table = read_parquet_dir(out / "violations", ["record_id", "regulation", "field"]).to_pylist()
    found = {(r["record_id"], r["regulation"], r["field"]) for r in table}
    with open(generated / "labels.csv", newline="") as handle:
        truth = {(r["record_id"], r["regulation"], r["field"]) for r in csv.DictReader(handle)}
    assert found == truth
    assert len(table) >= len(found)  # one row per violation (several rules may hit one field)


def test_quarantine_holds_every_malformed_row_with_reason(result, generated):
    _, out = result
    rows = read_parquet_dir(out / "quarantine").to_pylist()
    with open(generated / "malformed.csv", newline="") as handle:
        malformed = {r["record_id"] for r in csv.DictReader(handle)}
    assert {r["record_id"] for r in rows} == malformed
    assert all(r["reason"] and r["raw"] for r in rows)


def test_lake_is_k_anonymous_independently_checked(result):
    summary, out = result
    lake = read_lake(out / "lake").to_pylist()
    assert len(lake) == summary["published"]
    qis = load_schema("healthcare").anonymity["quasi_identifiers"]
    groups = Counter(tuple(r[q] for q in qis) for r in lake)
    assert min(groups.values()) >= summary["k"] == 5
    assert summary["suppressed"] <= 0.02 * (summary["published"] + summary["suppressed"])


def test_lake_partitioned_by_date_and_holds_no_raw_identifiers(result):
    _, out = result
    partitions = [p.name for p in (out / "lake").iterdir()]
    assert partitions and all(re.fullmatch(r"date=\d{4}-\d{2}-\d{2}", p) for p in partitions)
    lake = read_lake(out / "lake")
    for name in lake.column_names:
        if name in ("created_at", "date", "record_id", "latitude", "longitude", "date_of_birth"):
            continue
        for value in lake.column(name).to_pylist():
            if value:
                for kind, pattern in RAW_PATTERNS.items():
                    for match in pattern.findall(value):
                        assert not looks_raw(kind, match), f"raw {kind} in lake column {name}"
    for f in (out / "lake").rglob("*.parquet"):
        assert pq.read_metadata(f).num_rows > 0


def test_summary_file(result):
    summary, out = result
    import json

    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk["records_in"] == summary["records_in"]
    assert set(on_disk["violations"]) >= {"total", "HIPAA", "GDPR", "PCI-DSS", "LOCATION"}
    assert on_disk["records_per_s"] > 0 and 0 <= on_disk["information_loss"] <= 1
    # Start-up: the JVM's (the MiniCluster starts inside the scan, before its job's submission)
    assert 0 < on_disk["startup_seconds"] < on_disk["wall_seconds"]
    assert 0 < on_disk["scan_submit_seconds"] < on_disk["scan_seconds"]
    assert on_disk["records_per_s_excluding_startup"] > on_disk["records_per_s"]


def test_the_release_in_the_workers_writes_the_lake_the_driver_would(result, generated, tmp_path):
    """A large input's release is a second Flink job, one task per date bucket; forced here on
    the small input, it gives the same lake and figures as the driver's release."""
    from dataclasses import replace

    from jobs.config import PipelineConfig

    base = PipelineConfig.load()
    in_workers = replace(
        base, batch=replace(base.batch, release_in_driver_mib=0, release_in_driver_when_local=False)
    )
    job = make_job(generated / "records.csv", tmp_path / "out", pipeline=in_workers)
    summary = run(job)
    for key in ("published", "suppressed", "levels", "information_loss", "lake_files"):
        assert summary[key] == result[0][key], key
    lake = read_lake(tmp_path / "out" / "lake")
    assert sorted(lake["record_id"].to_pylist()) == sorted(
        read_lake(result[1] / "lake")["record_id"].to_pylist()
    )


def scan_env(generated, tmp_path):
    """The table environment a local run of the job scans in (its graph built, not run)."""
    from connectors import files
    from connectors.splits import plan_for_workers
    from jobs.batch_compliance import scan_table
    from udfs.schema import read_rules

    job = make_job(generated / "records.csv", tmp_path / "out")
    layouts = files.read_layouts(job.input, load_schema("healthcare"))
    splits = plan_for_workers(list(layouts), job.pipeline.batch.split_bytes, 2)
    return scan_table(
        job, load_schema("healthcare"), read_rules("healthcare"), layouts, splits
    ).t_env


def test_the_batch_job_ships_no_connector_jar(generated, tmp_path):
    """Its Python workers read and write every file: the connectors' ~80 MB of jars only slowed
    its start (connectors/jars.py)."""
    t_env = scan_env(generated, tmp_path)
    jars = t_env.get_config().get("pipeline.jars", "")
    assert "flink-compliance-udfs.jar" in jars
    assert "kafka" not in jars and "hadoop" not in jars and "parquet" not in jars


def test_a_local_run_releases_in_the_driver_and_a_cluster_run_in_its_workers(generated, tmp_path):
    """On a local MiniCluster the workers share the driver's cores: the release skips the second
    Flink job there (jobs.runtime.runs_locally), whatever the input's size."""
    from jobs.runtime import runs_locally

    t_env = scan_env(generated, tmp_path)
    assert runs_locally(t_env)
    t_env.get_config().set("execution.target", "remote")  # what `flink run` sets
    assert not runs_locally(t_env)
