import pytest

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
