"""Produce a CSV or JSON Lines file to Kafka at a given rate, one JSON object per message.

    scripts/ingest --topic healthcare-stream --file records.jsonl --rate 5000

Each message is keyed by record_id, carries its send time as the Kafka timestamp and in the
header `ingest_sent_ms` (for latency measurement). Topics are created with 3 partitions when
absent. Malformed lines are sent as they are: the job must quarantine them.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from confluent_kafka import KafkaError, KafkaException

from connectors import kafka

PACE_S = 0.001  # how far ahead of the rate the producer may run before it sleeps


class MessageTooLarge(ValueError):
    """A record that no Kafka message can carry (said without a traceback)."""


def messages(path: Path) -> Iterator[tuple[str | None, bytes]]:
    """(key, value) per record: JSON Lines as they are, CSV rows turned into JSON objects."""
    if path.suffix == ".csv":
        with open(path, newline="", encoding="utf-8", errors="surrogateescape") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            for row in reader:
                if not row:
                    continue
                if len(row) != len(header):  # a broken row travels as its raw text
                    yield (
                        (row[0] if row else None),
                        ",".join(row).encode("utf-8", "surrogateescape"),
                    )
                    continue
                record = dict(zip(header, row, strict=True))
                yield record.get("record_id"), json.dumps(record, separators=(",", ":")).encode()
        return
    with open(path, "rb") as handle:
        for line in handle:
            line = line.rstrip(b"\r\n")
            if not line:
                continue
            try:
                key = json.loads(line).get("record_id")
            except (
                ValueError,
                AttributeError,
                RecursionError,
            ):  # sent as it is: the job quarantines it
                key = None
            yield key, line


def ingest(
    topic: str, path: Path, rate: float | None, partitions: int = 3, progress: bool = True
) -> dict:
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    kafka.ensure_topics([topic], partitions)
    producer = kafka.producer(**{"queue.buffering.max.messages": 1_000_000})
    sent = 0
    started = time.perf_counter()
    last_report = started
    for key, value in messages(path):
        if rate:
            due = started + sent / rate
            delay = due - time.perf_counter()
            if delay > PACE_S:  # a sleep per message added ~30% to the producer's CPU
                time.sleep(delay)
        now_ms = int(time.time() * 1000)
        while True:
            try:
                producer.produce(
                    topic, value=value, key=key.encode() if key else None, timestamp=now_ms,
                    headers={"ingest_sent_ms": str(now_ms).encode()},
                )  # fmt: skip
                break
            except BufferError:
                producer.poll(0.05)
            except KafkaException as err:
                if err.args[0].code() != KafkaError.MSG_SIZE_TOO_LARGE:
                    raise
                producer.flush(60)
                raise MessageTooLarge(
                    f"message {sent + 1:,} of {path} ({len(value):,} bytes) is over the producer's "
                    f"message size limit: not sent, nor anything after it ({sent:,} sent before "
                    "it); split or shorten it"
                ) from None
        producer.poll(0)
        sent += 1
        if progress and time.perf_counter() - last_report >= 5:
            last_report = time.perf_counter()
            print(
                f"ingest: {sent:,} sent ({sent / (last_report - started):,.0f}/s)", file=sys.stderr
            )
    remaining = producer.flush(60)
    elapsed = time.perf_counter() - started
    if remaining:
        raise RuntimeError(f"{remaining} messages not delivered within 60 s")
    return {
        "topic": topic,
        "sent": sent,
        "seconds": round(elapsed, 3),
        "rate": round(sent / elapsed, 1) if elapsed else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/ingest", description=__doc__.split("\n")[0])
    parser.add_argument("--topic", required=True)
    parser.add_argument(
        "--file", type=Path, required=True, help="a .csv (with header) or .jsonl file"
    )
    parser.add_argument(
        "--rate", type=float, help="messages per second (default: as fast as possible)"
    )
    parser.add_argument(
        "--partitions", type=int, default=3, help="partitions when the topic is created"
    )
    args = parser.parse_args(argv)
    try:
        result = ingest(args.topic, args.file, args.rate, args.partitions)
    except (FileNotFoundError, RuntimeError, MessageTooLarge) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
