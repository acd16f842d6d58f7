"""The one place that knows where the pinned jars are (fetched by scripts/setup from
connectors/pom.xml) and hands them to Flink's `pipeline.jars`."""

from __future__ import annotations

import os
from pathlib import Path

LIB_DIR = Path(os.environ.get("COMPLIANCE_LIB_DIR", Path(__file__).resolve().parent.parent / "lib"))
FLINK_JARS = LIB_DIR / "flink"


class JarsMissing(RuntimeError):
    pass


def flink_jars(lib_dir: Path = FLINK_JARS) -> list[Path]:
    jars = sorted(lib_dir.glob("*.jar"))
    if not jars:
        raise JarsMissing(f"no connector jars in {lib_dir}: run scripts/setup")
    return jars


def pipeline_jars(lib_dir: Path = FLINK_JARS) -> str:
    """The `pipeline.jars` value: file URLs joined by ';'."""
    return ";".join(jar.as_uri() for jar in flink_jars(lib_dir))
