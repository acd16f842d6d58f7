"""The TaskManager's CPU by thread, read from /proc (per thread) and named by the JVM's own thread
dump (`jcmd PID Thread.print`: a thread's `nid` is its Linux thread id), grouped by kind: the JIT
compilers, the garbage collector, each Flink task (its operator chain's first operator), the
Kafka source's fetcher and the producers, the Python bridge, checkpoints. A sampling profiler
(JFR) sees only threads running Java code; the JIT and the garbage collector were ~60% of a
fresh TaskManager's CPU in its first minute, which no sample shows."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from scripts.benchmarks.cpu import cpu_seconds

# (kind, pattern of the thread's name); the first that matches names the kind
KINDS = (
    ("jit", r"^C[12] CompilerThread"),
    ("gc", r"^(G1 |GC Thread|VM Thread|VM Periodic Task Thread)"),
    ("kafka_fetch", r"^Source Data Fetcher"),
    ("kafka_produce", r"^kafka-producer-network-thread"),
    ("python_bridge", r"^grpc-"),
    ("checkpoints", r"^AsyncOperations-thread"),
)


def thread_kind(name: str) -> str:
    """A thread's kind: one of KINDS, `task: <first operator>` for a Flink task's own thread
    (named after its operator chain, `… (1/1)#0`), else `other`."""
    for kind, pattern in KINDS:
        if re.search(pattern, name):
            return kind
    task = re.match(
        r"^(?!(?:System )?Time Trigger|OutputFlusher|Legacy Source)(.+?) \(\d+/\d+\)(#\d+)?$", name
    )
    if task:
        first = re.split(r" -> |\[\d+\]", task.group(1))[0].strip(" (")
        return f"task: {first}"
    return "other"


def thread_cpu(pid: int) -> dict[int, float]:
    """Thread id → CPU seconds so far (user + system) of every thread of `pid`."""
    found: dict[int, float] = {}
    for entry in Path(f"/proc/{pid}/task").glob("[0-9]*"):
        try:
            found[int(entry.name)] = cpu_seconds(f"{pid}/task/{entry.name}")
        except OSError:
            continue
    return found


def thread_names(pid: int) -> dict[int, str]:
    """Thread id → the JVM's name for it (empty when jcmd cannot attach)."""
    dump = subprocess.run(["jcmd", str(pid), "Thread.print"], capture_output=True, text=True)
    names = {}
    for line in dump.stdout.splitlines():
        found = re.match(r'^"(.*?)".*\bnid=(0x[0-9a-f]+)', line)
        if found:
            names[int(found.group(2), 16)] = found.group(1)
    return names


def by_kind(before: dict[int, float], after: dict[int, float], names: dict[int, str]) -> dict:
    """CPU seconds per kind between two `thread_cpu` readings (a thread the dump did not name —
    gone before it — counts as `other`)."""
    totals: dict[str, float] = {}
    for tid, seconds in after.items():
        kind = thread_kind(names.get(tid, ""))
        totals[kind] = totals.get(kind, 0.0) + seconds - before.get(tid, 0.0)
    return dict(sorted(totals.items(), key=lambda item: -item[1]))
