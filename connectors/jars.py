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


def flink_jars(
    lib_dir: Path = FLINK_JARS, udfs_dir: Path = JVM_UDFS, connectors: bool = True
) -> list[Path]:
    """The pinned connector jars (unless `connectors` is false) and the project's own
    operators' jar."""
    jars = sorted(lib_dir.glob("*.jar")) if connectors else []
    if connectors and not jars:
        raise JarsMissing(f"no connector jars in {lib_dir}: run scripts/setup")
    own = sorted(udfs_dir.glob("*.jar"))
    if not own:
        raise JarsMissing(f"no jar of udfs/jvm in {udfs_dir}: run scripts/setup")
    return jars + own


def pipeline_jars(connectors: bool = True) -> str:
    """The `pipeline.jars` value: file URLs joined by ';'. A job that reads and writes no
    connector (the batch job: its Python workers read and write the files) leaves the
    connectors out: their ~80 MB cost a local run 1.5–2.5 s before its first task ran."""
    return ";".join(jar.as_uri() for jar in flink_jars(connectors=connectors))
