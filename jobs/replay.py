"""Replay quarantined input: open the sealed payloads with the quarantine key, then re-submit
the fixed lines to a job.

    python -m jobs.replay export OUT/quarantine --to fixed.csv --domain healthcare
    $EDITOR fixed.csv                                   # mend the lines
    python -m jobs.replay submit fixed.csv -- --domain healthcare --output OUT2

`export` reads a quarantine as a job wrote it: the batch job's Parquet folder, the stream job's
(`quarantine/` of a BATCH-mode run), or the stream's topic (`kafka:compliance-quarantine`). It
writes the opened payloads, one per line — CSV lines under a header (`--header-from` the
original input, else the domain's column order), or JSON messages from a topic — to a file only
its owner can read, and says how many per reason. Keys: COMPLIANCE_QUARANTINE_KEY / _FILE, and
`--key-file` for each older key still holding values (rotation).

`submit FILE -- ARGS` runs the batch job over a CSV (ARGS are its flags, `--input` is FILE);
`submit FILE --topic T` produces a JSON Lines file's messages to a topic the stream job reads.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from udfs.protect.seal import KeyRing, SealError, SealKey, is_sealed, secret_from_env
from udfs.protect.tokenize import KeyMissing
from udfs.schema import DOMAINS, load_schema

TOPIC_PREFIX = "kafka:"


class ReplayError(RuntimeError):
    """Said to the user without a traceback."""


@dataclass(frozen=True)
class Quarantined:
    record_id: str | None
    domain: str | None
    reason: str
    payload: str  # as stored: sealed (or, from before sealing, the raw text)


def read_folder(folder: Path) -> Iterator[Quarantined]:
    """A Parquet quarantine: the batch job's columns, or the stream job's (k, v JSON)."""
    from connectors.lake import read_parquet_dir

    if not folder.is_dir():
        raise ReplayError(f"no quarantine folder at {folder}")
    table = read_parquet_dir(folder)
    for row in table.to_pylist():
        if "v" in row and "raw" not in row:
            row = json.loads(row["v"])
        yield Quarantined(row.get("record_id"), row.get("domain"), row["reason"], row["raw"])


def read_topic(topic: str) -> Iterator[Quarantined]:
    """The stream's quarantine topic, from its start up to what it holds now."""
    from connectors import kafka

    for value in kafka.read_topic(topic):
        row = json.loads(value)
        yield Quarantined(row.get("record_id"), row.get("domain"), row["reason"], row["raw"])


def opened(items: Iterator[Quarantined], keys: KeyRing, reason: str | None) -> Iterator[tuple]:
    for item in items:
        if reason is not None and reason not in item.reason:
            continue
        text = keys.open(item.payload) if is_sealed(item.payload) else item.payload
        yield item, text


def key_ring(extra_files: list[Path]) -> KeyRing:
    keys = [SealKey(secret_from_env())]
    for path in extra_files:
        try:
            keys.append(SealKey(path.read_bytes().strip()))
        except OSError as err:
            raise ReplayError(f"cannot read key file {path}: {err.strerror}") from None
    return KeyRing(keys)


def header_line(domain: str | None, header_from: Path | None) -> str:
    if header_from is not None:
        with open(header_from, encoding="utf-8", errors="replace") as handle:
            return handle.readline().rstrip("\r\n")
    if domain is None:
        raise ReplayError("say whose header the CSV lines take: --domain or --header-from")
    return ",".join(load_schema(domain).names)


def export(args: argparse.Namespace) -> int:
    source = str(args.quarantine)
    from_topic = source.startswith(TOPIC_PREFIX)
    items = read_topic(source[len(TOPIC_PREFIX) :]) if from_topic else read_folder(Path(source))
    keys = key_ring(args.key_file)
    reasons: Counter[str] = Counter()
    domains: set[str] = set()
    target = args.to
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # raw PII: owner only
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        first = True
        for item, text in opened(items, keys, args.reason):
            if item.domain:
                domains.add(item.domain)
            if first and not from_topic:
                out.write(header_line(args.domain or item.domain, args.header_from) + "\n")
            first = False
            out.write(text + "\n")
            reasons[item.reason] += 1
    if len(domains) > 1:
        target.unlink()
        raise ReplayError(f"the quarantine holds several domains ({', '.join(sorted(domains))})")
    total = sum(reasons.values())
    for reason, count in reasons.most_common():
        print(f"  {count:>8,}  {reason}", file=sys.stderr)
    print(f"replay: {total:,} payloads opened into {target} (raw personal data: readable by "
          f"you alone; delete it once replayed)", file=sys.stderr)  # fmt: skip
    return 0


def submit(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise ReplayError(f"no such file: {args.file}")
    if args.topic:
        from tools.ingest import ingest

        sent = ingest(args.topic, args.file, rate=None, progress=False)
        print(f"replay: {sent['sent']:,} messages sent to {args.topic}", file=sys.stderr)
        return 0
    from jobs import batch_compliance

    rest = [a for a in args.job_args if a != "--"]
    if "--input" in rest:
        raise ReplayError("--input is the replayed file itself: leave it out of the job's flags")
    return batch_compliance.main(["--input", str(args.file), *rest])


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m jobs.replay", description=__doc__.split("\n")[0])
    commands = top.add_subparsers(dest="command", required=True)
    ex = commands.add_parser("export", help="open a quarantine's payloads into a file")
    ex.add_argument("quarantine", help="a quarantine folder, or kafka:TOPIC")
    ex.add_argument("--to", type=Path, required=True, help="the file to write (mode 0600)")
    ex.add_argument("--domain", choices=DOMAINS, help="the header for CSV lines (default: theirs)")
    ex.add_argument("--header-from", type=Path, help="copy the header of the original input")
    ex.add_argument("--reason", help="only the payloads whose reason contains this text")
    ex.add_argument(
        "--key-file", type=Path, action="append", default=[],
        help="an older quarantine key (one per flag) for values sealed before a rotation",
    )  # fmt: skip
    sub = commands.add_parser("submit", help="re-submit fixed lines to a job")
    sub.add_argument("file", type=Path)
    sub.add_argument("--topic", help="produce JSON Lines to this topic instead of a batch run")
    sub.add_argument("job_args", nargs=argparse.REMAINDER, help="-- then the batch job's flags")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return export(args) if args.command == "export" else submit(args)
    except (ReplayError, KeyMissing, SealError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
