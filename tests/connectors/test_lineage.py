import json
from types import SimpleNamespace

import jsonschema
import pytest

from connectors import lineage
from tests.openlineage_schema import validate_event

QUALITY = {"score": 0.9, "level": "good", "passed": True, "failures": [], "records_in": 10,
           "metrics": {"validity": 0.9}, "completeness": {"ssn": 0.5, "record_id": 1.0}}  # fmt: skip


def trail(tmp_path, transport="file"):
    settings = SimpleNamespace(transport=transport, url="", namespace="flink-compliance")
    source = tmp_path / "in.csv"
    source.write_text("record_id\nr1\n")
    run = lineage.RunLineage("flink-compliance.batch", "ab" * 16, "healthcare", "BATCH",
                             [("record_id", "string"), ("ssn", "string")],
                             lineage.versions("healthcare", None), settings, tmp_path / "out")  # fmt: skip
    run.inputs = [lineage.file_source(source)]
    return run


def test_start_and_complete_validate_against_the_openlineage_schema(tmp_path):
    run = trail(tmp_path)
    part = tmp_path / "out" / "lake" / "date=2025-01-01"
    part.mkdir(parents=True)
    (part / "part-0.parquet").write_bytes(b"x" * 10)
    start = run.start()
    done = run.complete(lineage.lake_partitions(tmp_path / "out" / "lake"), QUALITY)
    assert validate_event(start) >= 4 and validate_event(done) >= 6
    assert [start["eventType"], done["eventType"]] == ["START", "COMPLETE"]
    assert start["run"]["runId"] == done["run"]["runId"] == "abababab-abab-abab-abab-abababababab"
    (dataset,) = done["outputs"]
    assert dataset["name"].endswith("lake/date=2025-01-01")
    assert dataset["outputFacets"]["outputStatistics"]["size"] == 10
    (source,) = done["inputs"]
    assert source["inputFacets"]["dataQualityMetrics"]["columnMetrics"]["ssn"]["nullCount"] == 5
    facet = done["run"]["facets"]["compliance"]
    assert facet["quality"]["level"] == "good" and len(facet["ruleSetVersion"]) == 64


def test_events_go_to_a_file_under_the_output_by_default(tmp_path):
    run = trail(tmp_path)
    run.start()
    run.fail("boom")
    lines = (tmp_path / "out" / lineage.EVENTS_FILE).read_text().splitlines()
    events = [json.loads(x) for x in lines]
    assert [e["eventType"] for e in events] == ["START", "FAIL"]
    assert events[1]["run"]["facets"]["errorMessage"]["message"] == "boom"
    for event in events:
        validate_event(event)


def test_none_sends_nothing_but_keeps_the_events(tmp_path):
    run = trail(tmp_path, "none")
    run.start()
    assert not (tmp_path / "out" / lineage.EVENTS_FILE).exists() and len(run.emitted) == 1


def test_an_unknown_transport_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"lineage\.transport: one of file, http, none"):
        trail(tmp_path, "carrier-pigeon").start()


def test_the_validator_rejects_a_broken_event(tmp_path):
    event = trail(tmp_path).start()
    del event["run"]["runId"]
    with pytest.raises(jsonschema.ValidationError):
        validate_event(event)


def test_the_input_file_carries_its_size_and_checksum(tmp_path):
    event = trail(tmp_path).start()
    (dataset,) = event["inputs"]
    assert dataset["facets"]["source"]["size"] == 13
    assert dataset["facets"]["source"]["sha256"] == lineage.sha256_of("record_id\nr1\n")
    validate_event(event)


def test_a_topic_carries_its_offsets(tmp_path):
    run = trail(tmp_path)
    run.inputs = [lineage.kafka_source("127.0.0.1:9092", "healthcare-stream", {"0": 5, "1": 7})]
    (dataset,) = run.start()["inputs"]
    assert dataset["namespace"] == "kafka://127.0.0.1:9092"
    assert dataset["facets"]["source"]["offsets"] == {"0": 5, "1": 7}
