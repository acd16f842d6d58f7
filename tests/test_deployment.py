"""docker-compose.yml and the Dockerfile, checked without a Docker engine: Debian's docker-compose
validates the file against the Compose schema (scripts/setup --services installs it)."""

import json
import os
import re
import shutil
import subprocess
import tomllib

import pytest
import yaml

from connectors.settings import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
SECRETS = {
    "COMPLIANCE_DB_PASSWORD": "test-password",
    "COMPLIANCE_TOKEN_KEY": "test-token-key-0123456789",
    "COMPLIANCE_QUARANTINE_KEY": "test-quarantine-key-0123456789",
}


def compose(*args, env=None):
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is missing: run scripts/setup --services")
    return subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), *args], capture_output=True, text=True,
        env={**{k: v for k, v in os.environ.items() if k not in SECRETS}, **(env or {})},
    )  # fmt: skip


def test_compose_file_is_valid_and_complete():
    result = compose("config", env=SECRETS)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    assert set(services) == {"jobmanager", "taskmanager", "kafka", "postgres", "init"}
    assert any(
        str(p.get("published", p) if isinstance(p, dict) else p).startswith("8081")
        for p in services["jobmanager"]["ports"]
    )
    assert (
        "container_name" not in services["taskmanager"] and "ports" not in services["taskmanager"]
    )  # scalable
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    assert services["init"]["command"][-1] == "tools.deploy_init"
    assert (
        services["jobmanager"]["depends_on"]["init"]["condition"]
        == "service_completed_successfully"
    )


def test_compose_refuses_to_run_without_secrets():
    result = compose("config", "-q")
    assert result.returncode != 0 and "set COMPLIANCE_DB_PASSWORD" in result.stderr
    assert "test-password" not in COMPOSE.read_text()


def test_one_flink_version_everywhere():
    pins = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    flink = next(p.split("==")[1] for p in pins if p.startswith("apache-flink=="))
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert re.search(rf"^FROM flink:{re.escape(flink)}-java17$", dockerfile, re.M)
    assert (
        "connectors/pom.xml" in dockerfile and f"apache-flink=={flink}" not in dockerfile
    )  # pinned via the package
    pom = (PROJECT_ROOT / "connectors" / "pom.xml").read_text()
    assert f"<flink.version>{flink[:3]}" in pom and "-2.2</kafka.connector.version>" in pom
    properties = yaml.safe_load(COMPOSE.read_text())["x-compliance-env"]["FLINK_PROPERTIES"]
    assert "python.executable: /opt/venv/bin/python" in properties
    # the TaskManagers' collector, as on the local cluster (conf/flink/config.yaml)
    local = yaml.safe_load((PROJECT_ROOT / "conf" / "flink" / "config.yaml").read_text())
    collector = local["env"]["java"]["opts"]["taskmanager"]
    assert f"env.java.opts.taskmanager: {collector}" in properties
    # and its network buffers' size (the step must not stop while a k-anonymity window closes)
    segment = local["taskmanager"]["memory"]["segment-size"]
    assert f"taskmanager.memory.segment-size: {segment}" in properties
    least = local["taskmanager"]["network"]["sort-shuffle"]["min-buffers"]  # batch jobs still run
    assert f"taskmanager.network.sort-shuffle.min-buffers: {least}" in properties
    json.dumps(properties)
