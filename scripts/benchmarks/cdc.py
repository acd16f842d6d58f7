"""Change data capture on the local services: a writer commits generated inserts (and updates
and deletes of rows it wrote) to a PostgreSQL table at a fixed rate while the streaming job reads
the table's changes (Debezium in Kafka Connect → Kafka → the job on the cluster). Measured: the
time from the writer's COMMIT to the alert's append on the alerts topic, whether every alert
came and the lag stayed flat, and the CPU of the database, the capture (Kafka Connect) and the
job per 1,000 changes."""

from __future__ import annotations

import json
import os
import statistics
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import psycopg2.extras

from connectors import cdc
from connectors.settings import PROJECT_ROOT
from jobs.config import PipelineConfig
from scripts.benchmarks import cpu
from scripts.benchmarks.stream import AlertTimes, alerting_ids, drain, p99_per_slice, percentile
from tools.cdc_writer import table_of_its_own, typed
from tools.flink_cluster import cancel_job, submit_python, wait_for_state
from tools.synthetic.generator import Rates, generate
from udfs.cdc.spec import TableMapping
from udfs.schema import DomainSchema, load_schema

TICK = 0.1  # seconds: the writer commits one transaction per tick
UPDATES, DELETES = 0.15, 0.05  # of the changes: updates and deletes of rows written before


def write_at_rate(conn, mapping: TableMapping, schema: DomainSchema, rate: int, seconds: int,
                  min_severity: str) -> dict:  # fmt: skip
    """`rate` changes per second for `seconds`: each tick one transaction of inserts, updates and
    deletes; the commit time of every insert, and which of them must alert."""
    names = [f.name for f in schema.fields]
    types = {f.name: f.type for f in schema.fields}
    cols = ", ".join(mapping.columns[n] for n in names)
    key, notes = mapping.columns["record_id"], mapping.columns["notes"]
    per_tick = max(int(rate * TICK), 1)
    inserts_per_tick = max(per_tick - int(per_tick * (UPDATES + DELETES)), 1)
    generated = list(generate(schema.domain, rate * seconds, seed=rate, as_of=datetime.now(UTC),
                              rates=Rates(malformed=0.0), span_seconds=seconds))  # fmt: skip
    # which must alert: decided before the clock runs (the writer's CPU is measured too)
    alerting = alerting_ids((json.dumps(g.record) for g in generated), min_severity)
    records = iter(generated)
    committed: dict[str, int] = {}
    live: list[str] = []
    changes = 0
    started = time.monotonic()
    with conn.cursor() as cur:
        for tick in range(int(seconds / TICK)):
            batch = [next(records) for _ in range(inserts_per_tick)]
            psycopg2.extras.execute_values(
                cur, f"INSERT INTO {mapping.qualified} ({cols}) VALUES %s",
                [[typed(g.record.get(n, ""), types[n]) for n in names] for g in batch],
            )  # fmt: skip
            ids = [g.record["record_id"] for g in batch]
            updates = live[-per_tick * 20 :: 7][: int(per_tick * UPDATES)]
            if updates:
                cur.execute(f"UPDATE {mapping.qualified} SET {notes} = %s WHERE {key} = ANY(%s)",
                            (f"follow-up {tick}", updates))  # fmt: skip
            deletes = live[: int(per_tick * DELETES)]
            if deletes:
                cur.execute(f"DELETE FROM {mapping.qualified} WHERE {key} = ANY(%s)", (deletes,))
                del live[: len(deletes)]
            conn.commit()
            now_ms = int(time.time() * 1000)
            committed.update(dict.fromkeys(ids, now_ms))
            live.extend(ids)
            changes += len(batch) + len(updates) + len(deletes)
            ahead = (tick + 1) * TICK - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    elapsed = time.monotonic() - started
    alerting &= committed.keys()
    return {"committed": committed, "alerting": alerting, "changes": changes,
            "rate": changes / elapsed}  # fmt: skip


