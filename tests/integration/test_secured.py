"""The streaming job end to end against the secured local services (scripts/services up
--secure): Kafka over SASL_SSL with SCRAM, PostgreSQL over TLS only with verify-full against the
local CA. The passwords reach the TaskManagers as files (Kafka's DirectoryConfigProvider, a libpq
password file): the job's REST configuration, plan and the cluster's logs hold neither."""

import json
from contextlib import contextmanager
from dataclasses import replace

import psycopg2
import pytest

from connectors import kafka
from connectors.settings import PROJECT_ROOT, RUN_DIR, DatabaseSettings, KafkaSettings
from jobs.config import ConnectionSettings, PipelineConfig
from scripts.services import POSTGRES_SECURE_PORT, is_running, secure_env
from tests.integration.cluster import job_keys, pipeline_config
from tests.jobs.test_stream_compliance import labels, stream_data
from tools.flink_cluster import rest_get, submit_python, wait_for_state
from tools.ingest import ingest

pytestmark = pytest.mark.services
KEY = "secured-token-key-0123456789"


@pytest.fixture
def secured():
    for service in ("kafka-secure", "postgres-secure"):
        if not is_running(service):
            pytest.fail(f"{service} is not running: scripts/services up --secure")
    return (
        (RUN_DIR / "kafka-secure" / "password").read_text(),
        (RUN_DIR / "postgres-secure" / "password").read_text(),
    )


@contextmanager
def secure_environment(monkeypatch):
    """The test's own clients (ingest, checks) reach the secured services."""
    with monkeypatch.context() as patch:
        for name, value in secure_env().items():
            patch.setenv(name, value)
        yield


def test_the_secured_services_refuse_plain_connections(secured):
    settings = DatabaseSettings.from_env(secure_env())
    with pytest.raises(psycopg2.OperationalError, match="no encryption"):
        psycopg2.connect(**{**settings.connect_kwargs(), "sslmode": "disable"})
    from confluent_kafka.admin import AdminClient

    plain = AdminClient(
        {"bootstrap.servers": KafkaSettings.from_env(secure_env()).bootstrap_servers}
    )
    with pytest.raises(Exception):  # noqa: B017 - librdkafka says it as a timeout or a transport error
        plain.list_topics(timeout=3)


def test_the_stream_runs_end_to_end_over_sasl_ssl_and_tls_with_no_secret_shown(
    tmp_path, secured, monkeypatch
):
    kafka_password, db_password = secured
    data = stream_data(tmp_path / "data", rows=2000, seed=79)
    config, topics = pipeline_config(tmp_path, checkpoint_interval_ms=1000)
    # the job's connections from its pipeline YAML (its environment says nothing of them)
    pipeline = PipelineConfig.load(config)
    replace(pipeline, connections=ConnectionSettings.from_environment(secure_env())).dump(config)
    text = config.read_text()
    assert "kafka-secure/password" in text and kafka_password not in text
    with secure_environment(monkeypatch):
        ingest(topics["healthcare"], data / "records.jsonl", rate=None, progress=False)
    with job_keys(KEY):
        job_id, _ = submit_python(
            PROJECT_ROOT / "jobs" / "stream_compliance.py",
            ["--domain", "healthcare", "--output", str(tmp_path / "out"), "--config",
             str(config), "--bounded", "--audit", "--detached", "--no-quality"],
            detached=True,
        )  # fmt: skip
    assert wait_for_state(job_id, {"RUNNING"}, timeout=120) == "RUNNING"
    shown = [json.dumps(rest_get(p)) for p in
             (f"/jobs/{job_id}", f"/jobs/{job_id}/config", f"/jobs/{job_id}/plan",
              "/jobmanager/config")]  # fmt: skip
    assert wait_for_state(job_id, {"FINISHED"}, timeout=400) == "FINISHED"
    truth = labels(data)
    expected = {rid for rid, regulation, _ in truth if regulation in ("HIPAA", "PCI-DSS")}
    with secure_environment(monkeypatch):
        alerts = {json.loads(v)["record_id"] for v in kafka.read_topic(topics["alerts"])}
    assert alerts == expected  # read back over SASL_SSL
    settings = DatabaseSettings.from_env(secure_env())
    assert settings.sslmode == "verify-full" and settings.port == POSTGRES_SECURE_PORT
    with psycopg2.connect(**settings.connect_kwargs()) as conn, conn.cursor() as cur:
        cur.execute("SELECT record_id, regulation, field FROM violations WHERE job_id IS NOT NULL "
                    "AND record_id = ANY(%s)", (list({r for r, _, _ in truth}),))  # fmt: skip
        assert set(cur.fetchall()) == truth  # written by the JDBC sink over TLS
    # neither password in what the job shows, nor in the cluster's logs
    logs = [p.read_text(errors="replace") for p in (RUN_DIR / "flink" / "log").glob("*")
            if p.is_file()]  # fmt: skip
    for secret in (kafka_password, db_password):
        assert len(secret) >= 16
        assert not [text for text in shown + logs if secret in text]
    assert "TableSourceScan" in shown[0] and "input_rows" in shown[2]  # the plan itself was read
