"""Profiles of a running local cluster, for `scripts/bench stream --profile`: Java Flight
Recorder on the TaskManager (`jcmd … JFR.start`, JDK 17) and py-spy on each of its Python
workers, for the same seconds of the measured run; then the top frames of each by self samples
(where the CPU is spent), and for the JVM also by package (which part of Flink spends it)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

TOP = 15
PY_SPY = str(Path(sys.executable).parent / "py-spy")  # the venv's (pyproject's dev extras)


def taskmanager_pid() -> int | None:
    listed = subprocess.run(["jcmd", "-l"], capture_output=True, text=True).stdout
    for line in listed.splitlines():
        if "TaskManagerRunner" in line:
            return int(line.split()[0])
    return None


def python_workers(parent: int) -> list[int]:
    """The Python processes under the TaskManager (its UDF workers)."""
    found, todo = [], [parent]
    while todo:
        pid = todo.pop()
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
        for child in map(int, children.stdout.split()):
            todo.append(child)
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"python" in command and b"pyflink" in command:
                found.append(child)
    return found


class Profiles:
    def __init__(self, out: Path, seconds: int):
        self.out, self.seconds = out, seconds
        self.jfr = out / "taskmanager.jfr"
        self.spies: list[tuple[int, Path, subprocess.Popen]] = []
        self.tm: int | None = None

    def start(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self.tm = taskmanager_pid()
        if self.tm is None:
            print("profile: no TaskManager found (jcmd -l)", flush=True)
            return
        subprocess.run(
            ["jcmd", str(self.tm), "JFR.start", "name=bench", "settings=default",
             f"duration={self.seconds}s", f"filename={self.jfr}"],
            capture_output=True, check=True,
        )  # fmt: skip
        for pid in python_workers(self.tm):
            raw = self.out / f"python-{pid}.txt"
            spy = subprocess.Popen(
                [PY_SPY, "record", "--pid", str(pid), "--duration", str(self.seconds),
                 "--rate", "97", "--format", "raw", "--output", str(raw), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            self.spies.append((pid, raw, spy))
        print(f"profile: JFR on TaskManager {self.tm}, py-spy on {len(self.spies)} Python "
              f"worker(s), {self.seconds} s", flush=True)  # fmt: skip

    def finish(self) -> dict:
        if self.tm is None:
            return {}
        for _, _, spy in self.spies:
            spy.wait(timeout=self.seconds + 60)
        deadline = time.monotonic() + self.seconds + 30
        while not self.jfr.exists() and time.monotonic() < deadline:
            time.sleep(1)
        result = {"jvm": jvm_top(self.jfr) if self.jfr.exists() else {}, "python": {}}
        samples: Counter = Counter()
        for _, raw, _ in self.spies:
            if raw.exists():
                samples.update(python_samples(raw))
        total = sum(samples.values())
        result["python"] = {
            "samples": total,
            "top_self": [(frame, round(n / total, 3)) for frame, n in samples.most_common(TOP)],
        } if total else {}  # fmt: skip
        (self.out / "profile.json").write_text(json.dumps(result, indent=2))
        return result


def jvm_top(path: Path) -> dict:
    """Self samples of the TaskManager's threads by top frame and by top frame's package."""
    printed = subprocess.run(
        ["jfr", "print", "--json", "--stack-depth", "1", "--events", "jdk.ExecutionSample", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    events = json.loads(printed)["recording"]["events"]
    frames: Counter = Counter()
    packages: Counter = Counter()
    for event in events:
        stack = event["values"].get("stackTrace") or {}
        top = (stack.get("frames") or [None])[0]
        if top is None:
            continue
        method = top["method"]
        type_name = method["type"]["name"]
        frames[f"{type_name}.{method['name']}"] += 1
        packages[".".join(type_name.split(".")[:4])] += 1
    total = sum(frames.values())
    if not total:
        return {}
    return {
        "samples": total,
        "top_self": [(f, round(n / total, 3)) for f, n in frames.most_common(TOP)],
        "top_packages": [(p, round(n / total, 3)) for p, n in packages.most_common(TOP)],
    }


def python_samples(path: Path) -> Counter:
    """py-spy's raw format: `frame;frame;…;frame count` per stack; the last frame is self."""
    found: Counter = Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        top = stack.split(";")[-1]
        found[re.sub(r"\s*\(.*/site-packages/", " (", top)] += int(count)
    return found


def show(result: dict) -> None:
    for part in ("jvm", "python"):
        data = result.get(part) or {}
        if not data:
            continue
        print(f"profile, {part}: {data['samples']:,} samples; top frames by self samples:")
        for frame, share in data["top_self"]:
            print(f"  {share:6.1%}  {frame}")
        for package, share in data.get("top_packages", []):
            print(f"  {share:6.1%}  package {package}")
