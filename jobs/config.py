"""Pipeline settings (conf/pipeline/*.yaml) turned into Flink options."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobs.runtime import python_settings
from udfs.schema import CONF_DIR, SchemaError, read_yaml

DEFAULT_PIPELINE = CONF_DIR / "pipeline" / "local.yaml"


MIB = 1 << 20


@dataclass
class PipelineConfig:
    parallelism: int = 2
    # Batch job: the input is cut into splits of at most this many bytes (smaller when that
    # gives fewer than four per worker); a worker reads and processes a split this much at a time.
    split_bytes: int = 16 * MIB
    batch_bytes: int = 4 * MIB
    python: dict[str, Any] = field(default_factory=dict)
    flink: dict[str, Any] = field(default_factory=dict)
    kafka: dict[str, Any] = field(default_factory=dict)
    alerts: dict[str, Any] = field(default_factory=dict)
    stream: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> PipelineConfig:
        data = read_yaml(path or DEFAULT_PIPELINE)
        batch = dict(data.get("batch") or {})
        unknown = set(batch) - {"split_mib", "read_mib"}
        if unknown:
            raise SchemaError(
                f"{path or DEFAULT_PIPELINE}: unknown batch setting(s) {sorted(unknown)}"
            )
        return cls(
            parallelism=int(data.get("parallelism", 2)),
            split_bytes=int(batch.get("split_mib", cls.split_bytes // MIB)) * MIB,
            batch_bytes=int(batch.get("read_mib", cls.batch_bytes // MIB)) * MIB,
            python=dict(data.get("python") or {}),
            flink=dict(data.get("flink") or {}),
            kafka=dict(data.get("kafka") or {}),
            alerts=dict(data.get("alerts") or {}),
            stream=dict(data.get("stream") or {}),
        )

    def flink_settings(self, parallelism: int | None = None) -> dict[str, str]:
        settings = python_settings(
            parallelism or self.parallelism, self.python.get("execution_mode", "process")
        )
        py = self.python
        if "bundle_size" in py:
            settings["python.fn-execution.bundle.size"] = str(py["bundle_size"])
        if "bundle_time_ms" in py:
            settings["python.fn-execution.bundle.time"] = str(py["bundle_time_ms"])
        if "arrow_batch_size" in py:
            settings["python.fn-execution.arrow.batch.size"] = str(py["arrow_batch_size"])
        settings.update({k: str(v) for k, v in self.flink.items()})
        return settings
