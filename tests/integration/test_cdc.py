"""Change data capture end to end, on the real services: a writer inserts, updates and deletes
rows of a PostgreSQL table while the streaming job runs on the cluster; Debezium (in the Kafka
Connect worker of scripts/services) captures them; a TaskManager is killed and the job is
stopped with a savepoint and resumed mid-stream. Every insert and update is in the lake (or
suppressed) exactly once, each version its own row; every delete is in deleted/ and the audit
exactly once, never in the lake. `scripts/services down connect` drops the replication slot."""

from __future__ import annotations

import json
import threading
import time
import uuid

import psycopg2
import pytest
import yaml
from confluent_kafka import Consumer, TopicPartition

from connectors import cdc
from connectors.lake import read_parquet_dir
from connectors.settings import PROJECT_ROOT, DatabaseSettings, KafkaSettings
from tests.integration.cluster import (
    completed_checkpoints,
    job_keys,
    kill_one_hosting_taskmanager,
    pipeline_config,
    taskmanager_pids,
)
from tests.openlineage_schema import validate_event
from tools.cdc_writer import table_ddl, table_of_its_own, write
from tools.flink_cluster import rest_get, stop_with_savepoint, submit_python, wait_for_state
from udfs.schema import load_schema

pytestmark = pytest.mark.services
KEY = "cdc-token-key-0123456789abcdef"
SCHEMA = load_schema("healthcare")


@pytest.fixture(scope="module", autouse=True)
def kafka_connect():
    from scripts.services import up

    assert up(["connect"]) == 0


@pytest.fixture
def source_table(tmp_path):
    """An empty table of its own (and its mapping file), dropped with its capture after."""
    mapping, path = table_of_its_own(SCHEMA, tmp_path, "patients")
    settings = cdc.source_settings(mapping)
    conn = psycopg2.connect(**settings.connect_kwargs())
    yield mapping, path, conn
    conn.close()
    cdc.stop(mapping)
    with psycopg2.connect(**settings.connect_kwargs()) as drop, drop.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {mapping.qualified}")
        cur.execute(f'DROP PUBLICATION IF EXISTS "{mapping.name}"')


def read_all(group: str, topic: str) -> bool:
    """The job's consumer group has committed every partition's end (transactional topics: the
    last offset is a commit marker, which no record is read from)."""
    consumer = Consumer({**KafkaSettings.from_env().client_config(), "group.id": group,
                         "isolation.level": "read_committed"})  # fmt: skip
    try:
        parts = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        committed = consumer.committed([TopicPartition(topic, p) for p in parts], timeout=10)
        for tp in committed:
            _, end = consumer.get_watermark_offsets(tp, timeout=10)
            if end > 0 and tp.offset < end - 1:
                return False
        return True
    finally:
        consumer.close()


def topic_values(topic: str) -> list[bytes]:
    consumer = Consumer({**KafkaSettings.from_env().client_config(), "auto.offset.reset":
                         "earliest", "group.id": uuid.uuid4().hex})  # fmt: skip
    consumer.subscribe([topic])
    values, idle = [], time.monotonic()
    while time.monotonic() - idle < 5:
        for message in consumer.consume(500, 0.5):
            if not message.error():
                values.append(message.value())
                idle = time.monotonic()
    consumer.close()
    return values


def submit(args: list[str], savepoint: str | None = None) -> str:
    with job_keys(KEY):
        job_id, _ = submit_python(
            PROJECT_ROOT / "jobs" / "stream_compliance.py", args, detached=True,
            savepoint=savepoint,
        )  # fmt: skip
    assert wait_for_state(job_id, {"RUNNING"}, timeout=180) == "RUNNING"
    return job_id


def all_running(job_id: str) -> bool:
    vertices = rest_get(f"/jobs/{job_id}")["vertices"]
    return all(v["tasks"].get("RUNNING", 0) == v["parallelism"] for v in vertices)


