"""Lineage of every run as OpenLineage run events (the `openlineage-python` client): START,
then COMPLETE or FAIL, with the run's input datasets (files with their sizes and checksums,
Kafka topics with their offsets) and output datasets (lake partitions, violations, quarantine,
topics, audit tables), the record schema and the rule-set version as facets and the data
quality as the data-quality facet. Sent where the pipeline's `lineage` settings say (a file
under the run's output by default, or HTTP to a server such as Marquez), and kept in the audit
database's `lineage` table when the run is audited."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attr
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import (
    InputDataset,
    Job,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
)
from openlineage.client.facet_v2 import (
    DatasetFacet,
    RunFacet,
    data_quality_metrics_input_dataset,
    error_message_run,
    job_type_job,
    processing_engine_run,
    schema_dataset,
)
from openlineage.client.serde import Serde

from connectors.audit import retried

PRODUCER = "https://github.com/flink-compliance/flink-compliance"
FACET_SCHEMA = (
    "https://flink-compliance.invalid/spec/facets/1-0-0/ComplianceRunFacet.json"
    "#/$defs/ComplianceRunFacet"
)
SOURCE_FACET_SCHEMA = (
    "https://flink-compliance.invalid/spec/facets/1-0-0/SourceDatasetFacet.json"
    "#/$defs/SourceDatasetFacet"
)
EVENTS_FILE = Path("lineage") / "events.jsonl"
TRANSPORTS = ("file", "http", "none")
FLINK_VERSION = "2.2.1"


@attr.define
class ComplianceRunFacet(RunFacet):
    """The run's rule set and settings by version (sha256 of their YAML, so that the same hash
    means the same rules) and its data quality (udfs.quality.score)."""

    domain: str = attr.field(default="")
    mode: str = attr.field(default="")  # BATCH | STREAMING
    ruleSetVersion: str = attr.field(default="")
    schemaVersion: str = attr.field(default="")
    qualityVersion: str = attr.field(default="")
    quality: dict[str, Any] | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return FACET_SCHEMA


@attr.define
class SourceDatasetFacet(DatasetFacet):
    """What the run knew of a dataset it read or wrote: its size in bytes, the sha256 of a
    file, a Kafka topic's offsets (partition → the next offset) when the event was made."""

    size: int | None = attr.field(default=None)
    sha256: str | None = attr.field(default=None)
    offsets: dict[str, int] | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return SOURCE_FACET_SCHEMA


def sha256_of(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def file_sha256(path: Path, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Source:
    """One input or output dataset: OpenLineage's namespace and name, and what is known of it."""

    namespace: str
    name: str
    size: int | None = None  # bytes
    checksum: str | None = None  # sha256 of a file
    rows: int | None = None
    offsets: dict[str, Any] | None = None  # Kafka: partition → offset

    def facets(self) -> dict[str, Any]:
        if self.size is None and self.checksum is None and self.offsets is None:
            return {}
        return {"source": SourceDatasetFacet(size=self.size, sha256=self.checksum,
                                             offsets=self.offsets)}  # fmt: skip


def file_source(path: Path) -> Source:
    path = Path(path).resolve()
    return Source("file", str(path), path.stat().st_size, file_sha256(path))


def dir_source(path: Path, rows: int | None = None) -> Source:
    path = Path(path).resolve()
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0
    return Source("file", str(path), size, rows=rows)


def lake_partitions(lake: Path) -> list[Source]:
    """Every `date=...` partition of a lake directory, as one dataset each."""
    if not lake.is_dir():
        return []
    return [dir_source(p) for p in sorted(lake.iterdir()) if p.is_dir() and "=" in p.name]


def kafka_source(bootstrap: str, topic: str, offsets: dict[str, Any] | None = None) -> Source:
    return Source(f"kafka://{bootstrap}", topic, offsets=offsets)


def postgres_source(host: str, port: int, database: str, table: str, schema: str = "public"
                    ) -> Source:  # fmt: skip
    return Source(f"postgres://{host}:{port}", f"{database}.{schema}.{table}")


@dataclass
class RunLineage:
    """One run's events. `fields` are the record schema's (name, type); `versions` the sha256 of
    the domain's schema, rules and quality YAML."""

    job_name: str
    job_id: str
    domain: str
    mode: str
    fields: list[tuple[str, str]]
    versions: dict[str, str]
    settings: Any  # jobs.config.LineageSettings
    output: Path
    conn: Any = None  # the audit database, or None
    inputs: list[Source] = field(default_factory=list)
    emitted: list[dict] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return str(uuid.UUID(hex=self.job_id)) if len(self.job_id) == 32 else self.job_id

    def client(self) -> OpenLineageClient | None:
        transport = self.settings.transport
        if transport == "none":
            return None
        if transport == "file":
            from openlineage.client.transport.file import FileConfig, FileTransport

            path = self.output / EVENTS_FILE
            path.parent.mkdir(parents=True, exist_ok=True)
            return OpenLineageClient(transport=FileTransport(FileConfig(str(path), append=True)))
        if transport == "http":
            from openlineage.client.transport.http import HttpConfig, HttpTransport

            return OpenLineageClient(transport=HttpTransport(HttpConfig(url=self.settings.url)))
        raise ValueError(f"lineage.transport: one of {', '.join(TRANSPORTS)}, not {transport!r}")

    def _inputs(self, quality: dict | None) -> list[InputDataset]:
        datasets = []
        for source in self.inputs:
            facets: dict[str, Any] = {"schema": self._schema_facet(), **source.facets()}
            input_facets = {}
            if quality is not None:
                input_facets["dataQualityMetrics"] = _quality_facet(quality, source.size)
            datasets.append(InputDataset(source.namespace, source.name, facets=facets,
                                         inputFacets=input_facets))  # fmt: skip
        return datasets

    def _schema_facet(self):
        return schema_dataset.SchemaDatasetFacet(
            fields=[schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in self.fields]
        )

    def event(self, state: RunState, outputs: list[Source] = (), quality: dict | None = None,
              error: str | None = None) -> RunEvent:  # fmt: skip
        run_facets: dict[str, Any] = {
            "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
                version=FLINK_VERSION, name="Apache Flink", openlineageAdapterVersion="1.54.0"
            ),
            "compliance": ComplianceRunFacet(
                domain=self.domain, mode=self.mode, quality=quality,
                ruleSetVersion=self.versions.get("rules", ""),
                schemaVersion=self.versions.get("schema", ""),
                qualityVersion=self.versions.get("quality", ""),
            ),
        }  # fmt: skip
        if error is not None:
            run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
                message=error[:2000], programmingLanguage="python"
            )
        job_facets = {
            "jobType": job_type_job.JobTypeJobFacet(
                processingType=self.mode, integration="FLINK", jobType="JOB"
            )
        }
        return RunEvent(
            eventType=state, eventTime=datetime.now(UTC).isoformat(), producer=PRODUCER,
            run=Run(runId=self.run_id, facets=run_facets),
            job=Job(namespace=self.settings.namespace, name=self.job_name, facets=job_facets),
            inputs=self._inputs(quality),
            outputs=[_output(o) for o in outputs],
        )  # fmt: skip

    def emit(self, state: RunState, outputs: list[Source] = (), quality: dict | None = None,
             error: str | None = None) -> dict:  # fmt: skip
        event = self.event(state, list(outputs), quality, error)
        client = self.client()
        if client is not None:
            client.emit(event)
        as_dict = Serde.to_dict(event)
        self.emitted.append(as_dict)
        if self.conn is not None:
            record(self.conn, self.job_id, as_dict)
        return as_dict

    def start(self, outputs: list[Source] = ()) -> dict:
        """START; `outputs` where a run that may not end (a stream) will write."""
        return self.emit(RunState.START, outputs)

    def complete(self, outputs: list[Source], quality: dict | None = None) -> dict:
        return self.emit(RunState.COMPLETE, outputs, quality)

    def fail(self, error: str, outputs: list[Source] = ()) -> dict:
        return self.emit(RunState.FAIL, outputs, error=error)


