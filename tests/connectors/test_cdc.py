"""The capture's settings (no services): the Debezium connector of a table, and where the
source database's settings and password come from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connectors import cdc
from connectors.kafka import source_ddl
from connectors.settings import DatabaseSettings, KafkaSettings
from udfs.cdc.spec import load_cdc
from udfs.schema import load_schema

MAPPING = load_cdc(load_schema("healthcare")).table("public.patients")


def test_the_connector_names_its_slot_publication_topic_and_never_the_password(tmp_path):
    secret = tmp_path / "password"
    secret.write_text("s3cret-value")
    settings = DatabaseSettings(host="db", port=5432, name="ops", user="app", password="s3cret-value",
                                sslmode="verify-full", sslrootcert=Path("/ca.pem"))  # fmt: skip
    config = cdc.connector_config(MAPPING, settings, secret, partitions=6)
    assert "s3cret-value" not in str(config)
    assert config["database.password"] == f"${{dir:{tmp_path}:password}}"
    assert config["slot.name"] == config["publication.name"] == MAPPING.name
    assert config["publication.autocreate.mode"] == "disabled"
    assert config["table.include.list"] == "public.patients"
    assert config["transforms.topic.replacement"] == MAPPING.topic
    assert config["topic.prefix"] == MAPPING.name  # offsets and metrics: one per table
    assert config["tombstones.on.delete"] == "false"
    assert config["database.sslmode"] == "verify-full"
    assert config["topic.creation.default.partitions"] == "6"


def test_the_source_database_takes_the_cdc_variables_over_the_audit_ones(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("x")
    env = {"COMPLIANCE_DB_HOST": "audit", "COMPLIANCE_DB_PORT": "5432",
           "COMPLIANCE_CDC_DB_HOST": "ops-db", "COMPLIANCE_CDC_DB_PASSWORD_FILE": str(secret)}  # fmt: skip
    settings = cdc.source_settings(MAPPING, env)
    assert (settings.host, settings.port, settings.name) == ("ops-db", 5432, "compliance_source")
    assert cdc.password_file(env) == secret.resolve()
    with pytest.raises(cdc.CaptureError, match="COMPLIANCE_CDC_DB_PASSWORD_FILE"):
        cdc.password_file({"COMPLIANCE_CDC_DB_PASSWORD_FILE": str(tmp_path / "missing")})


def test_a_change_event_is_read_committed_and_timed_by_its_commit():
    ddl = source_ddl("t", "topic", "group", False, KafkaSettings(), None, change_events=True)
    assert "'properties.isolation.level' = 'read_committed'" in ddl
    pattern = re.search(r"REGEXP_EXTRACT\(CAST\(message AS STRING\), '([^']+)', 1\)", ddl)[1]
    event = (
        '{"before":null,"after":{"patient_id":"p1","notes":"ts_ms 5","created_at":'
        '"2018-05-05T08:19:27.572000Z"},"source":{"version":"3.6.1.Final","name":"x",'
        '"ts_ms":1796221086589,"sequence":"[null,\\"266\\"]","ts_us":1796221086589180,'
        '"schema":"public","table":"patients","lsn":266},"op":"c","ts_ms":1796221086885}'
    )
    assert re.search(pattern.replace("\\\\", "\\"), event)[1] == "1796221086589"
    plain = source_ddl("t", "topic", "group", False, KafkaSettings(), "created_at")
    assert "read_committed" not in plain and "event_time_ms(message, 'created_at')" in plain


def test_a_cdc_password_replaces_the_audit_one(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("source-secret")
    env = {"COMPLIANCE_DB_PASSWORD": "audit-secret", "COMPLIANCE_CDC_DB_PASSWORD_FILE": str(secret)}
    assert cdc.source_settings(MAPPING, env).password == "source-secret"
