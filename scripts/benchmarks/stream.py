"""Streaming benchmark on the local cluster: alert latency (send time → append time on the alerts
topic) at a fixed rate, and the highest rate sustained without growing lag."""

from __future__ import annotations

import os
import re
import statistics
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors import kafka
from connectors.settings import PROJECT_ROOT, KafkaSettings
from jobs.config import PipelineConfig
from scripts.benchmarks import cpu, threads
from scripts.benchmarks.profile import taskmanager_pid
from tools.flink_cluster import (
    cancel_job,
    compliance_metrics,
    submit_python,
    wait_for_state,
)
from tools.ingest import ingest
from tools.synthetic.generator import write_dataset
from udfs.schema import read_rules


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


class AlertTimes(threading.Thread):
    """Collects (record_id → append time) from the alerts topic while the run goes on."""

    def __init__(self, topic: str):
        super().__init__(daemon=True)
        self.topic = topic
        self.times: dict[str, int] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        from confluent_kafka import Consumer

        consumer = Consumer(KafkaSettings.from_env().client_config(**{
            "group.id": f"bench-{uuid.uuid4().hex}", "auto.offset.reset": "earliest",
            "enable.auto.commit": False}))  # fmt: skip
        consumer.subscribe([self.topic])
        while not self.stop.is_set():
            for message in consumer.consume(1000, 0.2):
                if not message.error() and message.key():
                    self.times.setdefault(message.key().decode(), message.timestamp()[1])
        consumer.close()


def sent_times(topic: str, expected: int) -> dict[str, int]:
    from confluent_kafka import Consumer

    consumer = Consumer(KafkaSettings.from_env().client_config(**{
        "group.id": f"bench-{uuid.uuid4().hex}", "auto.offset.reset": "earliest",
        "enable.auto.commit": False}))  # fmt: skip
    consumer.subscribe([topic])
    times: dict[str, int] = {}
    idle = time.monotonic()
    while len(times) < expected and time.monotonic() - idle < 20:
        batch = consumer.consume(5000, 1.0)
        if batch:
            idle = time.monotonic()
        for message in batch:
            if not message.error() and message.key():
                times[message.key().decode()] = message.timestamp()[1]
    consumer.close()
    return times


def warm_up(job_id: str, topic: str, data: Path, rate: int, timeout: float = 300) -> None:
    """RUNNING comes long before the Python workers serve records: send a warm-up run (other
    record ids) at the measured rate and wait until the job has read all of it, so latency
    counts from a job in its steady state."""
    produced = ingest(topic, data / "records.jsonl", rate=rate, progress=False)["sent"]
    deadline = time.monotonic() + timeout
    while compliance_metrics(job_id).get("records_in", 0) < produced:
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"the job did not read the {produced} warm-up records in {timeout:.0f} s"
            )
        time.sleep(1)


WARM_UP_SECONDS = 15


def alerting_ids(messages: Iterable[str], min_severity: str) -> set[str]:
    """The record ids among JSON `messages` that must raise an alert: the job's own step, run
    here before the job."""
    from udfs.pipeline import ALERT_AT, RECORD, RECORD_ID_AT, RecordProcessor
    from udfs.schema import load_schema

    processor = RecordProcessor(
        load_schema("healthcare"), read_rules("healthcare"),
        datetime.now(UTC), b"bench-expected-alerts-key", alert_min_severity=min_severity,
    )  # fmt: skip
    return {row[RECORD_ID_AT] for message in messages for row in processor.process_message(message)
            if row[0] == RECORD and row[ALERT_AT] is not None}  # fmt: skip


def expected_alerts(path: Path, min_severity: str) -> set[str]:
    """The record ids of a JSON Lines file that must raise an alert."""
    with open(path, encoding="utf-8") as handle:
        return alerting_ids((line.rstrip("\n") for line in handle), min_severity)


def drain(alerts: AlertTimes, expected: set[str], quiet: float = 60, cap: float = 300) -> None:
    """Wait until every expected alert has arrived, or none for `quiet` seconds, or `cap`: a
    backlog shows up in the latencies instead of being cut off; what never came is reported."""
    deadline = time.monotonic() + cap
    seen, since = len(alerts.times), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet:
        if expected <= alerts.times.keys():
            return
        time.sleep(1)
        if len(alerts.times) != seen:
            seen, since = len(alerts.times), time.monotonic()


