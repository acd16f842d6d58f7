"""CPU seconds used by the parts of a local streaming run, read from /proc: the TaskManager JVM,
its Python workers, the Kafka broker and this process (the load generator and the alert
consumer). Latency on a shared 2-core machine is noisy; CPU per record is not."""

from __future__ import annotations

import os
from pathlib import Path

from scripts.benchmarks.memory import stat_fields

TICKS = os.sysconf("SC_CLK_TCK")
# A process belongs to the first part whose marker its command line contains.
PARTS = (
    ("taskmanager", "TaskManagerRunner"),
    ("python_workers", "pyflink.fn_execution"),
    ("broker", "kafka.Kafka"),
    ("capture", "ConnectDistributed"),  # Kafka Connect with Debezium (change data capture)
    ("database", "postgres"),  # the server and its backends ("postgres: user db …")
)


def cpu_seconds(pid: int | str) -> float:
    """CPU seconds so far of a process (`pid`) or of one of its threads (`"PID/task/TID"`)."""
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def part_of(cmdline: str) -> str | None:
    for part, marker in PARTS:
        if marker in cmdline:
            return part
    return None


def snapshot() -> dict[int, tuple[str, float]]:
    """pid → (part, CPU seconds so far) for every process of a part, and this process."""
    found: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            part = "load_generator" if int(entry.name) == os.getpid() else part_of(cmdline)
            if part:
                found[int(entry.name)] = (part, cpu_seconds(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def used_since(before: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds per part since `before` (processes started since count from zero; those gone
    since are left out)."""
    totals: dict[str, float] = {}
    for pid, (part, now) in snapshot().items():
        start = before.get(pid, (part, 0.0))[1]
        totals[part] = totals.get(part, 0.0) + now - start
    return {part: round(seconds, 2) for part, seconds in sorted(totals.items())}
