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
    """SIGKILL the TaskManager and its Python workers, as a lost machine would take them: killed
    alone, the JVM left its workers running as orphans after the test (one per CI run)."""
    for pid in taskmanager_pids():
        for victim in [pid, *descendants(pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, 9)


def start_taskmanager(timeout: float = 90) -> None:
    env = {
        **os.environ,
        "FLINK_CONF_DIR": str(RUN_DIR / "flink" / "conf"),
        "FLINK_LIB_DIR": str(RUN_DIR / "flink" / "lib"),
        "FLINK_LOG_DIR": str(RUN_DIR / "flink" / "log"),
    }
    subprocess.run(
        ["bash", str(flink_home() / "bin" / "taskmanager.sh"), "start"],
        env=env,
        check=True,
        capture_output=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if rest_get("/overview").get("taskmanagers", 0) >= 1:
            return
        time.sleep(1)
    raise TimeoutError("no TaskManager registered")


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
