"""Failover across processes: the local cluster with two TaskManagers (separate JVMs, each with
its Python workers); one of those running the job is killed mid-run, the other takes its work
over. The batch job and the streaming job both finish with their counts reconciled, the lake and
the audit trail exactly once."""

import json
import threading
import time

import psycopg2
import pytest

from connectors.lake import read_lake, read_parquet_dir
from connectors.settings import PROJECT_ROOT, DatabaseSettings
from tests.integration.cluster import (
    assert_stream_exactly_once,
    checkpointed_bounded_stream,
    job_keys,
    kill_one_hosting_taskmanager,
    taskmanager_pids,
)
from tests.jobs.conftest import AS_OF
from tools.flink_cluster import rest_get, submit_python, wait_for_state
from tools.synthetic.generator import write_dataset

pytestmark = pytest.mark.services
KEY = "failover-token-key-0123456789"


def db(sql, params=()):
    settings = DatabaseSettings.from_env()
    with psycopg2.connect(**settings.connect_kwargs()) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def running_job(name_part: str, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for job in rest_get("/jobs/overview")["jobs"]:
            if job["state"] == "RUNNING" and name_part in job["name"]:
                return job["jid"]
        time.sleep(0.3)
    raise TimeoutError(f"no running job named like {name_part!r}")


def test_the_batch_job_survives_losing_one_of_two_taskmanagers(tmp_path, two_taskmanagers):
    write_dataset("financial", 300_000, tmp_path / "data", seed=71, as_of=AS_OF, jsonl=False)
    out = tmp_path / "out"
    done = {}

    def submit():
        with job_keys(KEY):
            done["ids"] = submit_python(
                PROJECT_ROOT / "jobs" / "batch_compliance.py",
                ["--input", str(tmp_path / "data" / "records.csv"), "--domain", "financial",
                 "--output", str(out), "--as-of", AS_OF.isoformat(), "--audit", "--no-quality"],
            )  # fmt: skip

    client = threading.Thread(target=submit)
    client.start()
    scan = running_job("flink-compliance batch")
    # Mid-scan: once a split's files are staged. Its ~2 s of work can pass between two of the
    # REST's snapshots of the job (refreshed every few seconds): a host seen deploying counts.
    staged = out / "_staging"
    victim = kill_one_hosting_taskmanager(
        scan, states=("INITIALIZING", "RUNNING"),
        ready=lambda: staged.is_dir() and any(p.is_file() for p in staged.rglob("*")),
    )  # fmt: skip
    client.join(900)
    assert "ids" in done, "the batch job did not finish"
    assert victim not in taskmanager_pids() and taskmanager_pids(), "one of two was lost"
    history = rest_get(f"/jobs/{scan}/exceptions").get("exceptionHistory", {}).get("entries")
    assert history, "the kill was seen by the scan"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["reconciled"] and summary["records_in"] == 300_000
    ids = read_lake(out / "lake").column("record_id").to_pylist()
    assert len(ids) == len(set(ids)) == summary["published"]
    violations = read_parquet_dir(out / "violations")
    keys = list(zip(*(violations.column(c).to_pylist() for c in ("record_id", "rule_id", "field")),
                    strict=True))  # fmt: skip
    assert len(keys) == len(set(keys)) == summary["violations"]["total"]
    assert db("SELECT status, records_in FROM job_runs WHERE job_id = %s",
              (summary["job_id"],)) == [("SUCCEEDED", 300_000)]  # fmt: skip
    assert db("SELECT count(*) FROM violations WHERE job_id = %s",
              (summary["job_id"],)) == [(len(keys),)]  # fmt: skip


def test_the_stream_survives_losing_one_of_two_taskmanagers(tmp_path, two_taskmanagers):
    rows = 45_000
    job_id, data, out = checkpointed_bounded_stream(tmp_path, rows, 73, KEY, "--no-quality")
    victim = kill_one_hosting_taskmanager(job_id)
    assert wait_for_state(job_id, {"FINISHED"}, timeout=500) == "FINISHED"
    assert victim not in taskmanager_pids() and taskmanager_pids()
    assert rest_get(f"/jobs/{job_id}/exceptions").get("exceptionHistory", {}).get("entries")
    assert_stream_exactly_once(out, data, rows)
