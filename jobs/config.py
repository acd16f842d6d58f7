"""Pipeline settings (conf/pipeline/*.yaml): typed, each default written here once, unknown keys
refused with the key and the file named; and turned into Flink options.

    python -m jobs.config [--config FILE]     # the settings in effect, defaults filled in
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from jobs.runtime import python_settings
from udfs.schema import CONF_DIR, SchemaError, read_yaml

DEFAULT_PIPELINE = CONF_DIR / "pipeline" / "local.yaml"
MIB = 1 << 20


@dataclass(frozen=True)
class PythonSettings:
    execution_mode: str = "process"  # python.execution-mode: only process runs these jobs
    bundle_size: int = 5000  # python.fn-execution.bundle.size
    bundle_time_ms: int = 1000  # python.fn-execution.bundle.time
    arrow_batch_size: int = 5000  # python.fn-execution.arrow.batch.size

    def __post_init__(self) -> None:
        # PyFlink's thread mode runs no vectorized (Pandas) function, which the streaming step
        # is, and the batch job's scan hung in it (pyarrow inside the TaskManager's embedded
        # interpreter, both slots on one; session 37). Said here, not as a hang or a missing
        # `pemja` (a venv's packages are not on that interpreter's path).
        if self.execution_mode != "process":
            raise SchemaError(
                f"python.execution_mode: process, not {self.execution_mode!r} (PyFlink's thread "
                "mode does not run these jobs: docs/operations.md)"
            )


@dataclass(frozen=True)
class KafkaSettings:
    # The streaming job's topics by role: one input topic per domain, then alerts, quarantine.
    topics: dict[str, str] = field(
        default_factory=lambda: {
            "healthcare": "healthcare-stream",
            "financial": "financial-stream",
            "alerts": "compliance-alerts",
            "quarantine": "compliance-quarantine",
            "dp": "compliance-dp",  # the private aggregates' releases
            "quality": "compliance-quality",  # windows whose data quality fell below threshold
        }
    )
    partitions: int = 3  # of the topics the jobs create
    # Kafka readers of the streaming job; None: the job's parallelism (a reader per subtask).
    source_parallelism: int | None = 1

    def topic(self, role: str) -> str:
        return self.topics.get(role, role)


@dataclass(frozen=True)
class AlertSettings:
    min_severity: str = "high"  # the least severe violation that raises an alert


@dataclass(frozen=True)
class StreamSettings:
    # The job's parallelism over Kafka (None: the top-level `parallelism`; `--parallelism` wins).
    # On 2 cores shared with the broker, 1 (one Python worker, twice the records per call) used
    # 19-31% less CPU than 2, with lower latency (docs/performance.md, session 24); raise it on
    # a machine with cores to spare.
    parallelism: int | None = 1
    checkpoint_interval_ms: int = 10000  # lake files and Kafka offsets commit on checkpoints
    # Barriers overtake buffered records instead of waiting for them: an aligned checkpoint
    # held every input of a window operator while a window closed (docs/performance.md). Safe
    # for the lake since the k-anonymity windows decide lateness themselves (udfs/jvm): they
    # replay an unaligned checkpoint's in-flight watermarks after a restore, which made a late
    # filter upstream of Flink SQL's windows pass records those windows then dropped.
    unaligned_checkpoints: bool = True
    out_of_orderness_ms: int = 5000  # bounded out-of-orderness of created_at
    idle_timeout_ms: int = 10000  # a partition without messages stops holding the watermark
    window_ms: int = 60000  # k-anonymity windows (event time): the longest a record waits
    # Python bundles in STREAMING: short for latency, and large enough that a worker behind
    # catches up on big batches (at parallelism 1 and 5,000/s, 4,000 used ~20% less Python CPU
    # than 1,000: docs/performance.md, session 24). Flink checks every bundle_time_ms whether
    # bundle_time_ms have passed since the last bundle *finished*, so a bundle closes about every
    # 2 × bundle_time_ms (the records wait about bundle_time_ms on average). Each bundle is a
    # call of the step with ~10 ms of fixed Python: at 5,000/s, 30 used 8-12% less of the job's
    # CPU than 25 for ~7 ms more median latency (p50 89-92 ms, p99 172-189: session 37); 35 held
    # the median at ~102 ms (session 37), 50 at 130-150 (session 32).
    bundle_size: int = 4000
    bundle_time_ms: int = 30
    restart_attempts: int = 10
    restart_delay_ms: int = 2000

    def __post_init__(self) -> None:
        if self.parallelism is not None and self.parallelism < 1:
            raise SchemaError(f"stream.parallelism: at least 1, not {self.parallelism}")


@dataclass(frozen=True)
class BatchSettings:
    split_mib: int = 16  # largest split (smaller when that gives fewer than four per worker)
    read_mib: int = 8  # a worker reads and processes this much of a split at a time (4 → 8: the
    # scan ~3% faster at 1M and 10M records, session 34)
    release_mib: int = 32  # the release writes the lake in tasks of about this much input
    # Below this input size the release's tasks run in the driver, as many at once as there are
    # workers: a second Flink job (6.3-6.6 s to start and finish at 10M rows here) would cost
    # more than it saves.
    release_in_driver_mib: int = 1024
    # On a local MiniCluster, whatever the input's size: its workers share the driver's machine,
    # so the driver's threads do the same work on the same cores without a second job's start.
    release_in_driver_when_local: bool = True
    # A task lost with its TaskManager is rerun elsewhere (its split's files are committed once
    # by the first attempt to finish): without a strategy a batch job has no restarts.
    restart_attempts: int = 3
    restart_delay_ms: int = 2000

    @property
    def split_bytes(self) -> int:
        return self.split_mib * MIB

    @property
    def read_bytes(self) -> int:
        return self.read_mib * MIB

    @property
    def release_bytes(self) -> int:
        return self.release_mib * MIB

    @property
    def release_in_driver_bytes(self) -> int:
        return self.release_in_driver_mib * MIB


@dataclass(frozen=True)
class LineageSettings:
    # OpenLineage run events: "file" (lineage/events.jsonl under the run's output), "http" (a
    # lineage server such as Marquez at `url`), or "none".
    transport: str = "file"
    url: str = ""  # http: the server's base URL (the client posts to <url>/api/v1/lineage)
    namespace: str = "flink-compliance"  # the jobs' namespace in the events

    def __post_init__(self) -> None:
        if self.transport not in ("file", "http", "none"):
            raise SchemaError(f"lineage.transport: one of file, http, none, not {self.transport!r}")
        if self.transport == "http" and not self.url:
            raise SchemaError("lineage.url: the lineage server's URL (transport http)")


@dataclass(frozen=True)
class KafkaConnection:
    """How the jobs reach Kafka (each unset key: the environment's COMPLIANCE_KAFKA_*, else the
    local default); the password as a file, never in this YAML."""

    bootstrap: str | None = None
    security: str | None = None  # PLAINTEXT | SASL_SSL
    sasl_mechanism: str | None = None  # SCRAM-SHA-512 | SCRAM-SHA-256
    user: str | None = None
    password_file: str | None = None
    ca_file: str | None = None


@dataclass(frozen=True)
class DatabaseConnection:
    """How the jobs reach the audit database (COMPLIANCE_DB_* when unset here)."""

    host: str | None = None
    port: int | None = None
    name: str | None = None
    user: str | None = None
    password_file: str | None = None
    passfile: str | None = None  # libpq password file: the streaming job's JDBC sink reads it
    sslmode: str | None = None  # e.g. verify-full
    sslrootcert: str | None = None


ENVIRONMENT = {  # (section, key) -> the variable connectors.settings reads
    ("kafka", "bootstrap"): "COMPLIANCE_KAFKA_BOOTSTRAP",
    ("kafka", "security"): "COMPLIANCE_KAFKA_SECURITY",
    ("kafka", "sasl_mechanism"): "COMPLIANCE_KAFKA_SASL_MECHANISM",
    ("kafka", "user"): "COMPLIANCE_KAFKA_USER",
    ("kafka", "password_file"): "COMPLIANCE_KAFKA_PASSWORD_FILE",
    ("kafka", "ca_file"): "COMPLIANCE_KAFKA_CA_FILE",
    ("database", "host"): "COMPLIANCE_DB_HOST",
    ("database", "port"): "COMPLIANCE_DB_PORT",
    ("database", "name"): "COMPLIANCE_DB_NAME",
    ("database", "user"): "COMPLIANCE_DB_USER",
    ("database", "password_file"): "COMPLIANCE_DB_PASSWORD_FILE",
    ("database", "passfile"): "COMPLIANCE_DB_PASSFILE",
    ("database", "sslmode"): "COMPLIANCE_DB_SSLMODE",
    ("database", "sslrootcert"): "COMPLIANCE_DB_SSLROOTCERT",
}


@dataclass(frozen=True)
class ConnectionSettings:
    kafka: KafkaConnection = field(default_factory=KafkaConnection)
    database: DatabaseConnection = field(default_factory=DatabaseConnection)

    def environment(self) -> dict[str, str]:
        """The variables these settings stand for (the set ones only)."""
        found = {}
        for (section, key), name in ENVIRONMENT.items():
            value = getattr(getattr(self, section), key)
            if value is not None:
                found[name] = str(value)
        return found

    @classmethod
    def from_environment(cls, env: dict[str, str]) -> ConnectionSettings:
        """The settings that stand for these variables (a test writes them into a YAML)."""
        values: dict[str, dict] = {"kafka": {}, "database": {}}
        for (section, key), name in ENVIRONMENT.items():
            if name in env:
                values[section][key] = int(env[name]) if key == "port" else env[name]
        return cls(KafkaConnection(**values["kafka"]), DatabaseConnection(**values["database"]))

    def apply(self, env=None) -> None:
        """Into the process environment, under what it sets already (the environment wins):
        every connector reads its settings from there, in the driver and in local workers."""
        env = os.environ if env is None else env
        for name, value in self.environment().items():
            env.setdefault(name, value)


@dataclass(frozen=True)
class PipelineConfig:
    parallelism: int = 2
    python: PythonSettings = field(default_factory=PythonSettings)
    flink: dict[str, str] = field(default_factory=dict)  # any other Flink option, as is
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    stream: StreamSettings = field(default_factory=StreamSettings)
    batch: BatchSettings = field(default_factory=BatchSettings)
    lineage: LineageSettings = field(default_factory=LineageSettings)
    connections: ConnectionSettings = field(default_factory=ConnectionSettings)

    @classmethod
    def load(cls, path: Path | None = None) -> PipelineConfig:
        path = path or DEFAULT_PIPELINE
        return typed(cls, read_yaml(path), str(path), "")

    def dump(self, path: Path) -> Path:
        """These settings as a pipeline YAML file (what a test or benchmark hands a job)."""
        path.write_text(yaml.safe_dump(dataclasses.asdict(self), sort_keys=False), encoding="utf-8")
        return path

    def flink_settings(self, parallelism: int | None = None) -> dict[str, str]:
        py = self.python
        settings = python_settings(parallelism or self.parallelism, py.execution_mode)
        settings["python.fn-execution.bundle.size"] = str(py.bundle_size)
        settings["python.fn-execution.bundle.time"] = str(py.bundle_time_ms)
        settings["python.fn-execution.arrow.batch.size"] = str(py.arrow_batch_size)
        settings.update(self.flink)
        return settings


def typed(cls: type, data: Any, source: str, where: str) -> Any:
    """`data` (a YAML mapping) as the dataclass `cls`: missing keys take the defaults, unknown
    keys and values of the wrong type are refused with their place in the file."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SchemaError(f"{source}: {where.rstrip('.') or 'the top level'} should be a mapping")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise SchemaError(
            f"{source}: unknown setting {', '.join(where + k for k in unknown)}; "
            f"expected one of {', '.join(where + k for k in fields)}"
        )
    hints = typing.get_type_hints(cls)
    values = {name: value_of(hints[name], data[name], source, where + name) for name in data}
    return cls(**values)


def value_of(hint: Any, value: Any, source: str, key: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return typed(hint, value, source, key + ".")
    optional = isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)
    if value is None and optional:
        return None
    base = typing.get_origin(hint) or hint
    if optional:
        base = next(a for a in typing.get_args(hint) if a is not type(None))
    if base is dict:
        if not isinstance(value, dict):
            raise SchemaError(f"{source}: {key} should be a mapping")
        return {str(k): str(v) for k, v in value.items()}
    if base is bool and isinstance(value, bool):
        return value
    if base is int and not isinstance(value, bool):
        try:
            return int(value)
        except (TypeError, ValueError):
            pass
    elif base is str and isinstance(value, str | int | float):
        return str(value)
    raise SchemaError(f"{source}: {key} should be {base.__name__}, not {value!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.config", description=__doc__)
    parser.add_argument("--config", type=Path, help=f"default {DEFAULT_PIPELINE}")
    args = parser.parse_args(argv)
    try:
        config = PipelineConfig.load(args.config)
    except SchemaError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    sys.stdout.write(yaml.safe_dump(dataclasses.asdict(config), sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