def one_rate(rate: int, seconds: int, out: Path, profile: bool = False) -> dict:
    schema = load_schema("healthcare")
    data = out / f"cdc-{rate}"
    data.mkdir(parents=True, exist_ok=True)
    mapping, mapping_path = table_of_its_own(schema, data, "bench")
    config = PipelineConfig.load()
    suffix = uuid.uuid4().hex[:8]
    topics = {role: f"bench-{role}-{suffix}" for role in config.kafka.topics}
    config_path = replace(config, kafka=replace(config.kafka, topics=topics)).dump(
        data / "pipeline.yaml"
    )
    os.environ.setdefault("COMPLIANCE_TOKEN_KEY", "bench-key-" + uuid.uuid4().hex)
    os.environ.setdefault("COMPLIANCE_QUARANTINE_KEY", "bench-quarantine-" + uuid.uuid4().hex)
    job_id, _ = submit_python(
        PROJECT_ROOT / "jobs" / "stream_compliance.py",
        ["--domain", "healthcare", "--output", str(data / "out"), "--config", str(config_path),
         "--cdc", mapping.qualified, "--cdc-mapping", str(mapping_path), "--detached"],
        detached=True,
    )  # fmt: skip
    wait_for_state(job_id, {"RUNNING"}, timeout=120)
    conn = psycopg2.connect(**cdc.source_settings(mapping).connect_kwargs())
    # warm-up: the Python workers serve records only some time after RUNNING
    warm = write_at_rate(conn, mapping, schema, min(rate, 500), 15, config.alerts.min_severity)
    alerts = AlertTimes(topics["alerts"])
    alerts.start()
    drain(alerts, warm["alerting"], quiet=30, cap=180)
    profiles = None
    if profile:
        from scripts.benchmarks.profile import Profiles

        profiles = Profiles(data / "profile", max(min(seconds - 10, 60), 5))
        profiles.start()
    cpu_before = cpu.snapshot()
    written = write_at_rate(conn, mapping, schema, rate, seconds, config.alerts.min_severity)
    drain(alerts, written["alerting"] | warm["alerting"])
    cpu_used = cpu.used_since(cpu_before)
    alerts.stop.set()
    alerts.join()
    cancel_job(job_id)
    conn.close()
    cdc.stop(mapping)
    committed = written["committed"]
    pairs = sorted((committed[k], alerts.times[k] - committed[k])
                   for k in written["alerting"] if k in alerts.times)  # fmt: skip
    latencies = [lat for _, lat in pairs]
    tenth = max(len(pairs) // 10, 1)
    first, last = [p[1] for p in pairs[:tenth]], [p[1] for p in pairs[-tenth:]]
    per_1000 = {
        part: round(s * 1000 / max(written["changes"], 1), 3) for part, s in cpu_used.items()
    }
    result = {
        "rate": rate,
        "seconds": seconds,
        "changes": written["changes"],
        "change_rate": round(written["rate"]),
        "alerts_expected": len(written["alerting"]),
        "alerts_missing": len(written["alerting"] - alerts.times.keys()),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "first_tenth_median_ms": statistics.median(first) if first else None,
        "last_tenth_median_ms": statistics.median(last) if last else None,
        "p99_ms_per_5s": p99_per_slice(pairs),
        "cpu_per_1000": per_1000,
        "job_cpu_per_1000": round(
            per_1000.get("taskmanager", 0) + per_1000.get("python_workers", 0), 3
        ),
    }
    result["sustained"] = (
        bool(last)
        and result["alerts_missing"] == 0
        and (result["last_tenth_median_ms"] < max(3 * result["first_tenth_median_ms"], 1000))
    )
    print(
        f"cdc {rate} changes/s for {seconds}s: committed {result['change_rate']}/s, alerts "
        f"{result['alerts_expected'] - result['alerts_missing']:,} of {result['alerts_expected']:,}"
        f"; commit → alert p50 {result['p50_ms']:.0f} ms p99 {result['p99_ms']:.0f} ms; median "
        f"first/last tenth {result['first_tenth_median_ms']:.0f}/{result['last_tenth_median_ms']:.0f}"
        f" ms → {'sustained' if result['sustained'] else 'falls behind'}; CPU s per 1,000 changes: "
        + ", ".join(f"{part} {s:.3f}" for part, s in per_1000.items()),
        flush=True,
    )
    if profiles is not None:
        from scripts.benchmarks.profile import show

        result["profile"] = profiles.finish()
        show(result["profile"])
    return result


def run(out: Path, rates: tuple[int, ...] = (1000, 5000), seconds: int = 60,
        profile: bool = False) -> list[dict]:  # fmt: skip
    return [one_rate(rate, seconds, out, profile) for rate in rates]
