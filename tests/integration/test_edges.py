"""Bad input at the edges of the real services: poison messages and payloads near the broker's
message size limit go through the stream to the quarantine topic (the job keeps running), and a
record no Kafka message can carry is refused by the ingest tool with a clear error."""

import json

import pytest

from connectors import kafka
from jobs.config import PipelineConfig
from jobs.stream_compliance import StreamJob, run
from tests.integration.cluster import QUARANTINE_KEY, pipeline_config
from tests.jobs.test_stream_compliance import stream_data
from tools.ingest import MessageTooLarge, ingest
from udfs.pipeline import TOO_DEEP
from udfs.protect.seal import SealKey

pytestmark = pytest.mark.services
BROKER_LIMIT = 1_048_588  # the broker's message.max.bytes default
POISON = [
    b'{"record_id": "p-deep", "notes": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    json.dumps({"record_id": "p-big", "notes": "x" * 900_000}).encode(),  # just under 1 MB
    b'{"record_id": "p-cut", "notes": "unterminated',
]


def test_poison_and_near_limit_messages_reach_the_quarantine_topic(tmp_path):
    data = stream_data(tmp_path / "data", rows=400, seed=61)
    poisoned = tmp_path / "poisoned.jsonl"
    poisoned.write_bytes((data / "records.jsonl").read_bytes() + b"\n".join(POISON) + b"\n")
    config, topics = pipeline_config(tmp_path, partitions=1)
    ingest(topics["healthcare"], poisoned, rate=None, progress=False)
    run(StreamJob(domain="healthcare", output=tmp_path / "out", key_secret=b"k" * 32,
                  quarantine_secret=QUARANTINE_KEY.encode(), pipeline=PipelineConfig.load(config),
                  bounded=True, quality=False))  # fmt: skip
    values = list(kafka.read_topic(topics["quarantine"]))
    with open(data / "malformed.csv") as handle:
        malformed = sum(1 for _ in handle) - 1
    assert len(values) == malformed + len(POISON)
    assert max(len(v) for v in values) < BROKER_LIMIT / 3
    reasons = {m["record_id"]: m["reason"] for m in map(json.loads, values)}
    # (a message refused before it is parsed has no record id)
    assert sum(m["reason"].startswith(TOO_DEEP) for m in map(json.loads, values)) == 1
    assert reasons["p-big"].startswith("field notes longer than 10000 characters (raw payload cut")
    key = SealKey(QUARANTINE_KEY.encode())
    big = next(m for m in map(json.loads, values) if m["record_id"] == "p-big")
    assert key.open(big["raw"]).startswith('{"record_id": "p-big"')


def test_a_record_over_the_message_limit_is_refused_by_ingest(tmp_path):
    _, topics = pipeline_config(tmp_path, partitions=1)
    path = tmp_path / "huge.jsonl"
    path.write_text('{"record_id": "ok"}\n' + json.dumps({"notes": "x" * 1_200_000}) + "\n")
    with pytest.raises(
        MessageTooLarge,
        match=r"message 2 of .* is over the producer's message size limit: not sent.*1 sent before",
    ):
        ingest(topics["healthcare"], path, rate=None, progress=False)