def record_ids(data: Path) -> set[str]:
    """The ids of a generated set's records (`data`/records.jsonl: the measured ones, not the
    warm-up's)."""
    return set(re.findall(r'"record_id":\s*"([^"]+)"', (data / "records.jsonl").read_text()))


def timed_pairs(sent: dict[str, int], received: dict[str, int], ids: set[str]
                ) -> list[tuple[int, int]]:  # fmt: skip
    """(send time, latency) of each of `ids` both sent and received, in the order sent."""
    return sorted((sent[k], received[k] - sent[k]) for k in received if k in sent and k in ids)


def worst(values: list[float]) -> float | None:
    return max((v for v in values if v == v), default=None)  # NaN: an empty slice


def p99_per_slice(pairs: list[tuple[int, int]], slice_ms: int = 5000) -> list[float]:
    """(send time, latency) pairs → the p99 latency of the records sent in each slice of
    `slice_ms` (a window close shows as the slices whose alerts it held back)."""
    if not pairs:
        return []
    start = pairs[0][0]
    slices: dict[int, list[float]] = {}
    for sent, latency in pairs:
        slices.setdefault((sent - start) // slice_ms, []).append(latency)
    return [percentile(slices.get(i, []), 99) for i in range(max(slices) + 1)]


def one_rate(
    rate: int, seconds: int, out: Path, profile: bool = False, extra: tuple[str, ...] = (),
    name: str = "", flink: dict[str, str] | None = None, pipeline: Path | None = None,
) -> dict:  # fmt: skip
    """`extra`: more arguments of the job (scripts/benchmarks/dp.py: --dp FILE); `flink`: Flink
    options over the pipeline settings' (an experiment's); `pipeline`: the settings to start
    from (conf/pipeline/local.yaml when None), e.g. an opt-in `stream:` setting to measure."""
    rows = rate * seconds
    data = out / f"stream-{rate}{name}"
    as_of = datetime.now(UTC) + timedelta(seconds=seconds)
    write_dataset("healthcare", rows, data, seed=rate, as_of=as_of, span_seconds=seconds)
    config = PipelineConfig.load(pipeline)
    suffix = uuid.uuid4().hex[:8]
    topics = {role: f"bench-{role}-{suffix}" for role in config.kafka.topics}
    config = replace(config, kafka=replace(config.kafka, topics=topics),
                     flink={**config.flink, **(flink or {})})  # fmt: skip
    config_path = config.dump(data / "pipeline.yaml")
    expected = expected_alerts(data / "records.jsonl", config.alerts.min_severity)
    os.environ.setdefault("COMPLIANCE_TOKEN_KEY", "bench-key-" + uuid.uuid4().hex)
    os.environ.setdefault("COMPLIANCE_QUARANTINE_KEY", "bench-quarantine-" + uuid.uuid4().hex)
    job_id, _ = submit_python(
        PROJECT_ROOT / "jobs" / "stream_compliance.py",
        [
            "--domain",
            "healthcare",
            "--output",
            str(data / "out"),
            "--config",
            str(config_path),
            "--detached",
            *extra,
        ],
        detached=True,
    )
    wait_for_state(job_id, {"RUNNING"}, timeout=120)
    warmup = out / f"stream-{rate}-warmup"
    early = as_of - timedelta(seconds=seconds + 5)  # before the measured records: none late
    write_dataset(
        "healthcare", rate * WARM_UP_SECONDS, warmup, seed=rate + 1, as_of=early,
        span_seconds=WARM_UP_SECONDS,
    )  # fmt: skip
    warm_up(job_id, topics["healthcare"], warmup, rate)
    alerts = AlertTimes(topics["alerts"])
    alerts.start()
    profiles = None
    if profile:
        from scripts.benchmarks.profile import Profiles

        profiles = Profiles(out / f"stream-{rate}-profile", max(min(seconds - 10, 60), 5))
        profiles.start()
    taskmanager = taskmanager_pid()
    threads_before = threads.thread_cpu(taskmanager) if taskmanager else {}
    cpu_before = cpu.snapshot()
    produced = ingest(topics["healthcare"], data / "records.jsonl", rate=rate, progress=False)
    drain(alerts, expected)
    cpu_used = cpu.used_since(cpu_before)
    by_thread = (
        threads.by_kind(
            threads_before, threads.thread_cpu(taskmanager), threads.thread_names(taskmanager)
        )
        if taskmanager
        else {}
    )
    alerts.stop.set()
    alerts.join()
    cancel_job(job_id)
    sent = sent_times(topics["healthcare"], rows + rate * WARM_UP_SECONDS)  # warm-up included
    # The run's topics go with it: a day of runs at 5,000/s left ~30 GB in the broker.
    kafka.delete_topics(list(topics.values()))
    pairs = timed_pairs(sent, alerts.times, record_ids(data))
    latencies = [lat for _, lat in pairs]
    tenth = max(len(pairs) // 10, 1)
    first = [lat for _, lat in pairs[:tenth]]
    last = [lat for _, lat in pairs[-tenth:]]
    result = {
        "rate": rate,
        "seconds": seconds,
        "produced": produced["sent"],
        "produce_rate": produced["rate"],
        "alerts": len(latencies),
        "alerts_expected": len(expected),
        "alerts_missing": len(expected - alerts.times.keys()),
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "first_tenth_median_ms": statistics.median(first) if first else None,
        "last_tenth_median_ms": statistics.median(last) if last else None,
        # CPU seconds per 1,000 records produced, from the measured run's start to the last alert
        "cpu_per_1000": {
            part: round(seconds * 1000 / max(produced["sent"], 1), 3)
            for part, seconds in cpu_used.items()
        },
    }
    # The TaskManager's share by thread: the JIT and the garbage collector apart from the tasks.
    result["taskmanager_threads_per_1000"] = {
        kind: round(seconds * 1000 / max(produced["sent"], 1), 3)
        for kind, seconds in by_thread.items()
    }
    # Lag does not grow when the last records wait about as long as the first ones.
    result["p99_ms_per_5s"] = p99_per_slice(pairs)
    result["worst_5s_p99_ms"] = worst(result["p99_ms_per_5s"])
    result["sustained"] = (
        bool(last)
        and result["alerts_missing"] == 0
        and result["last_tenth_median_ms"] < max(3 * result["first_tenth_median_ms"], 1000)
    )
    print(
        f"rate {rate}/s for {seconds}s: produced {produced['rate']:.0f}/s, alerts "
        f"{len(expected) - result['alerts_missing']:,} of {len(expected):,} expected "
        f"({len(latencies):,} timed), "
        f"latency p50 {result['p50_ms']:.0f} ms p95 {result['p95_ms']:.0f} ms p99 {result['p99_ms']:.0f} ms; "
        f"median first/last tenth {result['first_tenth_median_ms']:.0f}/{result['last_tenth_median_ms']:.0f} ms "
        f"→ {'sustained' if result['sustained'] else 'falls behind'}; p99 per 5 s of sending: "
        + " ".join(f"{p:.0f}" for p in result["p99_ms_per_5s"])
        + " ms; CPU s per 1,000 records: "
        + ", ".join(f"{part} {s:.3f}" for part, s in result["cpu_per_1000"].items()),
        flush=True,
    )
    if by_thread:
        print(
            "  TaskManager by thread, CPU s per 1,000 records: "
            + ", ".join(
                f"{kind} {s:.3f}" for kind, s in result["taskmanager_threads_per_1000"].items()
            ),
            flush=True,
        )
    if profiles is not None:
        from scripts.benchmarks.profile import show

        result["profile"] = profiles.finish()
        show(result["profile"])
    return result


def run(
    rows: int, out: Path, rates: tuple[int, ...] = (5000, 500, 1000, 2000, 3000), seconds: int = 60,
    profile: bool = False, pipeline: Path | None = None,
) -> list[dict]:  # fmt: skip
    return [one_rate(rate, seconds, out, profile, pipeline=pipeline) for rate in rates]
