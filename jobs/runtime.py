"""Flink environments for the jobs: the same settings locally (MiniCluster) and under `flink run`."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from connectors.jars import pipeline_jars
from connectors.settings import RUN_DIR
from jobs.fork_server import fork_server, forks_workers
from jobs.jvm_archive import share_jvm_classes
from udfs.schema import CONF_DIR


def _merge_jars(existing: Any, ours: str) -> str:
    # `flink run --python` puts the flink-python jar in pipeline.jars (as a YAML list string).
    if not existing:
        return ours
    text = str(existing).strip("[]")
    parts = [p.strip().strip("'\"") for p in text.replace(";", ",").split(",") if p.strip()]
    return ";".join(dict.fromkeys([*parts, *ours.split(";")]))


def python_settings(parallelism: int, execution_mode: str = "process") -> dict[str, str]:
    return {
        "parallelism.default": str(parallelism),
        "python.executable": os.environ.get("COMPLIANCE_UDF_PYTHON", sys.executable),
        "python.client.executable": sys.executable,
        "python.execution-mode": execution_mode,
    }


def apply_settings(config: Any, settings: dict[str, str], connectors: bool = True) -> None:
    """The settings, and the project's jars in `pipeline.jars` (the connectors' too unless
    `connectors` is false)."""
    for key, value in settings.items():
        config.set(key, str(value))
    if os.environ.get("COMPLIANCE_JARS_ON_CLASSPATH") == "1":
        return  # a cluster with the connector jars in its lib/ (scripts/services, the Docker image)
    existing = config.get("pipeline.jars", "")
    config.set("pipeline.jars", _merge_jars(existing, pipeline_jars(connectors)))


def quiet_local_logging() -> None:
    """A local MiniCluster logs to run/log instead of the console (unless the caller chose)."""
    if "LOG4J_PROPERTIES" not in os.environ:
        os.environ["LOG4J_PROPERTIES"] = str(CONF_DIR / "flink" / "log4j-local.properties")
        log_dir = RUN_DIR / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("FLINK_LOG_DIR", str(log_dir))


def runs_locally(t_env) -> bool:
    """Whether the job runs on a MiniCluster in this process's JVM (`python -m jobs...`), not on
    a cluster (`flink run`): Flink's deployment target, as PyFlink itself reads it."""
    return t_env.get_config().get("execution.target", "") in ("local", "minicluster")


def stream_table_env(batch: bool, settings: dict[str, str], connectors: bool = True):
    """A StreamTableEnvironment in BATCH or STREAMING runtime mode, configured for the project;
    without the connector jars when `connectors` is false (a graph of Python functions only).
    On a local MiniCluster its Python workers are forked (`forks_workers`): the server's imports
    overlap the plan's translation and the MiniCluster's start."""
    # Without this, a local MiniCluster runs Python UDFs inside the client process ("loopback"),
    # which puts all parallel subtasks on one core.
    os.environ.setdefault("_python_worker_execution_mode", "process")
    quiet_local_logging()
    share_jvm_classes()  # before the JVM starts
    from pyflink.datastream import RuntimeExecutionMode, StreamExecutionEnvironment
    from pyflink.table import EnvironmentSettings, StreamTableEnvironment

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_runtime_mode(RuntimeExecutionMode.BATCH if batch else RuntimeExecutionMode.STREAMING)
    env_settings = (
        EnvironmentSettings.in_batch_mode() if batch else EnvironmentSettings.in_streaming_mode()
    )
    t_env = StreamTableEnvironment.create(env, environment_settings=env_settings)
    apply_settings(t_env.get_config(), settings, connectors)
    if forks_workers(settings) and runs_locally(t_env):
        t_env.get_config().set("python.executable", str(fork_server().launcher))
    env.set_parallelism(int(settings.get("parallelism.default", 1)))
    return env, t_env


def internal_stream(t_env, table):
    """The table as a Java DataStream of Flink's internal rows (`RowData`): no conversion of
    each field to a Java object and back, as `to_data_stream`'s `Row`s cost (~20% more CPU in
    the TaskManager with the step's ~25 columns)."""
    from pyflink.util.java_utils import load_java_class

    row_data = load_java_class("org.apache.flink.table.data.RowData")
    data_type = table._j_table.getResolvedSchema().toPhysicalRowDataType().bridgedTo(row_data)
    return t_env._j_tenv.toDataStream(table._j_table, data_type)