def _output(source: Source) -> OutputDataset:
    facets = {}
    if source.size is not None or source.rows is not None:
        from openlineage.client.facet_v2 import output_statistics_output_dataset as stats

        facets["outputStatistics"] = stats.OutputStatisticsOutputDatasetFacet(
            rowCount=source.rows, size=source.size
        )
    return OutputDataset(source.namespace, source.name, facets=source.facets(),
                         outputFacets=facets)  # fmt: skip


def _quality_facet(quality: dict, size: int | None):
    metrics = data_quality_metrics_input_dataset
    records = quality.get("records_in", 0)
    columns = {
        name: metrics.ColumnMetrics(nullCount=round((1 - share) * records), count=records)
        for name, share in (quality.get("completeness") or {}).items()
    }
    return metrics.DataQualityMetricsInputDatasetFacet(
        columnMetrics=columns, rowCount=records, bytes=size
    )


@retried
def record(conn, job_id: str, event: dict) -> None:
    """The event in the audit database's `lineage` table (one row per event)."""
    outputs = [f"{d['namespace']}/{d['name']}" for d in event.get("outputs") or []]
    inputs = [f"{d['namespace']}/{d['name']}" for d in event.get("inputs") or []]
    with conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO lineage (job_id, run_id, event_type, event_time, inputs, outputs, event)
               VALUES (%s, %s, %s, %s, %s, %s, %s)""",
            (job_id, event["run"]["runId"], event["eventType"], event["eventTime"],
             inputs, outputs, json.dumps(event)),
        )  # fmt: skip


def versions(domain: str, rules_path: Path | None, quality: Any = None) -> dict[str, str]:
    """sha256 of the YAML the run read: the domain's schema, its rule set, its quality settings
    (`quality.source`: their file, or "defaults")."""
    from udfs.schema import CONF_DIR
    from udfs.schema import rules_path as default_rules

    found = {
        "schema": file_sha256(CONF_DIR / "schemas" / f"{domain}.yaml"),
        "rules": file_sha256(Path(rules_path) if rules_path else default_rules(domain)),
    }
    if quality is not None:
        source = Path(quality.source)
        found["quality"] = file_sha256(source) if source.is_file() else sha256_of(quality.source)
    return found


def audit_tables(
    names: tuple[str, ...] = ("violations", "job_runs", "quarantine", "lineage"),
) -> list[Source]:
    """The audit database's tables a run writes (connection settings from the environment)."""
    from connectors.settings import DatabaseSettings

    db = DatabaseSettings.from_env()
    return [postgres_source(db.host, db.port, db.name, t) for t in names]
