"""Talking to a running Flink cluster: submit a PyFlink job with `flink run`, read the REST API."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

from connectors.settings import PROJECT_ROOT, RUN_DIR, FlinkSettings

PACKAGES = ("jobs", "udfs", "connectors")
TERMINAL = {"FINISHED", "FAILED", "CANCELED"}


def flink_home() -> Path:
    import pyflink

    return Path(pyflink.__file__).resolve().parent


def package_zip(out: Path | None = None) -> Path:
    """The project's Python packages as one zip for `--pyFiles`."""
    out = out or RUN_DIR / "package" / "flink_compliance.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for package in PACKAGES:
            for path in sorted(
                p for p in (PROJECT_ROOT / package).rglob("*") if p.suffix in (".py", ".sql")
            ):
                archive.write(path, path.relative_to(PROJECT_ROOT))
    return out


def submit_python(
    script: Path, args: list[str], detached: bool = False, savepoint: str | None = None,
    rest_url: str | None = None, timeout: float = 600,
) -> tuple[str, str]:  # fmt: skip
    """Run `flink run --python SCRIPT` against the cluster; returns (job id, CLI output)."""
    rest = rest_url or FlinkSettings.from_env().rest_url
    cmd = [
        str(flink_home() / "bin" / "flink"), "run", "-m", rest.split("://", 1)[-1],
        "--python", str(script), "--pyFiles", str(package_zip()),
        "--pyExecutable", os.environ.get("COMPLIANCE_UDF_PYTHON", sys.executable),
    ]  # fmt: skip
    if detached:
        cmd.append("--detached")
    if savepoint:
        cmd += ["--fromSavepoint", savepoint]
    # Settings of an in-process local run (jobs.runtime) must not leak into the CLI.
    local_only = {
        "LOG4J_PROPERTIES",
        "FLINK_LOG_DIR",
        "_python_worker_execution_mode",
        "PYFLINK_GATEWAY_PORT",
    }
    env = {
        **{k: v for k, v in os.environ.items() if k not in local_only},
        "PYFLINK_CLIENT_EXECUTABLE": sys.executable,
        "FLINK_CONF_DIR": os.environ.get("FLINK_CONF_DIR", str(RUN_DIR / "flink" / "conf")),
        # The driver runs from the shipped zip: tell it where the jars and the YAML are.
        "COMPLIANCE_LIB_DIR": os.environ.get("COMPLIANCE_LIB_DIR", str(PROJECT_ROOT / "lib")),
        "COMPLIANCE_CONF_DIR": os.environ.get("COMPLIANCE_CONF_DIR", str(PROJECT_ROOT / "conf")),
        "COMPLIANCE_RUN_DIR": str(RUN_DIR),
        # The local cluster has the connector jars on its classpath (scripts/services); the
        # client needs them to plan the job, and the job must not ship them again.
        "FLINK_LIB_DIR": os.environ.get("COMPLIANCE_FLINK_LIB_DIR", str(RUN_DIR / "flink" / "lib")),
        "COMPLIANCE_JARS_ON_CLASSPATH": os.environ.get("COMPLIANCE_JARS_ON_CLASSPATH", "1"),
    }
    result = subprocess.run(
        [*cmd, *args], capture_output=True, text=True, env=env, timeout=timeout,
        cwd=PROJECT_ROOT,
    )  # fmt: skip
    output = result.stdout + result.stderr
    match = re.search(r"JobID\s*[:=]?\s*([0-9a-f]{32})", output) or re.search(
        r"\b([0-9a-f]{32})\b", output
    )
    if result.returncode != 0 or not match:
        raise RuntimeError(f"flink run failed (exit {result.returncode}):\n{output[-3000:]}")
    return match.group(1), output


def rest_get(path: str, rest_url: str | None = None) -> dict:
    base = rest_url or FlinkSettings.from_env().rest_url
    with urllib.request.urlopen(f"{base}{path}", timeout=10) as response:
        return json.load(response)


def compliance_metrics(job_id: str, rest_url: str | None = None) -> dict[str, float]:
    """Every `compliance.*` metric of every vertex, summed over subtasks, by name (`records_in`,
    `alerts`, ...): the Python steps report them from whichever vertex they are chained into;
    empty before the workers have reported."""
    totals: dict[str, float] = {}
    for vertex in rest_get(f"/jobs/{job_id}", rest_url)["vertices"]:
        base = f"/jobs/{job_id}/vertices/{vertex['id']}/subtasks/metrics"
        names = [m["id"] for m in rest_get(base, rest_url)]
        wanted = [n for n in names if ".compliance." in n or n.startswith("compliance.")]
        if not wanted:
            continue
        for item in rest_get(f"{base}?get={','.join(wanted)}&agg=sum", rest_url):
            name = item["id"].split("compliance.", 1)[1]
            totals[name] = totals.get(name, 0) + float(item["sum"])
    return totals


def job_state(job_id: str, rest_url: str | None = None) -> str:
    return rest_get(f"/jobs/{job_id}", rest_url)["state"]


def wait_for_state(
    job_id: str, states: set[str], timeout: float = 300, rest_url: str | None = None
) -> str:
    deadline = time.monotonic() + timeout
    state = "UNKNOWN"
    while time.monotonic() < deadline:
        state = job_state(job_id, rest_url)
        if state in states or state in TERMINAL:
            return state
        time.sleep(1)
    raise TimeoutError(f"job {job_id} still {state} after {timeout:.0f}s")


def _rest_send(
    method: str, path: str, body: dict | None = None, rest_url: str | None = None
) -> dict:
    base = rest_url or FlinkSettings.from_env().rest_url
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{base}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
    return json.loads(text) if text else {}


def cancel_job(job_id: str, rest_url: str | None = None) -> None:
    _rest_send("PATCH", f"/jobs/{job_id}?mode=cancel", rest_url=rest_url)


def stop_with_savepoint(
    job_id: str, directory: str | None = None, timeout: float = 180, rest_url: str | None = None,
    drain: bool = False,
) -> str:  # fmt: skip
    """Stop the job with a savepoint; returns the savepoint path. `drain` sends the final
    watermark first, so every event-time window fires (use it to end a stream for good)."""
    body = {"drain": drain, "formatType": "CANONICAL"}
    if directory:
        body["targetDirectory"] = directory
    trigger = _rest_send("POST", f"/jobs/{job_id}/stop", body, rest_url)["request-id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = rest_get(f"/jobs/{job_id}/savepoints/{trigger}", rest_url)
        if status["status"]["id"] == "COMPLETED":
            operation = status["operation"]
            if "failure-cause" in operation:
                raise RuntimeError(
                    f"savepoint failed: {operation['failure-cause'].get('stack-trace', '')[:2000]}"
                )
            return operation["location"]
        time.sleep(1)
    raise TimeoutError(f"savepoint of {job_id} not done after {timeout:.0f}s")
