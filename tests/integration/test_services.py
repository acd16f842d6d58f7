"""Smoke tests against the real local services started by scripts/services."""

import uuid

import psycopg2
import pytest

from connectors.settings import PROJECT_ROOT, DatabaseSettings, KafkaSettings
from tools.flink_cluster import submit_python, wait_for_state

pytestmark = pytest.mark.services


def test_kafka_round_trip():
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    bootstrap = KafkaSettings.from_env().bootstrap_servers
    topic = f"smoke-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 3, 1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(topic, key=b"k", value=b"hello")
    assert producer.flush(30) == 0
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": topic, "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topic])
    try:
        for _ in range(60):
            message = consumer.poll(1.0)
            if message is not None and not message.error():
                assert message.value() == b"hello"
                return
    finally:
        consumer.close()
        admin.delete_topics([topic])
    raise AssertionError("message not consumed within 60 s")


def test_postgres_ddl_and_dml():
    settings = DatabaseSettings.from_env()
    with psycopg2.connect(**settings.connect_kwargs()) as conn, conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE smoke (id int PRIMARY KEY, v text)")
        cur.execute("INSERT INTO smoke VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET v = 'b'")
        cur.execute("INSERT INTO smoke VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET v = 'b'")
        cur.execute("SELECT count(*), max(v) FROM smoke")
        assert cur.fetchone() == (1, "b")


def test_flink_cluster_runs_a_python_udf(tmp_path):
    out = tmp_path / "smoke-out"
    job_id, _ = submit_python(PROJECT_ROOT / "jobs" / "smoke.py", ["--output", str(out)])
    assert wait_for_state(job_id, {"FINISHED"}, timeout=180) == "FINISHED"
    lines = sorted(line for f in out.rglob("*") if f.is_file() for line in f.read_text().split())
    assert lines == ["123-45-6789,true", "666-45-6789,false", "hello,false"]
