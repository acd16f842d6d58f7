"""Change data capture of a source table, set up by the project: the publication and the logical
replication slot in the source database (PostgreSQL, wal_level=logical), and Debezium's
PostgreSQL connector in the Kafka Connect worker (scripts/services up connect), which writes the
table's change events to its topic (udfs.cdc.spec.TableMapping.topic).

    python -m connectors.cdc status|start|stop --domain healthcare --table public.patients

`start` is what `jobs.stream_compliance --cdc TABLE` does before it reads the topic; `stop`
removes the connector and drops the slot (what `scripts/services down` does for every slot the
project made), so that WAL does not pile up behind a capture nobody reads.

The source database: the COMPLIANCE_CDC_DB_* variables, each falling back to its COMPLIANCE_DB_*
one (the local server), the database name from conf/cdc/<domain>.yaml. Kafka Connect reads the
password from a file (Kafka's DirectoryConfigProvider): it is in no connector configuration.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from connectors.settings import LOCAL_PASSWORD_FILE, DatabaseSettings, SettingsError
from udfs.cdc.spec import TableMapping

CONNECT_URL = "http://127.0.0.1:8083"
SLOT_PREFIX = "compliance_"  # every slot and publication the project makes


class CaptureError(RuntimeError):
    """The capture cannot start or stop; the message says what to do."""


def connect_url(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("COMPLIANCE_CONNECT_URL", CONNECT_URL).rstrip("/")


def source_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """COMPLIANCE_DB_* with each COMPLIANCE_CDC_DB_* put in its place (a CDC password or
    password file replaces both of the audit's)."""
    env = dict(os.environ if env is None else env)
    if any(n.startswith("COMPLIANCE_CDC_DB_PASSWORD") for n in env):
        env.pop("COMPLIANCE_DB_PASSWORD", None)
        env.pop("COMPLIANCE_DB_PASSWORD_FILE", None)
    for name, value in list(env.items()):
        if name.startswith("COMPLIANCE_CDC_DB_"):
            env["COMPLIANCE_DB_" + name[len("COMPLIANCE_CDC_DB_") :]] = value
    return env


def source_settings(
    mapping: TableMapping, env: Mapping[str, str] | None = None
) -> DatabaseSettings:
    return replace(DatabaseSettings.from_env(source_env(env)), name=mapping.database)


def password_file(env: Mapping[str, str] | None = None) -> Path:
    """The file Kafka Connect reads the source database's password from."""
    env = source_env(env)
    given = env.get("COMPLIANCE_DB_PASSWORD_FILE")
    path = Path(given) if given else LOCAL_PASSWORD_FILE
    if not path.is_file():
        raise CaptureError(
            f"Kafka Connect reads the source database's password from a file: {path} does not "
            "exist (set COMPLIANCE_CDC_DB_PASSWORD_FILE)"
        )
    return path.resolve()


def connector_config(
    mapping: TableMapping, settings: DatabaseSettings, secret: Path, partitions: int = 3
) -> dict[str, str]:
    """Debezium's PostgreSQL connector for one table: events as plain JSON (the worker's
    converters), dates and times as numbers (udfs.cdc.changes converts them), decimals as text,
    no tombstone after a delete, the slot and publication the project made."""
    config = {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "tasks.max": "1",
        "database.hostname": settings.host,
        "database.port": str(settings.port),
        "database.user": settings.user,
        "database.password": f"${{dir:{secret.parent}:{secret.name}}}",
        "database.dbname": settings.name,
        # Debezium keys its offsets and metrics by the prefix: one per table, and the events
        # routed to the table's topic.
        "topic.prefix": mapping.name,
        "transforms": "topic",
        "transforms.topic.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.topic.regex": ".*",
        "transforms.topic.replacement": mapping.topic,
        "table.include.list": mapping.qualified,
        "plugin.name": "pgoutput",
        "slot.name": mapping.name,
        "publication.name": mapping.name,
        "publication.autocreate.mode": "disabled",
        # A first start reads the table; a start whose position the server no longer holds (its
        # slot was dropped: scripts/services down) reads it again rather than miss changes.
        "snapshot.mode": "when_needed",
        "tombstones.on.delete": "false",
        "time.precision.mode": "connect",
        "decimal.handling.mode": "string",
        "topic.creation.default.replication.factor": "1",
        "topic.creation.default.partitions": str(partitions),
    }
    if settings.sslmode:
        config["database.sslmode"] = settings.sslmode
    if settings.sslrootcert:
        config["database.sslrootcert"] = str(settings.sslrootcert)
    return config


def _connect(settings: DatabaseSettings):
    import psycopg2

    try:
        conn = psycopg2.connect(**settings.connect_kwargs())
    except (psycopg2.OperationalError, SettingsError) as err:
        raise CaptureError(f"source database {settings.host}:{settings.port}/{settings.name}: "
                           f"{str(err).strip()}") from None  # fmt: skip
    conn.autocommit = True
    return conn


def prepare_source(settings: DatabaseSettings, mapping: TableMapping) -> None:
    """The publication of the table (holding it: a table dropped and made again leaves it) and
    the replication slot, made when missing."""
    conn = _connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW wal_level")
            (level,) = cur.fetchone()
            if level != "logical":
                raise CaptureError(
                    f"the source database runs with wal_level={level}: change data capture needs "
                    "wal_level=logical (scripts/services starts the local server with it; "
                    "restart it: scripts/services down postgres && scripts/services up postgres)"
                )
            cur.execute("SELECT to_regclass(%s)", (mapping.qualified,))
            if cur.fetchone()[0] is None:
                raise CaptureError(f"no table {mapping.qualified} in database {settings.name}")
            cur.execute("SELECT 1 FROM pg_publication WHERE pubname = %s", (mapping.name,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE PUBLICATION "{mapping.name}" FOR TABLE {mapping.qualified}')
            cur.execute(
                "SELECT 1 FROM pg_publication_tables WHERE pubname = %s AND schemaname = %s "
                "AND tablename = %s", (mapping.name, mapping.schema, mapping.table),
            )  # fmt: skip
            if cur.fetchone() is None:  # the table was dropped and made again since
                cur.execute(f'ALTER PUBLICATION "{mapping.name}" ADD TABLE {mapping.qualified}')
            cur.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", (mapping.name,))
            if cur.fetchone() is None:
                cur.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')",
                            (mapping.name,))  # fmt: skip
    finally:
        conn.close()


def drop_slots(settings: DatabaseSettings, only: str | None = None) -> list[str]:
    """Drop the project's replication slots (every `compliance_*` one, or `only`) on the server
    of `settings`, each from its own database (as PostgreSQL asks); returns their names."""
    conn = _connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT slot_name, database FROM pg_replication_slots WHERE slot_name LIKE %s",
                (SLOT_PREFIX.replace("_", "\\_") + "%",),
            )
            slots = [(n, db) for n, db in cur.fetchall() if only is None or n == only]
    finally:
        conn.close()
    for name, database in slots:
        conn = _connect(replace(settings, name=database))
        try:
            with conn.cursor() as cur:
                for _ in range(20):  # a stopping worker may hold the slot a moment longer
                    cur.execute(
                        "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
                        "WHERE slot_name = %s AND active_pid IS NOT NULL", (name,),
                    )  # fmt: skip
                    cur.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s",
                                (name,))  # fmt: skip
                    if not cur.fetchone()[0]:
                        break
                    time.sleep(0.25)
                cur.execute("SELECT pg_drop_replication_slot(%s)", (name,))
        finally:
            conn.close()
    return [name for name, _ in slots]


