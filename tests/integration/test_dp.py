"""The private aggregates' ledger on the real PostgreSQL: a batch run within the budget
publishes and records what it spent; a second run over the same days past the budget is
refused — non-zero exit, nothing published — and the report shows the spending."""

import csv
import json
import random
from datetime import datetime

import pytest
import yaml

from connectors import audit, ledger
from connectors.lake import read_parquet_dir
from jobs import batch_compliance, report
from tests.integration.cluster import QUARANTINE_KEY

pytestmark = pytest.mark.services
KEY = "dp-integration-key-0123456789abcdef"


def records(path, day: str, n: int = 400) -> None:
    """n records of one day (far in the future: no other run's ledger entries cover it), most
    with an SSN of their own, all in two ZIP3 areas."""
    fields = ["record_id", "ssn", "zip_code", "diagnosis_code", "gender", "date_of_birth",
              "latitude", "longitude", "created_at"]  # fmt: skip
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        for i in range(n):
            writer.writerow({
                "record_id": f"dp-{i:05d}", "ssn": f"123-{45 + i % 40:02d}-{1000 + i:04d}",
                "zip_code": "10001" if i % 3 else "94110", "diagnosis_code": "E11.9",
                "gender": "F", "date_of_birth": "1980-01-01", "latitude": "40.71",
                "longitude": "-74.00", "created_at": f"{day}T{i % 24:02d}:00:00Z",
            })  # fmt: skip


def settings(path, budget: float) -> None:
    path.write_text(yaml.safe_dump({
        "domain": "healthcare", "person": "ssn", "batch_window": "day",
        "budget": {"epsilon": budget, "delta": 1e-3},
        "aggregates": {"per_zip3": {"group_by": {"zip_code": 1}, "measure": "count",
                                    "epsilon": 1.0, "delta": 1e-6,
                                    "max_groups": 1, "max_records": 1}},
    }))  # fmt: skip


def test_the_ledger_refuses_a_run_over_budget_and_the_report_shows_the_spending(
    tmp_path, monkeypatch, capsys
):
    day = f"{random.randint(2200, 9000)}-0{random.randint(1, 9)}-1{random.randint(0, 9)}"
    data, dp = tmp_path / "records.csv", tmp_path / "dp.yaml"
    records(data, day)
    settings(dp, budget=1.5)  # room for one release of ε = 1 per day, not two
    monkeypatch.setenv("COMPLIANCE_TOKEN_KEY", KEY)
    monkeypatch.setenv("COMPLIANCE_QUARANTINE_KEY", QUARANTINE_KEY)
    args = ["--domain", "healthcare", "--input", str(data), "--as-of", "2026-12-01T00:00:00Z",
            "--dp", str(dp), "--parallelism", "1"]  # fmt: skip

    first = tmp_path / "first"
    assert batch_compliance.main([*args, "--output", str(first)]) == 0
    published = read_parquet_dir(first / "dp").to_pylist()
    assert {json.loads(r["group"])["zip_code"] for r in published} == {"100", "941"}
    assert all(r["window_start"] == f"{day}T00:00:00Z" and r["epsilon"] == 1.0 for r in published)
    summary = json.loads((first / "summary.json").read_text())
    assert summary["dp"]["status"] == "published"

    second = tmp_path / "second"
    assert (
        batch_compliance.main([*args, "--output", str(second)]) == batch_compliance.EXIT_DP_REFUSED
    )
    assert "budget would be exceeded" in capsys.readouterr().err
    assert not list(second.glob("dp/*.parquet"))
    assert json.loads((second / "summary.json").read_text())["dp"]["status"] == "refused"
    assert (second / "lake").is_dir()  # everything else of the run is written

    conn = audit.connect()
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT count(*), sum(epsilon) FROM dp_ledger WHERE domain = 'healthcare' "
                        "AND window_start = %s", (f"{day}T00:00:00Z",))  # fmt: skip
            assert cur.fetchone() == (1, 1.0)  # the first run's spending only
        on = datetime.fromisoformat(day).date()
        with conn, conn.cursor() as cur:
            assert ledger.spent_on(cur, "healthcare", [on])[on][0] == 1.0
    finally:
        conn.close()

    assert report.main(["--since", "1h", "--domain", "healthcare"]) == 0
    assert "per_zip3" in capsys.readouterr().out


class Metrics:
    """A stand-in for Flink's metric group (the function's counters are read back)."""

    def __init__(self):
        self.counters = {}

    def add_group(self, _name):
        return self

    def counter(self, name):
        return self.counters.setdefault(name, Counter())


class Counter:
    def __init__(self):
        self.value = 0

    def inc(self, n=1):
        self.value += n


class Context:
    def __init__(self):
        self.metrics = Metrics()

    def get_metric_group(self):
        return self.metrics


def test_the_streaming_release_publishes_a_window_within_the_budget_and_refuses_the_next(tmp_path):
    from udfs.dp.spec import load_dp
    from udfs.flink.dp import ReleaseDP
    from udfs.schema import load_schema

    settings(tmp_path / "dp.yaml", budget=1.5)
    config = load_dp(load_schema("healthcare"), tmp_path / "dp.yaml")
    year = random.randint(2200, 9000)
    items = [f"tok_ssn_{i}\x1f10001\x1f1\x1f0.0" for i in range(300)]
    function, context = ReleaseDP(config, "per_zip3", "stream-job-1"), Context()
    function.open(context)
    try:
        first = list(function.eval(f"{year}-05-01 10:00:00", f"{year}-05-01 11:00:00", items))
        later = list(function.eval(f"{year}-05-01 11:00:00", f"{year}-05-01 12:00:00", items))
    finally:
        function.close()
    assert len(first) == 1 and first[0][1] == "per_zip3" and first[0][4] == '{"zip_code": "100"}'
    assert later == []  # the day's budget (1.5) has room for one release of ε = 1
    counters = context.metrics.counters
    assert counters["dp_groups_published"].value == 1
    assert counters["dp_windows_refused"].value == 1
