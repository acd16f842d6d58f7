"""The one place that knows where the pinned jars are (fetched by scripts/setup from
connectors/pom.xml) and hands them to Flink's `pipeline.jars`."""

from __future__ import annotations

import os
from pathlib import Path

LIB_DIR = Path(os.environ.get("COMPLIANCE_LIB_DIR", Path(__file__).resolve().parent.parent / "lib"))
FLINK_JARS = LIB_DIR / "flink"
JVM_UDFS = LIB_DIR / "jvm"  # the project's own operators (udfs/jvm), built by scripts/setup


class JarsMissing(RuntimeError):
    pass


def flink_jars(lib_dir: Path = FLINK_JARS, udfs_dir: Path = JVM_UDFS) -> list[Path]:
    """The pinned connector jars and the project's own operators' jar."""
    jars = sorted(lib_dir.glob("*.jar"))
    if not jars:
        raise JarsMissing(f"no connector jars in {lib_dir}: run scripts/setup")
    own = sorted(udfs_dir.glob("*.jar"))
    if not own:
        raise JarsMissing(f"no jar of udfs/jvm in {udfs_dir}: run scripts/setup")
    return jars + own


def pipeline_jars() -> str:
    """The `pipeline.jars` value: file URLs joined by ';'."""
    return ";".join(jar.as_uri() for jar in flink_jars())
