"""The streaming job on the real broker and database: Kafka and CSV give the same lake and
violations; alerts and quarantine topics hold what they must; a TaskManager killed in the middle
of a run loses nothing and duplicates nothing."""

import csv
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from connectors.lake import read_lake, read_parquet_dir
from connectors.settings import PROJECT_ROOT, KafkaSettings
from jobs import replay
from jobs.batch_compliance import BatchJob
from jobs.batch_compliance import run as batch_run
from jobs.config import PipelineConfig
from jobs.stream_compliance import StreamJob, run
from tests.integration.cluster import (
    QUARANTINE_KEY,
    assert_stream_exactly_once,
    checkpointed_bounded_stream,
    job_keys,
    kill_taskmanager,
    pipeline_config,
    start_taskmanager,
    taskmanager_pids,
)
from tests.jobs.test_stream_compliance import labels, outputs, stream_data
from tests.openlineage_schema import validate_event
from tools.flink_cluster import wait_for_state
from tools.ingest import ingest
from udfs.protect.seal import SealKey
from udfs.validation import parse_timestamp

pytestmark = pytest.mark.services
AS_OF = datetime.now(UTC)
KEY = "stream-integration-key-0123456789"


def consume_all(topic: str, expected: int, timeout: float = 60) -> list:
    from confluent_kafka import Consumer

    consumer = Consumer(
        KafkaSettings.from_env().client_config(
            **{
                "group.id": f"test-{topic}-{time.time()}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
    )
    consumer.subscribe([topic])
    messages, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and len(messages) < expected:
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                messages.append(message)
        end = time.monotonic() + 3  # anything beyond what was expected?
        while time.monotonic() < end:
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                messages.append(message)
    finally:
        consumer.close()
    return messages


def lake_by_id(out):
    return {r["record_id"]: r for r in read_lake(out / "lake").to_pylist()}


def test_kafka_and_csv_give_the_same_lake_and_violations(tmp_path, monkeypatch):
    # In event-time order through one partition: no record is late, so the stream must decide
    # exactly as the bounded run. (Late records — e.g. years-old ones — are placed by the
    # watermark at the time they arrive, which a bounded run cannot reproduce.)
    data = stream_data(tmp_path / "data", rows=3000, seed=23, old=0.0)
    config, topics = pipeline_config(tmp_path, partitions=1)
    pipeline = PipelineConfig.load(config)
    ingest(topics["healthcare"], data / "records.jsonl", rate=None, partitions=1, progress=False)
    streamed, bounded = tmp_path / "kafka-out", tmp_path / "csv-out"
    key = KEY.encode()
    dp_path = dp_settings(tmp_path, data / "records.csv")
    quality_path = tmp_path / "quality.yaml"
    quality_path.write_text("window_seconds: 1\n")
    run(
        StreamJob(
            domain="healthcare", output=streamed, key_secret=key, pipeline=pipeline, bounded=True,
            quarantine_secret=QUARANTINE_KEY.encode(),
            dp_path=dp_path, quality_path=quality_path,
        )
    )  # fmt: skip
    run(
        StreamJob(
            domain="healthcare",
            output=bounded,
            key_secret=key,
            quarantine_secret=QUARANTINE_KEY.encode(),
            pipeline=pipeline,
            input=data / "records.csv",
            as_of=AS_OF,
        )
    )

    a, b = lake_by_id(streamed), lake_by_id(bounded)
    assert a and a == b
    assert {r["record_id"] for r in outputs(streamed)["suppressed"]} == {
        r["record_id"] for r in outputs(bounded)["suppressed"]
    }
    violations = [
        {(r["record_id"], r["rule_id"], r["field"]) for r in outputs(out)["violations"]}
        for out in (streamed, bounded)
    ]
    assert violations[0] == violations[1]
    truth = labels(data)
    assert {
        (r["record_id"], r["regulation"], r["field"]) for r in outputs(streamed)["violations"]
    } == truth

    expected_alerts = {rid for rid, regulation, _ in truth if regulation in ("HIPAA", "PCI-DSS")}
    alerts = consume_all(topics["alerts"], len(expected_alerts))
    assert {
        m.key().decode() for m in alerts
    } == expected_alerts  # at least once, keyed by record_id
    ssns = [json.loads(m.value())["record"]["ssn"] for m in alerts]
    assert any(ssns) and all(ssn is None or ssn.startswith("tok_") for ssn in ssns)
    with open(data / "malformed.csv") as handle:
        malformed = sum(1 for _ in handle) - 1
    quarantine = consume_all(topics["quarantine"], malformed)
    assert len(quarantine) == malformed
    assert all(json.loads(m.value())["reason"] for m in quarantine)
    sealing = SealKey(QUARANTINE_KEY.encode())  # the raw message sealed on the topic too
    assert all(sealing.open(json.loads(m.value())["raw"]) for m in quarantine)
    monkeypatch.setenv("COMPLIANCE_QUARANTINE_KEY", QUARANTINE_KEY)  # replayed from the topic
    exported = tmp_path / "replay.jsonl"
    assert replay.main(["export", f"kafka:{topics['quarantine']}", "--to", str(exported)]) == 0
    assert len(exported.read_text().splitlines()) == malformed

    # The private aggregates: the stream's window and the batch job's whole input hold the same
    # records, so the same groups are published with the same ε, their values apart by noise.
    batched = tmp_path / "batch-out"
    batch_summary = batch_run(BatchJob(input=data / "records.csv", domain="healthcare",
                                       output=batched, as_of=AS_OF, key_secret=key,
                                       quarantine_secret=QUARANTINE_KEY.encode(),
                                       pipeline=pipeline, dp_path=dp_path))  # fmt: skip
    stream_dp, batch_dp = (
        {(r["aggregate"], r["group"]): r for r in read_parquet_dir(out / "dp").to_pylist()}
        for out in (streamed, batched)
    )
    assert len(stream_dp) >= 5
    big = 40  # far above the threshold (8 at these bounds) and the noise (scale 1)
    assert {g for g, r in stream_dp.items() if r["value"] > big} <= set(batch_dp)
    assert {g for g, r in batch_dp.items() if r["value"] > big} <= set(stream_dp)
    for group in set(stream_dp) & set(batch_dp):
        a, b = stream_dp[group], batch_dp[group]
        assert (a["epsilon"], a["delta"], a["mechanism"]) == (
            b["epsilon"],
            b["delta"],
            b["mechanism"],
        )
        assert abs(a["value"] - b["value"]) < 25
    published = consume_all(topics["dp"], len(stream_dp))
    assert {m.key().decode().split("|")[0] for m in published} == {"diagnoses_per_chapter"}
    assert len(published) == len(stream_dp)

    # Data quality: the bounded CSV run scores its input as the batch job does; the Kafka run's
    # windows of processing time count every message once; the lineage of both validates.
    (whole,) = read_parquet_dir(bounded / "quality").to_pylist()
    quality = json.loads(whole["detail"])
    for key in ("records_in", "metrics", "completeness", "validity_by_reason", "duplicates"):
        assert quality[key] == batch_summary["quality"][key], key
    # (Flink does not fire a processing-time window still open when a bounded input ends: the
    # last second's records are not in a window — with the engine as fast as it is now, that
    # can be all 3,000, so no window need fire here; test_cluster_ui sees them fire on a
    # running stream.)
    windows = [json.loads(r["detail"]) for r in read_parquet_dir(streamed / "quality").to_pylist()]
    assert sum(w["records_in"] for w in windows) <= 3000
    assert all(w["window_start"] and w["late"] == 0 for w in windows)
    for out, mode in ((streamed, "STREAMING"), (bounded, "BATCH")):
        events = [
            json.loads(x) for x in (out / "lineage" / "events.jsonl").read_text().splitlines()
        ]
        assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
        for event in events:
            validate_event(event)
        assert events[0]["run"]["facets"]["compliance"]["mode"] == mode
    done = json.loads((streamed / "lineage" / "events.jsonl").read_text().splitlines()[-1])
    (topic,) = done["inputs"]
    assert topic["name"] == topics["healthcare"]
    assert sum(topic["facets"]["source"]["offsets"].values()) == 3000


def dp_settings(tmp_path, records_csv) -> Path:
    """One tumbling window holding every record (its size picked so that none straddles)."""
    with open(records_csv, newline="") as handle:
        stamps = [
            r["created_at"]
            for r in csv.DictReader(handle)
            if (r.get("created_at") or "").endswith("Z")
        ]
    minutes = [int(parse_timestamp(t).timestamp() // 60) for t in stamps if valid_time(t)]
    size = next(m for m in range(7 * 1440, 8 * 1440) if min(minutes) // m == max(minutes) // m)
    path = tmp_path / "dp.yaml"
    path.write_text(yaml.safe_dump({
        "domain": "healthcare", "person": "ssn", "window_minutes": size,
        "budget": {"epsilon": 1.0e6, "delta": 1.0},
        "aggregates": {"diagnoses_per_chapter": {
            "group_by": {"diagnosis_code": 2}, "measure": "count", "epsilon": 1.0,
            "delta": 1.0e-3, "max_groups": 1, "max_records": 1}},
    }))  # fmt: skip
    return path


def valid_time(text: str) -> bool:
    try:
        parse_timestamp(text)
    except ValueError:
        return False
    return True


def test_taskmanager_killed_mid_run_loses_and_duplicates_nothing(tmp_path):
    # The kill must come before any subtask reaches the end of this bounded input: at its end of
    # input Flink's filesystem sink commits its open files without waiting for a checkpoint, so a
    # failover after that point writes again what was committed (docs/operations.md: the `--bounded` limit).
    # Enough rows that a checkpoint (every second) after records flow comes well before it.
    rows = 60_000
    job_id, data, out = checkpointed_bounded_stream(tmp_path, rows, 31, KEY)
    assert taskmanager_pids()
    kill_taskmanager()
    start_taskmanager()
    assert wait_for_state(job_id, {"FINISHED"}, timeout=400) == "FINISHED"

    from tools.flink_cluster import rest_get

    assert rest_get(f"/jobs/{job_id}/exceptions").get("exceptionHistory", {}).get("entries"), (
        "the kill was seen"
    )
    assert_stream_exactly_once(out, data, rows)


def test_a_stream_drained_after_its_source_went_idle_releases_every_window(tmp_path):
    # A source whose partitions have gone idle sends no final watermark when the job is stopped
    # with --drain; the k-anonymity windows still emit every open window at the end of input.
    from tools.flink_cluster import compliance_metrics, stop_with_savepoint, submit_python

    rows = 2000
    data = stream_data(tmp_path / "data", rows=rows, seed=43)
    config, topics = pipeline_config(tmp_path, checkpoint_interval_ms=2000, idle_timeout_ms=1000)
    ingest(topics["healthcare"], data / "records.jsonl", rate=None, progress=False)
    out = tmp_path / "out"
    with job_keys(KEY):
        job_id, _ = submit_python(
            PROJECT_ROOT / "jobs" / "stream_compliance.py",
            ["--domain", "healthcare", "--output", str(out), "--config", str(config),
             "--detached", "--no-quality"],
            detached=True,
        )  # fmt: skip
    assert wait_for_state(job_id, {"RUNNING"}, timeout=120) == "RUNNING"
    deadline = time.monotonic() + 180
    while compliance_metrics(job_id).get("records_in", 0) < rows:
        assert time.monotonic() < deadline, "the job did not read its input"
        time.sleep(1)
    time.sleep(4)  # past the idle timeout: every split is idle
    stop_with_savepoint(job_id, str(tmp_path / "savepoints"), drain=True)
    assert wait_for_state(job_id, {"FINISHED"}, timeout=120) == "FINISHED"
    got = outputs(out)
    ids = [r["record_id"] for r in got["lake"]] + [r["record_id"] for r in got["suppressed"]]
    with open(data / "malformed.csv") as handle:
        malformed = sum(1 for _ in handle) - 1
    assert len(ids) == len(set(ids)) == rows - malformed
