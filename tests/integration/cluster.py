"""Helpers for tests that need to hurt the local standalone cluster (scripts/services)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import uuid
from dataclasses import replace
from pathlib import Path

from connectors.settings import RUN_DIR
from jobs.config import PipelineConfig
from scripts.benchmarks.memory import descendants
from tools.flink_cluster import flink_home, rest_get

QUARANTINE_KEY = "integration-quarantine-key-0123456789"


@contextlib.contextmanager
def job_keys(token_key: str, quarantine_key: str = QUARANTINE_KEY):
    """The job's keys in the environment while a job is submitted (its client reads them)."""
    names = {"COMPLIANCE_TOKEN_KEY": token_key, "COMPLIANCE_QUARANTINE_KEY": quarantine_key}
    os.environ.update(names)
    try:
        yield
    finally:
        for name in names:
            os.environ.pop(name, None)


def taskmanager_pids() -> list[int]:
    path = RUN_DIR / "flink" / "pid" / "flink--taskexecutor.pid"
    pids = []
    for text in path.read_text().split() if path.exists() else []:
        try:
            os.kill(int(text), 0)
            pids.append(int(text))
        except (ProcessLookupError, ValueError):
            pass
    return pids


def kill_taskmanager() -> None:
    """SIGKILL every TaskManager and its Python workers, as a lost machine would take them:
    killed alone, the JVM left its workers running as orphans after the test (one per CI run)."""
    for pid in taskmanager_pids():
        kill_process_tree(pid)


def listening_pid(port: int, pids: list[int]) -> int | None:
    """Which of `pids` listens on a TCP port (from /proc: the socket's inode among its fds)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as handle:
            for line in list(handle)[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # LISTEN
                    inodes.add(fields[9])
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if link.startswith("socket:[") and link[8:-1] in inodes:
                        return pid
    return None


def job_taskmanager_pids(job_id: str, states: tuple[str, ...] = ("RUNNING",)) -> set[int]:
    """The TaskManager processes with a subtask of the job in one of `states` (REST: vertex →
    TaskManager, its data port → the process listening there)."""
    ports = {tm["id"]: tm["dataPort"] for tm in rest_get("/taskmanagers")["taskmanagers"]}
    hosting = set()
    for vertex in rest_get(f"/jobs/{job_id}")["vertices"]:
        found = rest_get(f"/jobs/{job_id}/vertices/{vertex['id']}/taskmanagers")
        for tm in found.get("taskmanagers", []):
            if tm.get("status") in states and tm["taskmanager-id"] in ports:
                hosting.add(ports[tm["taskmanager-id"]])
    pids = taskmanager_pids()
    return {pid for port in hosting if (pid := listening_pid(port, pids)) is not None}


def kill_one_hosting_taskmanager(
    job_id: str, timeout: float = 120, states: tuple[str, ...] = ("RUNNING",), ready=None
) -> int:
    """Kill one of the TaskManagers running the job's subtasks, once they are in one of
    `states` (and `ready()`, when given, says so); its pid."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hosts = job_taskmanager_pids(job_id, states) if ready is None or ready() else None
        if hosts:
            victim = min(hosts)
            kill_process_tree(victim)
            return victim
        time.sleep(0.3)
    raise TimeoutError("the job's subtasks never ran")