def stopped(job_id: str, folder: str, drain: bool = False, timeout: float = 180) -> str:
    """Stop with a savepoint once every task runs (after a failover the job is RUNNING while
    some of its tasks are still being deployed: a savepoint then fails)."""
    deadline = time.monotonic() + timeout
    while True:
        while not all_running(job_id):
            assert time.monotonic() < deadline, "tasks not running"
            time.sleep(0.5)
        try:
            return stop_with_savepoint(job_id, folder, drain=drain)
        except RuntimeError as err:
            if "Not all required tasks" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(2)


def checkpointed(job_id: str, after: int = 0, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while completed_checkpoints(job_id) <= after:
        assert time.monotonic() < deadline, "no checkpoint"
        time.sleep(0.5)


def test_changes_reach_the_lake_and_the_audit_exactly_once_through_a_kill_and_a_savepoint(
    tmp_path, source_table, two_taskmanagers
):
    mapping, mapping_path, conn = source_table
    settings_source = cdc.source_settings(mapping)
    config, topics = pipeline_config(tmp_path, checkpoint_interval_ms=1000)
    out = tmp_path / "out"
    args = ["--domain", "healthcare", "--output", str(out), "--config", str(config),
            "--cdc", mapping.qualified, "--cdc-mapping", str(mapping_path), "--audit",
            "--no-quality", "--detached"]  # fmt: skip
    settings = DatabaseSettings.from_env()
    with psycopg2.connect(**settings.connect_kwargs()) as audit, audit.cursor() as cur:
        # the audit database outlives test runs: rows of an earlier run's ids must not count
        cur.execute("DELETE FROM violations WHERE domain = 'healthcare' AND record_id LIKE 'h61-%'")
    job_id = submit(args)  # the driver starts the capture: slot, publication, connector
    assert cdc.connector_state(mapping.name)["connector"]["state"] == "RUNNING"
    checkpointed(job_id)
    # rows that do not fit the contract (no created_at, which it requires): quarantined
    key, created = mapping.columns["record_id"], mapping.columns["created_at"]
    unfit = [f"unfit-{i}" for i in range(3)]
    with conn.cursor() as cur:
        for record_id in unfit:
            cur.execute(f"INSERT INTO {mapping.qualified} ({key}, {created}) VALUES (%s, NULL)",
                        (record_id,))  # fmt: skip
    conn.commit()

    written = {}
    writer = threading.Thread(
        target=lambda: written.update(w=write(conn, mapping, SCHEMA, 2_400, rate=90, seed=61))
    )
    writer.start()
    time.sleep(8)
    victim = kill_one_hosting_taskmanager(job_id)
    deadline = time.monotonic() + 180
    while rest_get(f"/jobs/{job_id}")["state"] != "RUNNING" or not taskmanager_pids():
        assert time.monotonic() < deadline, "the job did not recover"
        time.sleep(0.5)
    checkpointed(job_id, completed_checkpoints(job_id))
    history = rest_get(f"/jobs/{job_id}/exceptions").get("exceptionHistory", {}).get("entries")
    savepoint = stopped(job_id, str(tmp_path / "savepoints"))
    assert wait_for_state(job_id, {"FINISHED"}, timeout=120) == "FINISHED"
    job_id = submit(args, savepoint)
    writer.join(300)
    assert "w" in written, "the writer did not finish"
    group = f"compliance-stream-healthcare-{mapping.name}"
    deadline = time.monotonic() + 240
    while not read_all(group, mapping.topic):
        assert time.monotonic() < deadline, "the job did not read every change"
        time.sleep(1)
    stopped(job_id, str(tmp_path / "savepoints"), drain=True)
    assert wait_for_state(job_id, {"FINISHED"}, timeout=180) == "FINISHED"
    assert victim not in taskmanager_pids()
    assert history, "the kill was seen"

    done = written["w"]
    lake = read_parquet_dir(out / "lake").to_pylist()
    suppressed = read_parquet_dir(out / "suppressed").to_pylist()
    versions = [(r["record_id"], yaml.safe_load(r["extra"])["cdc_lsn"]) for r in lake]
    assert len(versions) == len(set(versions)), "a change reached the lake twice"
    assert len(lake) + len(suppressed) == len(done.inserted) + len(done.updated), "lost or doubled"
    quarantined = [json.loads(v) for v in topic_values(topics["quarantine"])]
    assert sorted(q["record_id"] for q in quarantined) == unfit
    assert {q["reason"] for q in quarantined} == {"missing required field created_at"}
    assert {r["record_id"] for r in lake + suppressed} == set(done.inserted)
    updated_in_lake = [r for r in lake if yaml.safe_load(r["extra"])["cdc_op"] == "u"]
    assert updated_in_lake, "no update released as a new version"
    gone = set(done.deleted)
    deleted = read_parquet_dir(out / "deleted").to_pylist()
    assert sorted(r["record_id"] for r in deleted) == sorted(done.deleted)
    assert len({(r["record_id"], r["lsn"]) for r in deleted}) == len(deleted)
    violations = read_parquet_dir(out / "violations").to_pylist()
    found = {(v["record_id"], v["rule_id"], v["field"]) for v in violations}
    with psycopg2.connect(**settings.connect_kwargs()) as audit, audit.cursor() as cur:
        cur.execute("SELECT record_id FROM source_deletions WHERE source = %s",
                    (mapping.qualified,))  # fmt: skip
        assert sorted(r for (r,) in cur.fetchall()) == sorted(done.deleted)
        cur.execute("SELECT record_id, rule_id, field FROM violations WHERE domain = "
                    "'healthcare' AND record_id = ANY(%s)", (done.inserted,))  # fmt: skip
        written = cur.fetchall()
    # the audit keeps a record's violations once (upserted on record, rule and field) across
    # its versions and the replays after the kill and the restore
    assert set(written) == found and len(written) == len(found)
    assert gone and len(done.updated) > 100
    # lineage: each submission's START names the table and its change topic as inputs, and
    # deleted/ and source_deletions among its outputs
    events = [json.loads(x) for x in (out / "lineage" / "events.jsonl").read_text().splitlines()]
    for event in events:
        validate_event(event)
    start = events[0]
    assert [i["name"] for i in start["inputs"]] == [
        f"{settings_source.name}.{mapping.schema}.{mapping.table}",
        mapping.topic,
    ]
    outputs = {o["name"] for o in start["outputs"]}
    assert (
        str((out / "deleted").resolve()) in outputs
        and f"{settings.name}.public.source_deletions" in outputs
    )


def test_services_down_drops_the_replication_slot(tmp_path, source_table):
    from scripts.services import down, up

    mapping, _, _ = source_table
    cdc.start(mapping)
    settings = cdc.source_settings(mapping)

    def slots() -> list[str]:
        with psycopg2.connect(**settings.connect_kwargs()) as conn, conn.cursor() as cur:
            cur.execute("SELECT slot_name FROM pg_replication_slots")
            return [name for (name,) in cur.fetchall()]

    assert mapping.name in slots()
    assert down(["connect"]) == 0
    assert mapping.name not in slots()
    assert up(["connect"]) == 0


def test_a_table_dropped_and_made_again_is_captured_again(source_table):
    # a dropped table leaves its publication: starting the capture again puts it back in
    mapping, _, conn = source_table
    cdc.start(mapping)
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE {mapping.qualified}")
        cur.execute(table_ddl(mapping, SCHEMA))
    conn.commit()
    cdc.start(mapping)
    key, created = mapping.columns["record_id"], mapping.columns["created_at"]
    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO {mapping.qualified} ({key}, {created}) VALUES ('again', now())")
    conn.commit()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        events = [json.loads(v) for v in topic_values(mapping.topic)]
        if any((e.get("after") or {}).get(key) == "again" for e in events):
            return
    raise AssertionError("the insert into the table made again was not captured")
