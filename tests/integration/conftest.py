import time

import pytest

from tests.integration.cluster import ensure_taskmanagers, taskmanager_pids
from tools.flink_cluster import cancel_job, rest_get


def cancel_running_jobs() -> None:
    try:
        jobs = rest_get("/jobs/overview")["jobs"]
    except OSError:
        return
    for job in jobs:
        if job["state"] in ("RUNNING", "CREATED", "RESTARTING", "INITIALIZING"):
            cancel_job(job["jid"])


@pytest.fixture(autouse=True)
def free_cluster_slots():
    """A test that fails half-way must not leave a streaming job holding the cluster's slots."""
    yield
    cancel_running_jobs()


@pytest.fixture
def two_taskmanagers():
    ensure_taskmanagers(2)
    yield
    ensure_taskmanagers(1)  # what the other tests expect: the survivor, or a fresh one
    # ... and no dead one still registered: a job scheduled onto it next (the TaskManager-kill
    # test of test_stream.py) lost records in its lake (docs/security.md, failover).
    deadline = time.monotonic() + 120
    while len(rest_get("/taskmanagers")["taskmanagers"]) != len(taskmanager_pids()):
        assert time.monotonic() < deadline, "a dead TaskManager stayed registered"
        time.sleep(1)
