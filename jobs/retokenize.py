"""Re-tokenize a lake partition under the keyring's current token key, after a key rotation.

    export COMPLIANCE_TOKEN_KEYS_FILE=/secrets/token-keys.yaml   # current: b, keys: {a: …, b: …}
    python -m jobs.retokenize out/run1/lake/date=2024-03-01 --source in/2024-03-01.csv \\
        --domain healthcare --from a

A token cannot be turned back into its value (HMAC), so the values come from the partition's
source input: the engine protects the source's records under the old key and under the new one;
every token and masked text of the partition must be what the old key gives (else the source or
the key is not the partition's: refused, nothing written), and is replaced by what the new key
gives. Everything else of a row — generalized quasi-identifiers, event date, extra — stays as
it is. The partition is rewritten whole (a new folder swapped in), or written to `--to`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from connectors import files
from connectors.lake import read_parquet_dir
from connectors.splits import plan_splits, read_split
from udfs.engine import Engine
from udfs.protect import ProtectionPolicy
from udfs.protect.tokenize import KeyMissing, TokenKeyMissing, keyring_from_env
from udfs.schema import DOMAINS, SchemaError, load_schema, read_rules

READ_BYTES = 8 << 20


class RetokenizeError(RuntimeError):
    """Said to the user without a traceback."""


def protected_columns(schema) -> list[str]:
    """The columns whose values depend on the token key: tokenized fields, token-masked text."""
    policy = ProtectionPolicy.from_config(schema.protection)
    masked = [n for n, mode in policy.mask_text.items() if mode == "token"]
    return [n for n in (*policy.tokenize, *masked) if n in schema.names]


def source_batches(source: Path, schema) -> Iterator[tuple[dict[str, str], str, pa.Array]]:
    layouts = files.read_layouts(source, schema)
    for split in plan_splits(list(layouts), 1 << 62):
        for batch in read_split(split, layouts[split.path].encode(), READ_BYTES):
            yield layouts, split.path, batch.lines


def protect_source(
    source: Path, schema, rules: dict, secrets: tuple[bytes, bytes], ids: tuple, wanted: set[str]
) -> tuple[pa.Table, pa.Table]:
    """The source's records of `wanted` ids protected under the old and the new key."""
    as_of = datetime.now(UTC)
    columns = ["record_id", *protected_columns(schema)]
    engines, out = None, ([], [])
    keep = pa.array(sorted(wanted), pa.string())
    for layouts, path, lines in source_batches(source, schema):
        if engines is None:
            engines = [Engine(schema, rules, as_of, secret, layouts=layouts, token_key_id=kid)
                       for secret, kid in zip(secrets, ids, strict=True)]  # fmt: skip
        for engine, found in zip(engines, out, strict=True):
            records = engine.process_lines(lines, path).records.select(columns)
            found.append(records.filter(pc.is_in(records.column("record_id"), keep)))
    if engines is None:
        raise RetokenizeError(f"the source {source} holds no records")
    old, new = (pa.concat_tables(t) for t in out)
    return old, new


def retokenize(partition: pa.Table, old: pa.Table, new: pa.Table, columns: list[str]) -> pa.Table:
    """The partition with its key-dependent columns from `new`, checked against `old`."""
    ids = partition.column("record_id")
    at = pc.index_in(ids, old.column("record_id"))
    missing = at.null_count
    if missing:
        raise RetokenizeError(
            f"{missing:,} of the partition's {len(ids):,} records are not in the source: "
            "give the input the partition was released from"
        )
    old_rows, new_rows = old.take(at), new.take(at)
    for name in columns:
        if name not in partition.column_names:
            continue
        given, expected = partition.column(name), old_rows.column(name)
        same = pc.or_kleene(pc.equal(given, expected), pc.and_(given.is_null(), expected.is_null()))
        wrong = len(same) - pc.sum(pc.fill_null(same, False).cast(pa.int64())).as_py()
        if wrong:
            raise RetokenizeError(
                f"{wrong:,} values of {name} are not what the old key gives the source's records: "
                "wrong source, or the partition was not tokenized under that key (nothing written)"
            )
        index = partition.schema.get_field_index(name)
        partition = partition.set_column(
            index, partition.schema.field(index), new_rows.column(name)
        )
    return partition


def write_partition(table: pa.Table, folder: Path, target: Path | None) -> Path:
    """Into `target`, or in place of `folder`: written beside it, then swapped in."""
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, target / "part-retokenized.parquet")
        return target
    fresh = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}")
    fresh.mkdir()
    pq.write_table(table, fresh / "part-retokenized.parquet")
    retired = folder.with_name(f".{folder.name}.old")
    folder.rename(retired)
    fresh.rename(folder)
    shutil.rmtree(retired)
    return folder


def run(args: argparse.Namespace) -> dict:
    ring = keyring_from_env()
    if ring is None:
        raise TokenKeyMissing(
            "re-tokenizing needs the keyring: set COMPLIANCE_TOKEN_KEYS_FILE (current: the new "
            "key; keys: both)"
        )
    if args.from_key not in ring.keys:
        raise RetokenizeError(
            f"--from {args.from_key}: not a key of the keyring ({', '.join(ring.keys)})"
        )
    if args.from_key == ring.current:
        raise RetokenizeError(f"--from {args.from_key} is the current key: nothing to do")
    schema = load_schema(args.domain)
    rules = read_rules(args.domain, args.rules)
    partition = read_parquet_dir(args.partition)
    if partition.num_rows == 0:
        raise RetokenizeError(f"no rows in {args.partition}")
    secrets = (ring.keys[args.from_key], ring.keys[ring.current])
    ids = (ring.carried_id(args.from_key), ring.current_id)
    wanted = set(partition.column("record_id").to_pylist())
    old, new = protect_source(args.source, schema, rules, secrets, ids, wanted)
    columns = [c for c in protected_columns(schema) if c in partition.column_names]
    table = retokenize(partition, old, new, columns)
    where = write_partition(table, args.partition, args.to)
    return {"partition": str(where), "rows": table.num_rows, "columns": columns,
            "from": args.from_key, "to": ring.current}  # fmt: skip


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m jobs.retokenize", description=__doc__.split("\n")[0]
    )
    p.add_argument("partition", type=Path, help="a lake partition folder (lake/date=YYYY-MM-DD)")
    p.add_argument("--source", type=Path, required=True, help="the input it was released from")
    p.add_argument("--domain", choices=DOMAINS, required=True)
    p.add_argument(
        "--from", dest="from_key", required=True, help="the key id it was tokenized under"
    )
    p.add_argument("--rules", type=Path, help="the rules the run used (their detectors mask text)")
    p.add_argument("--to", type=Path, help="write here instead of replacing the partition")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        result = run(args)
    except (RetokenizeError, KeyMissing, SchemaError, ValueError, files.InputError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"retokenize: {result['rows']:,} rows of {result['partition']} now under key "
          f"{result['to']} (were {result['from']}): {', '.join(result['columns'])}", file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
