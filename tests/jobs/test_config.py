import dataclasses

import pytest

from jobs import config
from jobs.config import PipelineConfig
from udfs.schema import SchemaError


def write(tmp_path, text):
    path = tmp_path / "pipeline.yaml"
    path.write_text(text)
    return path


def test_a_setting_left_out_takes_its_default(tmp_path):
    loaded = PipelineConfig.load(write(tmp_path, "stream:\n  window_ms: 30000\n"))
    assert loaded.stream.window_ms == 30000
    assert loaded.stream.bundle_time_ms == config.StreamSettings().bundle_time_ms
    assert loaded.kafka.topic("alerts") == "compliance-alerts"
    assert loaded.batch.split_bytes == 16 << 20


def test_an_unknown_key_is_refused_with_its_place_and_file(tmp_path):
    path = write(tmp_path, "stream:\n  window_secs: 30\n")
    with pytest.raises(SchemaError, match=r"pipeline.yaml: unknown setting stream.window_secs; "):
        PipelineConfig.load(path)
    with pytest.raises(SchemaError, match="unknown setting paralelism"):
        PipelineConfig.load(write(tmp_path, "paralelism: 2\n"))


@pytest.mark.parametrize(
    "text, message",
    [
        ("parallelism: two\n", "parallelism should be int, not 'two'"),
        ("stream: 5\n", "stream should be a mapping"),
        ("kafka:\n  partitions: true\n", "kafka.partitions should be int"),
        ("kafka:\n  topics: [a]\n", "kafka.topics should be a mapping"),
        ("stream:\n  parallelism: 0\n", "stream.parallelism: at least 1, not 0"),
        ("python:\n  execution_mode: thread\n", "python.execution_mode: process, not 'thread'"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(tmp_path, text, message):
    with pytest.raises(SchemaError, match=message):
        PipelineConfig.load(write(tmp_path, text))


def test_dumped_settings_load_back_the_same(tmp_path):
    base = PipelineConfig.load()
    changed = dataclasses.replace(
        base, kafka=dataclasses.replace(base.kafka, source_parallelism=None, partitions=5)
    )
    assert PipelineConfig.load(changed.dump(tmp_path / "p.yaml")) == changed


def test_flink_settings_come_from_the_python_section_and_pass_flink_through(tmp_path):
    loaded = PipelineConfig.load(write(tmp_path, "python:\n  bundle_size: 7\nflink:\n  a.b: 3\n"))
    settings = loaded.flink_settings(parallelism=4)
    assert settings["parallelism.default"] == "4"
    assert settings["python.fn-execution.bundle.size"] == "7"
    assert settings["a.b"] == "3"


def test_the_cli_prints_the_settings_in_effect(capsys):
    assert config.main([]) == 0
    assert "window_ms: 60000" in capsys.readouterr().out


def test_a_switch_takes_true_or_false_only(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("stream: {unaligned_checkpoints: false}\n")
    assert PipelineConfig.load(path).stream.unaligned_checkpoints is False
    path.write_text("stream: {unaligned_checkpoints: 'no'}\n")
    with pytest.raises(SchemaError, match="unaligned_checkpoints should be bool"):
        PipelineConfig.load(path)


def test_lineage_goes_to_a_file_by_default_and_a_wrong_transport_is_named(tmp_path):
    assert PipelineConfig.load(write(tmp_path, "parallelism: 2\n")).lineage.transport == "file"
    with pytest.raises(SchemaError, match=r"lineage\.transport: one of file, http, none"):
        PipelineConfig.load(write(tmp_path, "lineage: {transport: pigeon}\n"))
    with pytest.raises(SchemaError, match=r"lineage\.url"):
        PipelineConfig.load(write(tmp_path, "lineage: {transport: http}\n"))


def test_connections_in_the_yaml_stand_for_the_environment_which_wins(tmp_path):
    from jobs.config import ConnectionSettings

    path = tmp_path / "p.yaml"
    path.write_text(
        "connections:\n  kafka: {bootstrap: 'b:9193', security: SASL_SSL, user: u,\n"
        "    password_file: /s/kafka, ca_file: /s/ca.pem}\n"
        "  database: {port: 5433, sslmode: verify-full, passfile: /s/pgpass}\n"
    )
    connections = PipelineConfig.load(path).connections
    assert connections.environment() == {
        "COMPLIANCE_KAFKA_BOOTSTRAP": "b:9193", "COMPLIANCE_KAFKA_SECURITY": "SASL_SSL",
        "COMPLIANCE_KAFKA_USER": "u", "COMPLIANCE_KAFKA_PASSWORD_FILE": "/s/kafka",
        "COMPLIANCE_KAFKA_CA_FILE": "/s/ca.pem", "COMPLIANCE_DB_PORT": "5433",
        "COMPLIANCE_DB_PASSFILE": "/s/pgpass", "COMPLIANCE_DB_SSLMODE": "verify-full",
    }  # fmt: skip
    env = {"COMPLIANCE_DB_PORT": "6000"}
    connections.apply(env)
    assert env["COMPLIANCE_DB_PORT"] == "6000" and env["COMPLIANCE_KAFKA_USER"] == "u"
    assert ConnectionSettings.from_environment(connections.environment()) == connections
    with pytest.raises(SchemaError, match=r"connections\.database\.port"):
        path.write_text("connections: {database: {port: many}}\n")
        PipelineConfig.load(path)