def _request(method: str, url: str, body: dict | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as err:
        text = err.read().decode()
        return err.code, json.loads(text) if text.startswith("{") else text
    except OSError as err:
        raise CaptureError(f"Kafka Connect does not answer at {url.split('/connectors')[0]} "
                           f"({err}): scripts/services up connect") from None  # fmt: skip


def connector_state(name: str, url: str | None = None) -> dict | None:
    code, body = _request("GET", f"{url or connect_url()}/connectors/{name}/status")
    return body if code == 200 else None


def register(name: str, config: dict[str, str], url: str | None = None,
             timeout: float = 120) -> dict:  # fmt: skip
    """Create or update the connector (and restart it when it or its task had failed: a new
    configuration does not restart a failed task), then wait until both run."""
    url = url or connect_url()
    before = connector_state(name, url) or {}
    failed_before = any(t.get("state") == "FAILED"
                        for t in [before.get("connector", {}), *(before.get("tasks") or [])])  # fmt: skip
    code, body = _request("PUT", f"{url}/connectors/{name}/config", config)
    if code not in (200, 201):
        raise CaptureError(f"Kafka Connect refused connector {name}: {body}")
    if failed_before:
        _request("POST", f"{url}/connectors/{name}/restart?includeTasks=true&onlyFailed=true")
    started = time.monotonic()
    state: dict | None = None
    while time.monotonic() - started < timeout:
        state = connector_state(name, url)
        tasks = (state or {}).get("tasks") or []
        failed = [t for t in [(state or {}).get("connector", {}), *tasks]
                  if t.get("state") == "FAILED"]  # fmt: skip
        if failed and time.monotonic() - started > 10:  # not the state before the restart
            trace = (failed[0].get("trace") or "").splitlines()
            raise CaptureError(f"connector {name} failed: {' '.join(trace[:3])[:800]}")
        if tasks and not failed and all(t.get("state") == "RUNNING" for t in tasks):
            return state
        time.sleep(0.5)
    raise CaptureError(f"connector {name} not running after {timeout:.0f}s: {state}")


def unregister(name: str, url: str | None = None) -> bool:
    code, _ = _request("DELETE", f"{url or connect_url()}/connectors/{name}")
    return code in (200, 204)


def start(mapping: TableMapping, partitions: int = 3, env: Mapping[str, str] | None = None) -> dict:
    """The capture of one table running: publication, slot, connector (idempotent)."""
    settings = source_settings(mapping, env)
    prepare_source(settings, mapping)
    config = connector_config(mapping, settings, password_file(env), partitions)
    return register(mapping.name, config, connect_url(env))


def stop(mapping: TableMapping, env: Mapping[str, str] | None = None) -> list[str]:
    """The connector removed and its slot dropped (the next start snapshots the table again)."""
    unregister(mapping.name, connect_url(env))
    time.sleep(1)  # the task lets go of the slot
    return drop_slots(source_settings(mapping, env), only=mapping.name)


def main(argv: list[str] | None = None) -> int:
    from udfs.cdc.spec import load_cdc
    from udfs.schema import SchemaError, load_schema

    parser = argparse.ArgumentParser(prog="python -m connectors.cdc", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("command", choices=("status", "start", "stop"))
    parser.add_argument("--domain", required=True, choices=("healthcare", "financial"))
    parser.add_argument("--table", required=True, help="schema.table, as in conf/cdc/<domain>.yaml")
    parser.add_argument("--mapping", type=Path, help="default conf/cdc/<domain>.yaml")
    args = parser.parse_args(argv)
    try:
        mapping = load_cdc(load_schema(args.domain), args.mapping).table(args.table)
        if args.command == "start":
            state = start(mapping)
        elif args.command == "stop":
            state = {"dropped_slots": stop(mapping)}
        else:
            state = connector_state(mapping.name) or {"name": mapping.name, "state": "absent"}
    except (CaptureError, SchemaError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps({"topic": mapping.topic, **state}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
