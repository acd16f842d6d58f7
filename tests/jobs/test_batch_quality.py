"""The batch job's data quality in the MiniCluster: measured in the scan, written to the
summary and the lineage; below its thresholds the run exits 5 after writing its quarantine,
violations and summary, and publishes no lake unless told to."""

import json

import pytest
import yaml

from connectors import lineage
from connectors.lake import read_parquet_dir
from jobs import batch_compliance
from tests.harness import csv_text, record
from tests.openlineage_schema import validate_event

pytestmark = pytest.mark.jvm

# 12 records: 2 share an id, 2 cannot be read, 1 has a made-up gender code, 1 an SSN in its notes.
RECORDS = [record(f"q{i}", gender="F", zip_code="10001", date_of_birth="1980-01-01",
                  notes="SSN 123-45-6789" if i == 7 else "")
           for i in range(8)] + [
    record("q0", gender="F", zip_code="10001", date_of_birth="1980-01-01"),
    record("q9", gender="Q", zip_code="10001", date_of_birth="1980-01-01"),
    "not,a,record", record("q10", latitude="123"),
]  # fmt: skip


def run_job(tmp_path, strict: bool, *extra: str) -> tuple[int, dict, list[dict]]:
    source, settings = tmp_path / "in.csv", tmp_path / "quality.yaml"
    source.write_text(csv_text(RECORDS, "healthcare"))
    settings.write_text(yaml.safe_dump({
        "min_score": 0.99 if strict else 0.5,
        "consistency": [{"name": "gender_code", "field": "gender", "in": ["F", "M", "X"]}],
    }))  # fmt: skip
    output = tmp_path / "out"
    code = batch_compliance.main([
        "--domain", "healthcare", "--input", str(source), "--output", str(output),
        "--as-of", "2026-01-01T00:00:00Z", "--throwaway-key", "--parallelism", "1",
        "--quality", str(settings), *extra,
    ])  # fmt: skip
    summary = json.loads((output / "summary.json").read_text())
    events = [json.loads(x) for x in (output / lineage.EVENTS_FILE).read_text().splitlines()]
    return code, summary, events


def test_a_run_below_its_threshold_exits_5_and_publishes_nothing(tmp_path, capsys):
    code, summary, events = run_job(tmp_path, strict=True)
    assert code == batch_compliance.EXIT_QUALITY
    assert "data quality below threshold: quality score" in capsys.readouterr().err
    quality = summary["quality"]
    assert not quality["passed"] and quality["records_in"] == 12
    assert quality["metrics"]["validity"] == pytest.approx(10 / 12)
    assert quality["metrics"]["uniqueness"] == pytest.approx(9 / 10)
    assert quality["consistency_by_check"] == {"gender_code": pytest.approx(9 / 10)}
    out = tmp_path / "out"
    assert read_parquet_dir(out / "lake").num_rows == 0  # nothing published
    assert summary["published"] == 0 and summary["reconciled"]
    assert read_parquet_dir(out / "quarantine").num_rows == 2  # nothing lost
    assert read_parquet_dir(out / "violations").num_rows > 0
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    for event in events:
        validate_event(event)
    done = events[-1]
    assert done["run"]["facets"]["compliance"]["quality"]["passed"] is False
    assert not any("/lake/" in o["name"] for o in done["outputs"])
    (source,) = done["inputs"]
    assert source["facets"]["schema"]["fields"][0]["name"] == "record_id"
    assert len(source["name"]) and source["inputFacets"]["dataQualityMetrics"]["rowCount"] == 12


def test_publish_below_threshold_publishes_and_still_exits_5(tmp_path):
    code, summary, events = run_job(tmp_path, True, "--publish-below-threshold")
    assert code == batch_compliance.EXIT_QUALITY
    assert summary["published"] == 10 - summary["suppressed"] and summary["published"] > 0
    partitions = [o["name"] for o in events[-1]["outputs"] if "/lake/date=" in o["name"]]
    assert partitions and all((tmp_path / "out" / "lake" / p.rsplit("/", 1)[1]).is_dir()
                              for p in partitions)  # fmt: skip


def test_a_run_above_its_threshold_passes(tmp_path):
    code, summary, _ = run_job(tmp_path, strict=False)
    assert code == 0 and summary["quality"]["passed"] and summary["quality"]["level"] == "fair"
