"""The streaming job's graph over a bounded CSV in BATCH mode (MiniCluster), with ground truth."""

import csv
import dataclasses
import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from connectors.lake import read_lake, read_parquet_dir
from jobs.config import PipelineConfig
from jobs.stream_compliance import StreamJob, run, stream_settings
from tools.synthetic.generator import Rates, write_dataset
from udfs.protect.seal import SealKey
from udfs.schema import load_schema

pytestmark = pytest.mark.jvm
ROWS = 3000


def stream_data(out, rows=ROWS, seed=17, old=Rates.old):
    """Event times in record order over the last 10 minutes; `old` of them years back (late)."""
    as_of = datetime.now(UTC).replace(microsecond=0)
    write_dataset(
        "healthcare", rows, out, seed=seed, as_of=as_of, span_seconds=600, rates=Rates(old=old)
    )
    return out


def outputs(out):
    return {
        "lake": read_lake(out / "lake").to_pylist(),
        "suppressed": read_parquet_dir(out / "suppressed").to_pylist(),
        "violations": read_parquet_dir(out / "violations").to_pylist(),
    }


def labels(data):
    with open(data / "labels.csv", newline="") as handle:
        return {(r["record_id"], r["regulation"], r["field"]) for r in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    data = stream_data(tmp_path_factory.mktemp("stream-data"))
    out = tmp_path_factory.mktemp("stream-out")
    run(
        StreamJob(
            domain="healthcare",
            output=out,
            key_secret=b"k" * 32,
            quarantine_secret=b"q" * 32,
            pipeline=PipelineConfig.load(),
            input=data / "records.csv",
        )
    )
    return data, out


def test_counts_reconcile_and_lake_is_k_anonymous(result):
    data, out = result
    got = outputs(out)
    quarantine = read_parquet_dir(out / "quarantine").to_pylist()
    quarantined = len(quarantine)
    with open(data / "malformed.csv") as handle:
        assert quarantined == sum(1 for _ in handle) - 1
    # each raw line sealed, and it opens to a line of the input
    key = SealKey(b"q" * 32)
    lines = set((data / "records.csv").read_text().splitlines())
    assert all(key.open(json.loads(r["v"])["raw"]) in lines for r in quarantine)
    ids = [r["record_id"] for r in got["lake"]] + [r["record_id"] for r in got["suppressed"]]
    assert len(ids) == len(set(ids)) and len(ids) + quarantined == ROWS
    qis = load_schema("healthcare").anonymity["quasi_identifiers"]
    groups = Counter(tuple(r[q] for q in qis) for r in got["lake"])
    assert groups and min(groups.values()) >= 5
    assert len(got["lake"]) > 0.5 * ROWS  # dense event times: most records find a group


def test_violations_and_alerts_match_ground_truth(result):
    data, out = result
    truth = labels(data)
    found = {(r["record_id"], r["regulation"], r["field"]) for r in outputs(out)["violations"]}
    assert found == truth
    expected_alerts = {rid for rid, regulation, _ in truth if regulation in ("HIPAA", "PCI-DSS")}
    alerts = read_parquet_dir(out / "alerts").to_pylist()
    assert {a["k"] for a in alerts} == expected_alerts
    payload = json.loads(alerts[0]["v"])
    assert payload["severity"] in ("high", "critical") and payload["violations"]


@pytest.mark.parametrize(
    ("over", "flag", "setting", "expected"),
    [
        ("kafka", None, None, "2"),
        ("kafka", None, 1, "1"),
        ("csv", None, 1, "2"),
        ("kafka", 3, 1, "3"),
        ("csv", 1, None, "1"),
    ],
)
def test_kafka_runs_at_stream_parallelism_a_csv_at_the_top_level_one(
    tmp_path, over, flag, setting, expected
):
    pipeline = PipelineConfig()
    assert pipeline.stream.parallelism == 1  # the default over Kafka
    pipeline = dataclasses.replace(
        pipeline, stream=dataclasses.replace(pipeline.stream, parallelism=setting)
    )
    job = StreamJob(
        "healthcare", tmp_path, b"k" * 32, parallelism=flag, pipeline=pipeline,
        input=tmp_path / "in.csv" if over == "csv" else None,
    )  # fmt: skip
    assert job.pipeline.parallelism == 2
    assert stream_settings(job)["parallelism.default"] == expected


def test_over_kafka_each_python_operator_has_its_own_worker_unless_the_settings_say_otherwise(
    tmp_path,
):
    job = StreamJob("healthcare", tmp_path, b"k" * 32)
    assert stream_settings(job)["python.fn-execution.memory.managed"] == "false"
    shared = dataclasses.replace(job.pipeline, flink={"python.fn-execution.memory.managed": "true"})
    job = StreamJob("healthcare", tmp_path, b"k" * 32, pipeline=shared)
    assert stream_settings(job)["python.fn-execution.memory.managed"] == "true"
    csv = StreamJob("healthcare", tmp_path, b"k" * 32, input=tmp_path / "in.csv")
    assert "python.fn-execution.memory.managed" not in stream_settings(csv)  # BATCH: Flink's