def kill_process_tree(pid: int) -> None:
    """SIGKILL one TaskManager and its Python workers, as a lost machine would take them."""
    for victim in [pid, *descendants(pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, 9)


def ensure_taskmanagers(count: int, timeout: float = 90) -> None:
    """At least `count` TaskManagers (separate JVMs) registered with the JobManager."""
    while len(taskmanager_pids()) < count:
        start_taskmanager(timeout, wait_for=len(taskmanager_pids()) + 1)


def start_taskmanager(timeout: float = 90, wait_for: int = 1) -> None:
    from scripts.services import flink_env

    env = flink_env()  # as scripts/services starts it: its folders, PGPASSFILE
    subprocess.run(
        ["bash", str(flink_home() / "bin" / "taskmanager.sh"), "start"],
        env=env,
        check=True,
        capture_output=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if rest_get("/overview").get("taskmanagers", 0) >= wait_for:
            return
        time.sleep(1)
    raise TimeoutError("no TaskManager registered")


def checkpointed_bounded_stream(tmp: Path, rows: int, seed: int, key: str, *flags: str):
    """A bounded stream with the audit trail on the cluster over `rows` generated records,
    running and past a checkpoint taken once records flowed (checkpoints every second): ready
    to be hurt.
    Returns (job id, data folder, output folder)."""
    import psycopg2

    from connectors.settings import PROJECT_ROOT, DatabaseSettings
    from tests.jobs.test_stream_compliance import stream_data
    from tools.flink_cluster import submit_python, wait_for_state
    from tools.ingest import ingest

    data = stream_data(tmp / "data", rows=rows, seed=seed)
    # the audit database outlives test runs: rows left for these record ids must not count
    with (
        psycopg2.connect(**DatabaseSettings.from_env().connect_kwargs()) as conn,
        conn.cursor() as cur,
    ):
        cur.execute("DELETE FROM violations WHERE domain = 'healthcare' AND record_id LIKE %s",
                    (f"h{seed}-%",))  # fmt: skip
    config, topics = pipeline_config(tmp, checkpoint_interval_ms=1000)
    ingest(topics["healthcare"], data / "records.jsonl", rate=None, progress=False)
    out = tmp / "out"
    with job_keys(key):
        job_id, _ = submit_python(
            PROJECT_ROOT / "jobs" / "stream_compliance.py",
            ["--domain", "healthcare", "--output", str(out), "--config", str(config),
             "--bounded", "--audit", "--detached", *flags],
            detached=True,
        )  # fmt: skip
    assert wait_for_state(job_id, {"RUNNING"}, timeout=120) == "RUNNING"
    # Not the first checkpoint: Flink's Kafka source can take it after its enumerator assigned
    # the partitions but before the reader received them (seen: the reader added its splits
    # 0.2 s after its own snapshot), and a job restored from it reads nothing at all — an
    # upstream race at start-up (docs/security.md, failover), not what these tests are about.
    # A checkpoint triggered after records reached a sink has the reader's splits in it. The
    # violations sink's first (in-progress) file says so at once; the REST API's record counts
    # lag up to 10 s (Flink's metric fetcher): a fast machine finished the whole input in that
    # time (CI failed on it).
    deadline = time.monotonic() + 180
    flowing = None  # wall-clock milliseconds when the first violations file was seen
    while True:
        assert time.monotonic() < deadline, "no checkpoint before the failure"
        if flowing is None and any(p.is_file() for p in out.glob("violations/*")):
            flowing = time.time() * 1000
        job, latest = rest_get(f"/jobs/{job_id}"), latest_checkpoint(job_id)
        assert job["state"] == "RUNNING", "finished before a checkpoint"
        if flowing is not None and latest > flowing:
            return job_id, data, out
        time.sleep(0.2)


def latest_checkpoint(job_id: str) -> float:
    """When the job's latest completed checkpoint was triggered (epoch ms; 0: none yet)."""
    latest = rest_get(f"/jobs/{job_id}/checkpoints").get("latest", {}).get("completed")
    return float(latest["trigger_timestamp"]) if latest else 0.0


def assert_stream_exactly_once(out: Path, data: Path, rows: int) -> None:
    """A bounded stream's outputs after a failure: every valid record once in the lake or in
    suppressed, none lost; every violation once, in the files and in the audit database."""
    import psycopg2

    from connectors.settings import DatabaseSettings
    from tests.jobs.test_stream_compliance import labels, outputs

    got = outputs(out)
    ids = [r["record_id"] for r in got["lake"]] + [r["record_id"] for r in got["suppressed"]]
    with open(data / "malformed.csv") as handle:
        malformed = sum(1 for _ in handle) - 1
    assert len(ids) == len(set(ids)), "a record reached the lake twice"
    assert len(ids) == rows - malformed, "a record was lost"
    found = [(r["record_id"], r["rule_id"], r["field"]) for r in got["violations"]]
    assert len(found) == len(set(found)), "a violation was written twice"
    truth = labels(data)
    assert {(r["record_id"], r["regulation"], r["field"]) for r in got["violations"]} == truth
    settings = DatabaseSettings.from_env()
    with psycopg2.connect(**settings.connect_kwargs()) as conn, conn.cursor() as cur:
        cur.execute("SELECT record_id, regulation, field FROM violations WHERE domain = "
                    "'healthcare' AND record_id = ANY(%s)", (list({r for r, _, _ in truth}),))  # fmt: skip
        written = cur.fetchall()
    assert set(written) == truth and len(written) == len(truth)


def pipeline_config(tmp: Path, partitions: int = 3, **stream) -> tuple[Path, dict[str, str]]:
    """conf/pipeline/local.yaml with topics of their own (and stream settings overridden)."""
    config = PipelineConfig.load()
    suffix = uuid.uuid4().hex[:8]
    topics = {role: f"it-{role}-{suffix}" for role in config.kafka.topics}
    config = replace(
        config,
        kafka=replace(config.kafka, topics=topics, partitions=partitions),
        stream=replace(config.stream, **stream),
    )
    return config.dump(tmp / f"pipeline-{suffix}.yaml"), topics


def completed_checkpoints(job_id: str) -> int:
    return rest_get(f"/jobs/{job_id}/checkpoints")["counts"]["completed"]
