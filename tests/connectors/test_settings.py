"""Connection settings from the environment: what a Flink job carries names secret files, never
the secrets."""

import pytest

from connectors.settings import DatabaseSettings, KafkaSettings, SettingsError


def test_sasl_ssl_needs_its_user_password_file_and_ca(tmp_path):
    with pytest.raises(
        SettingsError, match="needs COMPLIANCE_KAFKA_USER, COMPLIANCE_KAFKA_PASSWORD_FILE"
    ):
        KafkaSettings.from_env({"COMPLIANCE_KAFKA_SECURITY": "SASL_SSL"})
    with pytest.raises(SettingsError, match="expected one of PLAINTEXT, SASL_SSL"):
        KafkaSettings.from_env({"COMPLIANCE_KAFKA_SECURITY": "SSL_PLAIN"})
    env = {"COMPLIANCE_KAFKA_SECURITY": "SASL_SSL", "COMPLIANCE_KAFKA_USER": "u",
           "COMPLIANCE_KAFKA_PASSWORD_FILE": str(tmp_path / "none"),
           "COMPLIANCE_KAFKA_CA_FILE": str(tmp_path / "ca.pem")}  # fmt: skip
    with pytest.raises(SettingsError, match="is not a file"):
        KafkaSettings.from_env(env)


def test_the_flink_options_name_the_password_file_and_the_clients_get_the_password(tmp_path):
    secret = tmp_path / "kafka-password"
    secret.write_text("s3cret-kafka-password")
    settings = KafkaSettings.from_env({
        "COMPLIANCE_KAFKA_BOOTSTRAP": "127.0.0.1:9193", "COMPLIANCE_KAFKA_SECURITY": "sasl_ssl",
        "COMPLIANCE_KAFKA_USER": "compliance", "COMPLIANCE_KAFKA_PASSWORD_FILE": str(secret),
        "COMPLIANCE_KAFKA_CA_FILE": str(tmp_path / "ca.pem"),
    })  # fmt: skip
    options = settings.flink_options()
    assert "s3cret" not in options
    assert f'password="${{dir:{tmp_path}:kafka-password}}"' in options
    assert "'properties.security.protocol' = 'SASL_SSL'" in options
    assert "org.apache.flink.kafka.shaded.org.apache.kafka.common.security.scram" in options
    assert settings.client_config()["sasl.password"] == "s3cret-kafka-password"
    assert KafkaSettings().flink_options() == "'properties.bootstrap.servers' = '127.0.0.1:9092'"


def test_the_jdbc_url_carries_tls_and_the_user_but_never_the_password(tmp_path):
    settings = DatabaseSettings.from_env({
        "COMPLIANCE_DB_PASSWORD": "s3cret-db-password", "COMPLIANCE_DB_SSLMODE": "verify-full",
        "COMPLIANCE_DB_SSLROOTCERT": "/certs/ca.pem", "COMPLIANCE_DB_PASSFILE": "/run/pgpass",
        "COMPLIANCE_DB_PORT": "5433",
    })  # fmt: skip
    assert settings.jdbc_url == (
        "jdbc:postgresql://127.0.0.1:5433/compliance?user=compliance&sslmode=verify-full"
        "&sslrootcert=/certs/ca.pem"
    )
    kwargs = settings.connect_kwargs()
    assert kwargs["sslmode"] == "verify-full" and kwargs["password"] == "s3cret-db-password"
    only_file = DatabaseSettings(passfile=tmp_path / "pgpass")
    assert only_file.connect_kwargs()["passfile"] == str(tmp_path / "pgpass")
    assert "password" not in only_file.connect_kwargs()


def test_the_streaming_audit_sink_refuses_without_a_password_file():
    from connectors.audit import AuditUnavailable, jdbc_violations_ddl

    with pytest.raises(AuditUnavailable, match="libpq password file on the TaskManagers"):
        jdbc_violations_ddl(settings=DatabaseSettings(password="x" * 20))
    ddl = jdbc_violations_ddl(settings=DatabaseSettings(password="y" * 20, passfile="/p"))
    assert "y" * 20 not in ddl and "'password'" not in ddl


def test_a_password_file_gets_one_line_per_host_and_replaces_the_servers_old_lines(tmp_path):
    from connectors.settings import passfile_line

    path = tmp_path / "pgpass"
    path.write_text("127.0.0.1:5432:*:compliance:old\nother:9999:*:u:keep\n")
    passfile_line(DatabaseSettings(port=5432, password="new:pass\\word"), path)
    lines = path.read_text().splitlines()
    assert "other:9999:*:u:keep" in lines and not any(line.endswith(":old") for line in lines)
    assert "127.0.0.1:5432:*:compliance:new\\:pass\\\\word" in lines
    assert "localhost:5432:*:compliance:new\\:pass\\\\word" in lines
    assert oct(path.stat().st_mode & 0o777) == "0o600"
