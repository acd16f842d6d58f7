"""Generated records written into a source table as an application would: inserts, updates of
rows already written and deletes, at a given rate — what the change data capture demo, tests
and benchmark feed (connectors.cdc captures the table's changes).

    python -m tools.cdc_writer --domain healthcare --table public.patients --rows 1000 --rate 200

The table is made when missing (the columns of conf/cdc/<domain>.yaml, typed as an operational
database would type them); values come from tools.synthetic with no malformed rows (a typed
column would refuse them)."""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from tools.synthetic.generator import Rates, generate
from udfs.cdc.spec import TableMapping
from udfs.schema import DomainSchema

# Contract type → the source column's SQL type.
SQL_TYPES = {"date": "DATE", "timestamp": "TIMESTAMPTZ", "boolean": "BOOLEAN",
             "decimal": "NUMERIC(14, 2)", "latitude": "DOUBLE PRECISION",
             "longitude": "DOUBLE PRECISION"}  # fmt: skip


def table_ddl(mapping: TableMapping, schema: DomainSchema) -> str:
    columns = []
    for spec in schema.fields:
        column = mapping.columns[spec.name]
        kind = SQL_TYPES.get(spec.type, "TEXT")
        key = " PRIMARY KEY" if spec.name == "record_id" else ""
        columns.append(f"{column} {kind}{key}")
    return f"CREATE TABLE IF NOT EXISTS {mapping.qualified} ({', '.join(columns)})"


def typed(value: str, kind: str):
    """A generated text value as the typed column takes it (None where it cannot)."""
    if value == "":
        return None
    try:
        if kind == "date":
            return date.fromisoformat(value)
        if kind == "boolean":
            return {"true": True, "false": False}.get(value.lower())
        if kind in ("latitude", "longitude", "decimal"):
            return float(value)
    except ValueError:
        return None
    return value


@dataclass
class Written:
    """What the writer did: the ids of each kind of change, in order."""

    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return len(self.inserted) + len(self.updated) + len(self.deleted)


def write(conn, mapping: TableMapping, schema: DomainSchema, rows: int, rate: float | None = None,
          update_share: float = 0.2, delete_share: float = 0.05, seed: int = 7,
          batch: int = 50, progress: bool = False) -> Written:  # fmt: skip
    """`rows` inserts, and after each insert an update (of an earlier row) or a delete with the
    given shares; committed `batch` changes at a time, at `rate` changes per second."""
    rng = random.Random(seed)
    types = {f.name: f.type for f in schema.fields}
    names = [f.name for f in schema.fields]
    columns = ", ".join(mapping.columns[n] for n in names)
    insert = (
        f"INSERT INTO {mapping.qualified} ({columns}) VALUES ({', '.join(['%s'] * len(names))})"
    )
    key = mapping.columns["record_id"]
    notes = mapping.columns["notes"]
    done, live = Written(), []
    started, pending = time.monotonic(), 0
    records = generate(schema.domain, rows, seed=seed, as_of=datetime.now(UTC),
                       rates=Rates(malformed=0.0), span_seconds=60)  # fmt: skip
    with conn.cursor() as cur:
        cur.execute(table_ddl(mapping, schema))
        conn.commit()
        for item in records:
            values = [typed(item.record.get(n, ""), types[n]) for n in names]
            cur.execute(insert, values)
            done.inserted.append(item.record["record_id"])
            live.append(item.record["record_id"])
            pending += 1
            roll = rng.random()
            if roll < delete_share and len(live) > 10:
                gone = live.pop(rng.randrange(len(live) - 5))  # not the rows just written
                cur.execute(f"DELETE FROM {mapping.qualified} WHERE {key} = %s", (gone,))
                done.deleted.append(gone)
                pending += 1
            elif roll < delete_share + update_share and live:
                again = live[rng.randrange(len(live))]
                cur.execute(f"UPDATE {mapping.qualified} SET {notes} = %s WHERE {key} = %s",
                            (f"follow-up {len(done.updated)}: call 415-555-2671", again))  # fmt: skip
                done.updated.append(again)
                pending += 1
            if pending >= batch:
                conn.commit()
                pending = 0
                if rate:
                    ahead = done.changes / rate - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
                if progress and len(done.inserted) % 1000 < batch:
                    print(f"{done.changes:,} changes", file=sys.stderr, flush=True)
        conn.commit()
    return done


def table_of_its_own(schema: DomainSchema, folder: Path, prefix: str) -> tuple[TableMapping, Path]:
    """A new, empty source table `public.<prefix>_<random>`, mapped as the domain's first table
    in conf/cdc/<domain>.yaml (the mapping file written into `folder`), in its database (made
    when missing): for tests and benchmarks that must not share a table, a slot or a topic."""
    import psycopg2
    import yaml

    from connectors.cdc import source_settings
    from udfs.cdc.spec import default_path, load_cdc

    table = f"{prefix}_{uuid.uuid4().hex[:8]}"
    raw = yaml.safe_load(default_path(schema.domain).read_text())
    raw["tables"] = {f"public.{table}": next(iter(raw["tables"].values()))}
    path = folder / f"cdc-{table}.yaml"
    path.write_text(yaml.safe_dump(raw))
    mapping = load_cdc(schema, path).table(table)
    settings = source_settings(mapping)
    ensure_database(settings)
    with psycopg2.connect(**settings.connect_kwargs()) as conn, conn.cursor() as cur:
        cur.execute(table_ddl(mapping, schema))
    conn.close()
    return mapping, path


def ensure_database(settings) -> None:
    """The source database, made when missing (on the server of `settings`)."""
    from dataclasses import replace

    import psycopg2

    conn = psycopg2.connect(**replace(settings, name="postgres").connect_kwargs())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (settings.name,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{settings.name}"')
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    import psycopg2

    from connectors.cdc import CaptureError, source_settings
    from udfs.cdc.spec import load_cdc
    from udfs.schema import SchemaError, load_schema

    parser = argparse.ArgumentParser(prog="python -m tools.cdc_writer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--domain", required=True, choices=("healthcare", "financial"))
    parser.add_argument("--table", required=True)
    parser.add_argument("--rows", type=int, default=1000, help="inserts (default 1000)")
    parser.add_argument(
        "--rate", type=float, help="changes per second (default: as fast as it can)"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    try:
        schema = load_schema(args.domain)
        mapping = load_cdc(schema).table(args.table)
        settings = source_settings(mapping)
        ensure_database(settings)
        conn = psycopg2.connect(**settings.connect_kwargs())
    except (SchemaError, CaptureError, psycopg2.OperationalError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        done = write(conn, mapping, schema, args.rows, args.rate, seed=args.seed, progress=True)
    finally:
        conn.close()
    print(f"{len(done.inserted):,} inserted, {len(done.updated):,} updated, "
          f"{len(done.deleted):,} deleted in {mapping.qualified}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