def translated_once(t_env, step):
    """STREAMING: the step's table (with its event time as a plain column `step_rowtime`) as a
    DataStream, and back as a table with the time attributes `rowtime` (that column, with the
    watermarks the stream carries) and `proctime`. A table read by several statements and by a
    DataStream conversion (the k-anonymity windows) is otherwise planned once for each: two
    Kafka sources, two Python steps. A DataStream is one operator, whoever reads it."""
    from pyflink.table import Schema, Table

    schema = (
        Schema.new_builder()
        .column_by_expression("rowtime", "CAST(step_rowtime AS TIMESTAMP_LTZ(3))")
        .watermark("rowtime", "SOURCE_WATERMARK()")
        .column_by_expression("proctime", "PROCTIME()")
        .build()
    )
    stream = internal_stream(t_env, step)
    return Table(t_env._j_tenv.fromDataStream(stream, schema._j_schema), t_env)


def ship_plugins(t_env, rules_config: dict) -> dict:
    """Rule plugins that are files reach the Python workers with the job (`add_python_file`):
    on a cluster they are not in the shipped package, nor at the driver's path. Returns the
    rules the workers get: those plugins named by module, imported from what was shipped."""
    from udfs.rules.ruleset import plugin_files

    files = plugin_files(rules_config)
    for path in files:
        t_env.add_python_file(str(path))
    shipped = {str(path) for path in files}
    plugins = [Path(p).stem if p in shipped else p for p in rules_config.get("plugins") or []]
    return {**rules_config, "plugins": plugins}


def task_table(t_env, name: str, function, tasks: list[tuple]):
    """One call of the Python ScalarFunction `function` per task (its eval's arguments), the
    tasks split between the Python workers in contiguous ranges of about equal counts (a batch
    job's tasks: input splits of one size, staged files); each call's result a JSON text."""
    from pyflink.table.expressions import call, col

    from udfs.flink.tasks import sequence_ddl, tasks_udf

    t_env.create_temporary_function(name, tasks_udf(function, tasks))
    t_env.execute_sql(sequence_ddl(f"{name}_tasks", len(tasks)))
    return t_env.from_path(f"{name}_tasks").select(call(name, col("i")))


def first_results(table, key: str) -> tuple[dict[int, dict], float]:
    """Run a task table: per task (its JSON result's `key`), the first attempt to finish; and
    the seconds until the job was submitted (the plan's translation and, on a local MiniCluster,
    its start: 0.9 + 1.1 s of 2.2 at 1M rows)."""
    import json

    chosen: dict[int, dict] = {}
    started = time.perf_counter()
    result = table.execute()  # returns once the job is submitted
    submitted = time.perf_counter() - started
    with result.collect() as rows:
        for row in rows:
            found = json.loads(row[0])
            chosen.setdefault(found[key], found)
    return chosen, submitted


_PYTHON_ERROR = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit)): (.+)$", re.M)
_JAVA_PACKAGES = ("java.", "javax.", "org.", "com.", "py4j.")
_JAVA_CAUSE = re.compile(r"^Caused by: ([\w.$]+(?:Exception|Error)): ?(.*)$", re.M)


def flink_failure(text: str) -> str:
    """What a failed Flink job's exception text says went wrong, in one line: the last Python
    exception its workers raised (`OSError: [Errno 28] … No space left on device`), else the
    deepest Java `Caused by:`; the whole text only when neither is found."""
    python = [(k, m) for k, m in _PYTHON_ERROR.findall(text) if not k.startswith(_JAVA_PACKAGES)]
    if python:
        kind, message = python[-1]
        return f"{kind.rsplit('.', 1)[-1]}: {message.strip()}"
    java = _JAVA_CAUSE.findall(text)
    if java:
        kind, message = java[-1]
        return f"{kind.rsplit('.', 1)[-1]}: {message.strip()}" if message else kind
    return text.strip().splitlines()[0] if text.strip() else "unknown failure"
