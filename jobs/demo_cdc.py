"""The change data capture demo: the streaming job reads the changes of a PostgreSQL table
(Debezium in the local Kafka Connect worker) while generated patients are inserted into it,
updated and deleted; every alert is printed as it arrives, with the time since the row's
COMMIT. Throwaway token key; the job runs in the embedded MiniCluster and is stopped at the end.

    scripts/demo --cdc [--rows N] [--rate R]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg2

from connectors import cdc, kafka
from connectors.settings import PROJECT_ROOT, KafkaSettings
from jobs.config import PipelineConfig
from tools.cdc_writer import ensure_database, table_ddl, write
from udfs.cdc.spec import load_cdc
from udfs.schema import load_schema

TABLE = "public.patients"


def watch_alerts(topic: str, stop: threading.Event, seen: list) -> None:
    """Print each alert as it lands on the topic (tokens only: what the alert holds)."""
    from confluent_kafka import Consumer

    consumer = Consumer(KafkaSettings.from_env().client_config(**{
        "group.id": f"demo-{uuid.uuid4().hex}", "auto.offset.reset": "latest"}))  # fmt: skip
    consumer.subscribe([topic])
    while not stop.is_set():
        for message in consumer.consume(100, 0.2):
            if message.error():
                continue
            alert = json.loads(message.value())
            rules = sorted({v["regulation"] + " " + v["rule_id"] for v in alert["violations"]})
            waited = message.timestamp()[1] - (alert.get("source_ms") or message.timestamp()[1])
            seen.append(alert["record_id"])
            print(f"  alert {alert['record_id']} {alert['severity']:8} {', '.join(rules)[:70]}"
                  f"  ({waited} ms after Kafka got the change)", flush=True)  # fmt: skip
    consumer.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/demo --cdc", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=300, help="patients inserted (default 300)")
    parser.add_argument("--rate", type=float, default=20, help="changes per second (default 20)")
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "out" / "demo-cdc")
    args = parser.parse_args(argv)
    schema = load_schema("healthcare")
    mapping = load_cdc(schema).table(TABLE)
    settings = cdc.source_settings(mapping)
    ensure_database(settings)
    # a run of its own: no capture, change topic or rows left from an earlier one
    cdc.stop(mapping)
    kafka.delete_topics([mapping.topic])
    conn = psycopg2.connect(**settings.connect_kwargs())
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {mapping.qualified}")
        cur.execute(table_ddl(mapping, schema))
    conn.commit()
    print(f"demo: capturing {settings.name}.{TABLE} (Debezium → topic {mapping.topic})", flush=True)
    cdc.start(mapping)
    job = subprocess.Popen(
        [sys.executable, "-m", "jobs.stream_compliance", "--domain", "healthcare", "--cdc", TABLE,
         "--output", str(args.output), "--throwaway-key", "--no-quality"],
        cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    stop, seen = threading.Event(), []
    watcher = threading.Thread(
        target=watch_alerts, args=(PipelineConfig.load().kafka.topic("alerts"), stop, seen)
    )
    watcher.start()
    print(f"demo: the job starts (~20 s); writing {args.rows} patients at {args.rate:g} "
          "changes/s, with updates and deletes", flush=True)  # fmt: skip
    try:
        done = write(
            conn, mapping, schema, args.rows, rate=args.rate, batch=5, seed=int(time.time())
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and job.poll() is None:
            before = len(seen)
            time.sleep(10)
            if seen and len(seen) == before:
                break  # quiet for 10 s: the job has caught up
    finally:
        stop.set()
        watcher.join()
        job.terminate()
        _, errors = job.communicate(timeout=60)
        conn.close()
    if not seen and errors:
        print(errors[-2000:], file=sys.stderr)
    print(f"\ndemo: {len(done.inserted)} inserted, {len(done.updated)} updated, "
          f"{len(done.deleted)} deleted; {len(seen)} alerts (lake and deletions under "
          f"{args.output}: the windows write the lake as they close)")  # fmt: skip
    print("demo: scripts/services down stops the services and drops the replication slot")
    return 0 if seen else 1


if __name__ == "__main__":
    sys.exit(main())
