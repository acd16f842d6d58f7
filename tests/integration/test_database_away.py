"""The audit database goes away in the middle of a batch run: back within the retries, the run
finishes with its violations in the database exactly once; away for good, the run fails with a
clear error and nothing of its final writes is committed."""

import threading
import time
import uuid

import psycopg2
import pytest

from connectors.settings import DatabaseSettings
from jobs.batch_compliance import JobFailed, run
from tests.integration.proxy import Proxy
from tests.jobs.conftest import AS_OF, make_job
from tools.synthetic.generator import write_dataset

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("db-away")
    write_dataset("financial", 600, out, seed=67, as_of=AS_OF, jsonl=False)
    return out / "records.csv"


DIRECT = {}  # the real server's settings, read before a test points the job at its proxy


def db(sql, params=()):
    settings = DIRECT.setdefault("settings", DatabaseSettings.from_env())
    with psycopg2.connect(**settings.connect_kwargs()) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def run_with_cut(data, tmp_path, monkeypatch, away_for: float | None):
    """The job through a proxy cut as soon as its run is RUNNING; restored after `away_for`
    seconds (None: never). Returns (summary or the error, job id)."""
    from pyflink.java_gateway import get_gateway

    # The JVM (and every Python worker it starts later, for other tests too) takes the
    # environment it is launched with: launched here, it would keep the proxy's port.
    get_gateway()
    db("SELECT 1")  # (its settings kept)
    proxy = Proxy(DIRECT["settings"].port)
    monkeypatch.setenv("COMPLIANCE_DB_PORT", str(proxy.port))
    job_id = uuid.uuid4().hex
    outcome = {}

    def work():
        try:
            outcome["summary"] = run(make_job(data, tmp_path / "out", domain="financial",
                                              audit=True, job_id=job_id))  # fmt: skip
        except JobFailed as err:
            outcome["error"] = err

    worker = threading.Thread(target=work)
    worker.start()
    deadline = time.monotonic() + 120
    while not db("SELECT 1 FROM job_runs WHERE job_id = %s", (job_id,)):
        assert time.monotonic() < deadline and worker.is_alive(), "the run never started"
        time.sleep(0.2)
    proxy.cut()
    if away_for is not None:
        time.sleep(away_for)
        proxy.restore()
    worker.join(300)
    proxy.cut()
    return outcome, job_id


def test_a_database_back_within_the_retries_gets_every_violation_once(
    data, tmp_path, monkeypatch, capsys
):
    outcome, job_id = run_with_cut(data, tmp_path, monkeypatch, away_for=2.5)
    summary = outcome["summary"]
    assert "audit: the database went away" in capsys.readouterr().err  # it was retried
    assert db("SELECT status FROM job_runs WHERE job_id = %s", (job_id,)) == [("SUCCEEDED",)]
    ((written,),) = db("SELECT count(*) FROM violations WHERE job_id = %s", (job_id,))
    assert written == summary["violations"]["total"] > 0
    assert db("SELECT event_type FROM lineage WHERE job_id = %s ORDER BY id", (job_id,)) == [
        ("START",),
        ("COMPLETE",),
    ]


def test_a_database_gone_for_good_fails_the_run_clearly_with_nothing_half_written(
    data, tmp_path, monkeypatch
):
    outcome, job_id = run_with_cut(data, tmp_path, monkeypatch, away_for=None)
    message = str(outcome["error"])
    assert "the audit database went away during the run" in message and "retried 3 times" in message
    assert db("SELECT count(*) FROM violations WHERE job_id = %s", (job_id,)) == [(0,)]
    # its row could not be closed: it still says RUNNING, and the outputs are on disk
    assert db("SELECT status FROM job_runs WHERE job_id = %s", (job_id,)) == [("RUNNING",)]
    assert (tmp_path / "out" / "violations").is_dir()
