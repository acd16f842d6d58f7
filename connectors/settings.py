"""Where the services are: read from the environment, with the local defaults of scripts/services.

Secrets (the database password) come from the environment or a file, never from the repo.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = Path(os.environ.get("COMPLIANCE_RUN_DIR", PROJECT_ROOT / "run"))
LOCAL_PASSWORD_FILE = RUN_DIR / "postgres" / "password"


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

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DatabaseSettings:
        env = os.environ if env is None else env
        return cls(
            host=env.get("COMPLIANCE_DB_HOST", cls.host),
            port=int(env.get("COMPLIANCE_DB_PORT", cls.port)),
            name=env.get("COMPLIANCE_DB_NAME", cls.name),
            user=env.get("COMPLIANCE_DB_USER", cls.user),
            password=_secret(env, "COMPLIANCE_DB_PASSWORD", LOCAL_PASSWORD_FILE),
        )

    @property
    def jdbc_url(self) -> str:
        return f"jdbc:postgresql://{self.host}:{self.port}/{self.name}"

    def connect_kwargs(self) -> dict[str, object]:
        if self.password is None:
            raise SettingsError(
                "no database password: set COMPLIANCE_DB_PASSWORD or COMPLIANCE_DB_PASSWORD_FILE "
                "(scripts/services up postgres writes a local one to run/postgres/password)"
            )
        return {
            "host": self.host,
            "port": self.port,
            "dbname": self.name,
            "user": self.user,
            "password": self.password,
            "connect_timeout": 5,
        }


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap_servers: str = "127.0.0.1:9092"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> KafkaSettings:
        env = os.environ if env is None else env
        return cls(env.get("COMPLIANCE_KAFKA_BOOTSTRAP", cls.bootstrap_servers))


@dataclass(frozen=True)
class FlinkSettings:
    rest_url: str = "http://127.0.0.1:8081"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> FlinkSettings:
        env = os.environ if env is None else env
        return cls(env.get("COMPLIANCE_FLINK_REST", cls.rest_url).rstrip("/"))
