"""Where the services are and how to reach them: read from the environment, with the local
defaults of scripts/services.

Secrets (the database and Kafka passwords) come from the environment or a file, never from the
repo; what a Flink job carries to its TaskManagers names the files, never the secrets.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = Path(os.environ.get("COMPLIANCE_RUN_DIR", PROJECT_ROOT / "run"))
LOCAL_PASSWORD_FILE = RUN_DIR / "postgres" / "password"
LOCAL_PASSFILE = RUN_DIR / "pgpass"  # scripts/services writes it: the local servers' lines


class SettingsError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to set it."""


def _secret(env: Mapping[str, str], name: str, fallback_file: Path | None) -> str | None:
    if env.get(name):
        return env[name]
    file_name = env.get(f"{name}_FILE")
    path = Path(file_name) if file_name else fallback_file
    if path is not None and path.is_file():
        return path.read_text(encoding="utf-8").strip()
    if file_name:
        raise SettingsError(f"{name}_FILE points to {file_name}, which is not a readable file")
    return None


@dataclass(frozen=True)
class DatabaseSettings:
    host: str = "127.0.0.1"
    port: int = 5432
    name: str = "compliance"
    user: str = "compliance"
    password: str | None = None
    # A libpq password file (host:port:db:user:password lines): what the streaming job's JDBC
    # sink reads on the TaskManagers (PGPASSFILE there), so no password is in its SQL or plan.
    passfile: Path | None = None
    sslmode: str | None = None  # e.g. verify-full (then sslrootcert names the CA's PEM file)
    sslrootcert: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DatabaseSettings:
        env = os.environ if env is None else env
        passfile = env.get("COMPLIANCE_DB_PASSFILE")
        if passfile is None and LOCAL_PASSFILE.is_file():
            passfile = str(LOCAL_PASSFILE)
        root = env.get("COMPLIANCE_DB_SSLROOTCERT")
        return cls(
            host=env.get("COMPLIANCE_DB_HOST", cls.host),
            port=int(env.get("COMPLIANCE_DB_PORT", cls.port)),
            name=env.get("COMPLIANCE_DB_NAME", cls.name),
            user=env.get("COMPLIANCE_DB_USER", cls.user),
            password=_secret(env, "COMPLIANCE_DB_PASSWORD", LOCAL_PASSWORD_FILE),
            passfile=Path(passfile) if passfile else None,
            sslmode=env.get("COMPLIANCE_DB_SSLMODE") or None,
            sslrootcert=Path(root) if root else None,
        )

    def _ssl(self) -> dict[str, str]:
        found = {}
        if self.sslmode:
            found["sslmode"] = self.sslmode
        if self.sslrootcert:
            found["sslrootcert"] = str(self.sslrootcert)
        return found

    @property
    def jdbc_url(self) -> str:
        """The JDBC URL with the user and the TLS settings, never the password."""
        params = "&".join(f"{k}={v}" for k, v in {"user": self.user, **self._ssl()}.items())
        return f"jdbc:postgresql://{self.host}:{self.port}/{self.name}?{params}"

    def connect_kwargs(self) -> dict[str, object]:
        if self.password is None and self.passfile is None:
            raise SettingsError(
                "no database password: set COMPLIANCE_DB_PASSWORD, COMPLIANCE_DB_PASSWORD_FILE or "
                "COMPLIANCE_DB_PASSFILE (scripts/services up postgres writes local ones under run/)"
            )
        secret = {"password": self.password} if self.password else {"passfile": str(self.passfile)}
        return {
            "host": self.host,
            "port": self.port,
            "dbname": self.name,
            "user": self.user,
            **secret,
            **self._ssl(),
            "connect_timeout": 5,
        }


def passfile_line(settings: DatabaseSettings, path: Path) -> None:
    """Write (or replace) the server's lines in a libpq password file (mode 0600): what the
    streaming job's JDBC sink reads on the TaskManagers (PGPASSFILE there)."""
    if settings.password is None:
        return
    kept = [line for line in (path.read_text().splitlines() if path.exists() else [])
            if line.split(":")[1:2] != [str(settings.port)]]  # fmt: skip
    secret = settings.password.replace("\\", "\\\\").replace(":", "\\:")
    hosts = dict.fromkeys([settings.host, "127.0.0.1", "localhost"])
    kept += [f"{host}:{settings.port}:*:{settings.user}:{secret}" for host in hosts]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")


SECURITY_PROTOCOLS = ("PLAINTEXT", "SASL_SSL")
SHADED = "org.apache.flink.kafka.shaded."  # flink-sql-connector-kafka relocates the client


