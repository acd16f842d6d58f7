"""Figures read off a local Flink run's log (Flink's log4j lines, `FLINK_LOG_DIR`): how long
the MiniCluster took to start, which the batch targets of #16 leave out."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) .*?(Starting Flink Mini Cluster"
                   r"|Flink Mini Cluster started successfully)", re.M)  # fmt: skip


def minicluster_start_seconds(text: str) -> float | None:
    """Seconds from the log's first "Starting Flink Mini Cluster" to the "started
    successfully" after it; None when the log does not hold both."""
    started = None
    for stamp, what in _LINE.findall(text):
        at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f")
        if what.startswith("Starting") and started is None:
            started = at
        elif what.endswith("successfully") and started is not None:
            return (at - started).total_seconds()
    return None


def read_logs(folder: Path) -> str:
    """Every log file of the folder, in name order."""
    return "".join(p.read_text(errors="replace") for p in sorted(folder.glob("*.log")))
