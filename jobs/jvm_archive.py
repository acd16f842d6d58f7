"""A class-data-sharing archive (JDK AppCDS) of the classes a local job's JVM loads: Flink's
runtime and MiniCluster, the table planner, Beam's Python runner. A JVM started with it maps
those classes parsed and verified instead of loading them from the jars: a local job's start,
plan and first Python worker ~2 s faster (docs/performance.md, session 35).

    python -m jobs.jvm_archive [PATH]          (scripts/setup runs it; default lib/cds/local.jsa)

It runs a small local batch job (generated rows, throwaway keys) whose JVM writes the archive
when it exits (`-XX:ArchiveClassesAtExit`), into a temporary file renamed into place only once
whole: a JVM given a truncated archive crashes. The jobs use the archive when it exists
(`share_jvm_classes`, called before a job's JVM starts); a JVM that finds it does not match
(another JDK, other jars) runs without it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from connectors.settings import PROJECT_ROOT

DEFAULT_PATH = PROJECT_ROOT / "lib" / "cds" / "local.jsa"
ROWS = 2_000
# "0": no archive (the job that writes it must not read the one it replaces).
ARCHIVE_ENV = "COMPLIANCE_JVM_ARCHIVE"


def _running(marker: str) -> bool:
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker.encode() in (proc / "cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


def wait_for_exit(marker: str, seconds: float = 120) -> bool:
    """Until no process has `marker` in its command line (a JVM writes its archive as it exits,
    possibly after the Python that started it); false if one still has after `seconds`."""
    deadline = time.monotonic() + seconds
    while _running(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def build(path: Path, rows: int = ROWS) -> float:
    """Write the archive at `path`; returns the seconds it took. Raises RuntimeError when the
    job's JVM wrote no archive."""
    from jobs.batch_compliance import LOCAL_JVM_ARGS
    from tools.synthetic.generator import write_dataset

    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fc-cds-") as work:
        data = Path(work) / "input"
        write_dataset("healthcare", rows, data, jsonl=False)
        partial = path.with_name(path.name + ".partial")
        partial.unlink(missing_ok=True)
        env = {
            **os.environ,
            "JVM_ARGS": f"{LOCAL_JVM_ARGS} -XX:ArchiveClassesAtExit={partial} -Xlog:cds=off",
            ARCHIVE_ENV: "0",
        }
        command = [
            sys.executable, "-m", "jobs.batch_compliance", "--input", str(data / "records.csv"),
            "--domain", "healthcare", "--output", str(Path(work) / "out"), "--throwaway-key",
        ]  # fmt: skip
        done = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
        # The JVM may outlive its driver; an archive still being written is not taken.
        if not wait_for_exit(f"-XX:ArchiveClassesAtExit={partial}"):
            partial.unlink(missing_ok=True)
            raise RuntimeError("the job's JVM was still writing the archive after 120 s")
        if not partial.exists() or partial.stat().st_size == 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise RuntimeError(f"the job's JVM wrote no archive (exit {done.returncode}):\n{tail}")
        partial.replace(path)
    return time.perf_counter() - started


def share_jvm_classes() -> None:
    """A local JVM (started by this driver) maps the archive's classes when it exists: JVM_ARGS
    gets `-XX:SharedArchiveFile` — unless JVM_ARGS already names an archive,
    COMPLIANCE_JVM_ARCHIVE is 0, or the driver runs under `flink run`. A JVM that finds the
    archive does not match its JDK or jars runs without it (its warning silenced)."""
    args = os.environ.get("JVM_ARGS", "")
    if (
        os.environ.get(ARCHIVE_ENV, "1") == "0"
        or "PYFLINK_GATEWAY_PORT" in os.environ
        or "Archive" in args
        or not DEFAULT_PATH.is_file()
    ):
        return
    share = f"-XX:SharedArchiveFile={DEFAULT_PATH} -Xlog:cds=off -Xlog:cds+dynamic=off"
    os.environ["JVM_ARGS"] = f"{args} {share}".strip()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DEFAULT_PATH
    try:
        seconds = build(path)
    except RuntimeError as error:
        print(f"jvm archive: not built: {error}", file=sys.stderr)
        return 1
    size = path.stat().st_size / 2**20
    print(f"jvm archive: {path} ({size:.0f} MiB) built in {seconds:.0f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