@dataclass(frozen=True)
class KafkaSettings:
    """The broker and how to reach it: PLAINTEXT (the local default) or SASL_SSL with SCRAM, the
    password in a file (COMPLIANCE_KAFKA_PASSWORD_FILE) that a Flink job reads on the
    TaskManagers through Kafka's DirectoryConfigProvider: in no SQL text, plan or config."""

    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-512"
    username: str | None = None
    password_file: Path | None = None
    ca_file: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> KafkaSettings:
        env = os.environ if env is None else env
        protocol = env.get("COMPLIANCE_KAFKA_SECURITY", cls.security_protocol).upper()
        if protocol not in SECURITY_PROTOCOLS:
            raise SettingsError(
                f"COMPLIANCE_KAFKA_SECURITY={protocol}: expected one of "
                f"{', '.join(SECURITY_PROTOCOLS)}"
            )
        password = env.get("COMPLIANCE_KAFKA_PASSWORD_FILE")
        ca = env.get("COMPLIANCE_KAFKA_CA_FILE")
        settings = cls(
            env.get("COMPLIANCE_KAFKA_BOOTSTRAP", cls.bootstrap_servers), protocol,
            env.get("COMPLIANCE_KAFKA_SASL_MECHANISM", cls.sasl_mechanism),
            env.get("COMPLIANCE_KAFKA_USER") or None,
            Path(password) if password else None, Path(ca) if ca else None,
        )  # fmt: skip
        if settings.secure:
            needed = (("COMPLIANCE_KAFKA_USER", settings.username),
                      ("COMPLIANCE_KAFKA_PASSWORD_FILE", settings.password_file),
                      ("COMPLIANCE_KAFKA_CA_FILE", settings.ca_file))  # fmt: skip
            missing = [name for name, value in needed if not value]
            if missing:
                raise SettingsError(
                    f"COMPLIANCE_KAFKA_SECURITY=SASL_SSL needs {', '.join(missing)}"
                )
            if not settings.password_file.is_file():
                raise SettingsError(
                    f"COMPLIANCE_KAFKA_PASSWORD_FILE points to {password}, which is not a file"
                )
        return settings

    @property
    def secure(self) -> bool:
        return self.security_protocol == "SASL_SSL"

    def client_config(self, **extra: object) -> dict[str, object]:
        """librdkafka (confluent_kafka) settings: the tools' producers, consumers and admin."""
        config: dict[str, object] = {"bootstrap.servers": self.bootstrap_servers}
        if self.secure:
            assert self.password_file is not None
            config.update({
                "security.protocol": "SASL_SSL", "sasl.mechanisms": self.sasl_mechanism,
                "sasl.username": self.username,
                "sasl.password": self.password_file.read_text(encoding="utf-8").strip(),
                "ssl.ca.location": str(self.ca_file),
            })  # fmt: skip
        return {**config, **extra}

    def flink_options(self) -> str:
        """The Kafka connector's `properties.*` options as DDL text: the password only as a
        `${dir:FOLDER:FILE}` reference, read by the client on the TaskManager (the file must
        hold the password alone, without a newline)."""
        options = [("properties.bootstrap.servers", self.bootstrap_servers)]
        if self.secure:
            assert self.password_file is not None
            folder, name = self.password_file.parent, self.password_file.name
            module = f"{SHADED}org.apache.kafka.common.security.scram.ScramLoginModule"
            jaas = (f'{module} required username="{self.username}" '
                    f'password="${{dir:{folder}:{name}}}";')  # fmt: skip
            options += [
                ("properties.security.protocol", "SASL_SSL"),
                ("properties.sasl.mechanism", self.sasl_mechanism),
                ("properties.sasl.jaas.config", jaas),
                ("properties.config.providers", "dir"),
                ("properties.config.providers.dir.class",
                 f"{SHADED}org.apache.kafka.common.config.provider.DirectoryConfigProvider"),
                ("properties.ssl.truststore.type", "PEM"),
                ("properties.ssl.truststore.location", str(self.ca_file)),
            ]  # fmt: skip
        return ",\n        ".join(f"'{k}' = '{v}'" for k, v in options)


@dataclass(frozen=True)
class FlinkSettings:
    rest_url: str = "http://127.0.0.1:8081"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> FlinkSettings:
        env = os.environ if env is None else env
        return cls(env.get("COMPLIANCE_FLINK_REST", cls.rest_url).rstrip("/"))
