"""Peak memory of a process tree (a job's driver, its JVM and the Python workers the JVM starts),
sampled from /proc: getrusage only knows the largest single child."""

from __future__ import annotations

import os
import threading
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def stat_fields(pid: int | str) -> list[str]:
    """The fields of /proc/PID/stat after the command name (state, ppid, ...; see proc(5))."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def descendants(root: int) -> list[int]:
    """Every process below `root` now (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            children.setdefault(int(stat_fields(stat.parent.name)[1]), []).append(
                int(stat.parent.name)
            )
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = [], [root]
    while frontier:
        below = children.get(frontier.pop(), [])
        found.extend(below)
        frontier.extend(below)
    return found


def tree_rss_bytes(root: int) -> int:
    """Resident memory of `root` and all its descendants now."""
    total = 0
    for pid in [root, *descendants(root)]:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


class TreePeak:
    """with TreePeak(pid) as peak: ...; peak.mib — the largest sampled sum."""

    def __init__(self, pid: int, interval: float = 0.5):
        self.pid, self.interval = pid, interval
        self.peak = 0
        self.root_peak = 0  # the root process alone (a job's driver)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            try:
                rss = int(Path(f"/proc/{self.pid}/statm").read_text().split()[1]) * PAGE
                self.root_peak = max(self.root_peak, rss)
            except (OSError, IndexError, ValueError):
                pass
            self._stop.wait(self.interval)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mib(self) -> int:
        return round(self.peak / 2**20)

    @property
    def root_mib(self) -> int:
        return round(self.root_peak / 2**20)
