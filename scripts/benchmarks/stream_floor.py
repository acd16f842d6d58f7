"""`scripts/bench stream-floor`: what the streaming job's CPU per record is made of, on the
local cluster. Each variant (scripts/benchmarks/stream_floor_job.py) is the job cut short — its
Kafka source alone, + the Arrow bridge to Python, + the real step, the step + one stage of the
job after it — and `job` is the whole job
(scripts/benchmarks/stream.py), all at the same rate with the job's settings, in one run. The
differences say what each stage costs; the first variants are floors no later stage can go
under.

For each: CPU seconds per 1,000 records of the TaskManager and its Python workers (the issue's
measure) and of the broker and this process (the load generator), and whether it kept up (every
output message written within `KEEP_UP_S` of the last input sent).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors import kafka
from connectors.settings import PROJECT_ROOT
from jobs.config import PipelineConfig
from scripts.benchmarks import cpu
from scripts.benchmarks.stream import (
    WARM_UP_SECONDS,
    AlertTimes,
    one_rate,
    p99_per_slice,
    percentile,
    record_ids,
    sent_times,
    timed_pairs,
    worst,
)
from scripts.benchmarks.stream_floor_job import VARIANTS, stage_topics
from tools.flink_cluster import cancel_job, submit_python, wait_for_state
from tools.ingest import ingest
from tools.synthetic.generator import write_dataset

JOB = PROJECT_ROOT / "scripts" / "benchmarks" / "stream_floor_job.py"
KEEP_UP_S = 10  # the outputs lag the last input by less than this: it kept up
DRAIN_S = KEEP_UP_S * 18  # how long after the last input the outputs are waited for
IDLE = "idle"  # the `kafka` variant running with no input: the cluster's cost per second
ALL = (IDLE, *VARIANTS, "job")


def written(topic: str) -> int:
    return sum(kafka.end_offsets(topic).values())


def wait_written(topic: str, count: int, timeout: float) -> float | None:
    """Seconds until `count` messages are in `topic`, None if not within `timeout`."""
    started = time.monotonic()
    while written(topic) < count:
        if time.monotonic() - started > timeout:
            return None
        time.sleep(0.5)
    return time.monotonic() - started


def one_variant(variant: str, rate: int, seconds: int, out: Path, config: PipelineConfig) -> dict:
    data, warmup = out / f"floor-{rate}", out / f"floor-{rate}-warmup"
    if not (data / "records.jsonl").exists():
        as_of = datetime.now(UTC) + timedelta(seconds=seconds)
        write_dataset("healthcare", rate * seconds, data, seed=rate, as_of=as_of,
                      span_seconds=seconds)  # fmt: skip
        write_dataset("healthcare", rate * WARM_UP_SECONDS, warmup, seed=rate + 1,
                      as_of=as_of - timedelta(seconds=seconds + 5),
                      span_seconds=WARM_UP_SECONDS)  # fmt: skip
    suffix = uuid.uuid4().hex[:8]
    source, sink = f"floor-in-{suffix}", f"floor-out-{suffix}"
    kafka.ensure_topics([source, sink], config.kafka.partitions)
    config_path = config.dump(out / f"floor-{rate}-{variant}.yaml")
    program = "kafka" if variant == IDLE else variant
    args = ["--variant", program, "--config", str(config_path), "--input", source, "--output", sink]
    job_id, _ = submit_python(JOB, args, detached=True)
    outputs = None
    try:
        wait_for_state(job_id, {"RUNNING"}, timeout=120)
        if variant == IDLE:  # what the same seconds cost with nothing to read
            time.sleep(WARM_UP_SECONDS)
            before = cpu.snapshot()
            time.sleep(seconds)
            produced, lag = {"sent": rate * seconds, "rate": 0}, 0.0
        else:
            warm = ingest(source, warmup / "records.jsonl", rate=rate, progress=False)["sent"]
            if wait_written(sink, warm, timeout=300) is None:
                raise TimeoutError(f"{variant}: the warm-up's {warm} messages never all came out")
            outputs = AlertTimes(sink)  # every output message's append time, by record id
            outputs.start()
            before = cpu.snapshot()
            produced = ingest(source, data / "records.jsonl", rate=rate, progress=False)
            lag = wait_written(sink, warm + produced["sent"], timeout=DRAIN_S)
        used = cpu.used_since(before)
    finally:
        cancel_job(job_id)
        if outputs is not None:
            outputs.stop.set()
            outputs.join()
            sent = sent_times(source, warm + produced["sent"])
        kafka.delete_topics([source, sink, *stage_topics(sink).values()])
    result = summary(variant, rate, produced, lag, used)
    if outputs is not None:
        result.update(latency(timed_pairs(sent, outputs.times, record_ids(data))))
    show(result)
    return result


def latency(pairs: list[tuple[int, int]]) -> dict:
    """Send time → output append time: where a stage adds latency, and at a window close."""
    latencies = [lat for _, lat in pairs]
    return {"timed": len(latencies), "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99), "worst_5s_p99_ms": worst(p99_per_slice(pairs))}  # fmt: skip


def summary(variant: str, rate: int, produced: dict, lag: float | None, used: dict) -> dict:
    """CPU per 1,000 records sent (idle: per 1,000 of those the rate would have sent)."""
    return {
        "variant": variant,
        "rate": rate,
        "produce_rate": produced["rate"],
        "drain_s": None if lag is None else round(lag, 1),
        "kept_up": lag is not None and lag < KEEP_UP_S,
        "cpu_per_1000": {
            part: round(s * 1000 / max(produced["sent"], 1), 3) for part, s in used.items()
        },
    }


def show(result: dict) -> None:
    parts = result["cpu_per_1000"]
    job = parts.get("taskmanager", 0) + parts.get("python_workers", 0)
    if result["variant"] == "job":
        drained = f"alerts p50 {result['p50_ms']:.0f} ms p99 {result['p99_ms']:.0f} ms"
    elif result["drain_s"] is None:
        drained = f"outputs still missing {DRAIN_S} s after the last input"
    else:
        drained = f"last output {result['drain_s']} s after the last input"
    if "timed" in result:
        drained += (f"; {result['timed']:,} outputs timed: p50 {result['p50_ms']:.0f} ms "
                    f"p99 {result['p99_ms']:.0f} ms, worst 5 s p99 {result['worst_5s_p99_ms']:.0f}")  # fmt: skip
    print(
        f"{result['variant']:>6} at {result['rate']}/s: job {job:.3f} CPU-s per 1,000 "
        f"(TaskManager {parts.get('taskmanager', 0):.3f}, Python {parts.get('python_workers', 0):.3f}); "
        f"broker {parts.get('broker', 0):.3f}, generator {parts.get('load_generator', 0):.3f}; "
        + (
            "no input"
            if result["variant"] == IDLE
            else f"{drained} → {'kept up' if result['kept_up'] else 'fell behind'}"
        ),
        flush=True,
    )


def run(out: Path, rates: tuple[int, ...] = (3000,), seconds: int = 60,
        variants: tuple[str, ...] = ALL, pipeline: Path | None = None) -> list[dict]:  # fmt: skip
    config = PipelineConfig.load(pipeline)
    results = []
    for rate in rates:
        for variant in variants:
            if variant == "job":
                whole = one_rate(rate, seconds, out, name="-floor-job", pipeline=pipeline)
                whole = {"variant": "job", "rate": rate, "produce_rate": whole["produce_rate"],
                         "drain_s": None, "kept_up": whole["sustained"],
                         "cpu_per_1000": whole["cpu_per_1000"], "p50_ms": whole["p50_ms"],
                         "p99_ms": whole["p99_ms"]}  # fmt: skip
                show(whole)
                results.append(whole)
            else:
                results.append(one_variant(variant, rate, seconds, out, config))
    return results
