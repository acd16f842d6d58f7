"""The streaming job on the local standalone cluster as an operator sees it: its metrics through
the REST API equal the fed ground truth, the Web UI shows it in a real (headless) browser, and a
stop with savepoint and a resume lose and duplicate nothing."""

import json
import re
import time

import pytest

from connectors.lake import read_parquet_dir
from connectors.settings import PROJECT_ROOT, RUN_DIR, FlinkSettings
from tests.integration import browser
from tests.integration.cluster import completed_checkpoints, job_keys, pipeline_config
from tests.jobs.test_stream_compliance import labels, outputs, stream_data
from tools.flink_cluster import (
    compliance_metrics,
    rest_get,
    stop_with_savepoint,
    submit_python,
    wait_for_state,
)
from tools.ingest import ingest

pytestmark = pytest.mark.services
KEY = "cluster-ui-key-0123456789abcdef"
ARTIFACTS = RUN_DIR / "test-artifacts"


def submit(out, config, savepoint=None):
    quality = out.parent / "quality.yaml"
    quality.write_text("window_seconds: 3\n")  # quality windows of 3 s of processing time
    with job_keys(KEY):
        job_id, _ = submit_python(
            PROJECT_ROOT / "jobs" / "stream_compliance.py",
            [
                "--domain",
                "healthcare",
                "--output",
                str(out),
                "--config",
                str(config),
                "--detached",
                "--quality",
                str(quality),
            ],
            detached=True,
            savepoint=savepoint,
        )
    return job_id


def wait_for_records(job_id: str, count: int, timeout: float = 180) -> float:
    deadline = time.monotonic() + timeout
    seen = 0.0
    while time.monotonic() < deadline:
        seen = compliance_metrics(job_id).get("records_in", 0.0)
        if seen >= count:
            return seen
        time.sleep(1)
    raise TimeoutError(f"job {job_id} read {seen:.0f} of {count} records")


ROWS = 4000


def test_metrics_ui_and_savepoint_resume(tmp_path, capsys):
    data = stream_data(tmp_path / "data", rows=ROWS, seed=41)
    config, topics = pipeline_config(tmp_path, checkpoint_interval_ms=2000)
    lines = (data / "records.jsonl").read_text().splitlines(keepends=True)
    half = ROWS // 2
    (tmp_path / "first.jsonl").write_text("".join(lines[:half]))
    (tmp_path / "second.jsonl").write_text("".join(lines[half:]))
    ingest(topics["healthcare"], tmp_path / "first.jsonl", rate=None, progress=False)
    out = tmp_path / "out"
    job_id = submit(out, config)
    assert wait_for_state(job_id, {"RUNNING"}, timeout=120) == "RUNNING"

    # Metrics through the REST API while it runs.
    first_in = wait_for_records(job_id, half)
    first = compliance_metrics(job_id)
    assert first_in == half
    with open(data / "malformed.csv") as handle:
        malformed_ids = {line.split(",")[0] for line in list(handle)[1:]}
    found = [re.search(r'"record_id":\s*"([^"]+)"', line) for line in lines]
    record_ids = [m.group(1) if m else None for m in found]
    first_malformed = sum(1 for rid in record_ids[:half] if rid in malformed_ids)
    assert first["quarantined"] == first_malformed
    truth = labels(data)
    first_ids = {rid for rid in record_ids[:half] if rid}
    for regulation in ("HIPAA", "GDPR", "PCI-DSS", "LOCATION"):
        expected = sum(1 for rid, reg, _ in truth if reg == regulation and rid in first_ids)
        assert first["violations_" + regulation.replace("-", "_")] == expected, regulation
    alerts_expected = len(
        {rid for rid, reg, _ in truth if reg in ("HIPAA", "PCI-DSS") and rid in first_ids}
    )
    assert first["alerts"] == alerts_expected
    assert {
        "released",
        "suppressed",
        "kanonymity_groups_released",
        "event_time_lag_ms",
        "source_latency_ms",
    } <= set(first)
    # The quality gauges (thousandths) show the latest window of processing time: what that one
    # held depends on where the windows fell (a window of years-old records only has timeliness
    # 0); each window's figures are checked below in quality/.
    gauges = compliance_metrics(job_id)
    for metric in ("score", "validity", "completeness", "uniqueness", "timeliness"):
        assert 0 <= gauges[f"quality_{metric}"] <= 1000, (metric, gauges)

    # The Web UI in headless Chromium: the job page names the job and its vertices.
    url = f"{FlinkSettings.from_env().rest_url}/#/job/running/{job_id}/overview"
    screenshot = ARTIFACTS / "flink-ui-job.png"
    dom = browser.open_page(
        url,
        tmp_path / "chromium",
        until=lambda dom: "k-anonymity windows" in dom and "PythonCalc" in dom,
        screenshot=screenshot,
    ).dom
    assert "flink-compliance stream healthcare" in dom
    for vertex in rest_get(f"/jobs/{job_id}")["vertices"]:  # every vertex is drawn
        assert vertex["name"].split(" ->")[0].split("[")[0] in dom, vertex["name"]
    # the windows (JVM) and their release: a Python plan (PythonCalc), applied in the JVM
    assert "k-anonymity windows" in dom and "PythonCalc" in dom and "Correlate" in dom
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000

    # Stop with a savepoint; more data arrives while it is down; resume; drain at the end.
    deadline = time.monotonic() + 120
    while completed_checkpoints(job_id) < 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    from scripts import submit as submit_cli

    assert submit_cli.main(["--stop", job_id]) == 0  # what an operator types: scripts/submit --stop
    savepoint = capsys.readouterr().out.strip().splitlines()[-1]
    assert "savepoint" in savepoint
    assert wait_for_state(job_id, {"FINISHED"}, timeout=60) == "FINISHED"
    ingest(topics["healthcare"], tmp_path / "second.jsonl", rate=None, progress=False)
    resumed = submit(out, config, savepoint=savepoint)
    assert wait_for_state(resumed, {"RUNNING"}, timeout=120) == "RUNNING"
    wait_for_records(resumed, ROWS - half)
    stop_with_savepoint(resumed, str(tmp_path / "savepoints"), drain=True)
    assert wait_for_state(resumed, {"FINISHED"}, timeout=120) == "FINISHED"

    got = outputs(out)
    ids = [r["record_id"] for r in got["lake"]] + [r["record_id"] for r in got["suppressed"]]
    assert len(ids) == len(set(ids)), "a record reached the lake twice"
    assert len(ids) == ROWS - len(malformed_ids), "a record was lost"
    violation_rows = [(r["record_id"], r["rule_id"], r["field"]) for r in got["violations"]]
    assert len(violation_rows) == len(set(violation_rows))
    assert {(r["record_id"], r["regulation"], r["field"]) for r in got["violations"]} == truth
    # Every window that closed is in quality/; the malformed records of the first half lower the
    # validity of the windows that held them (all of which closed while the jobs ran).
    windows = [json.loads(r["detail"]) for r in read_parquet_dir(out / "quality").to_pylist()]
    invalid = sum(round(w["records_in"] * (1 - w["metrics"]["validity"])) for w in windows)
    assert first_malformed <= invalid <= len(malformed_ids), windows
