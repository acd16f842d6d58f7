"""The command line the jobs share: each flag spelled, checked and turned into settings once."""

from __future__ import annotations

import argparse
import secrets
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jobs.config import PipelineConfig
from udfs.dp import spec as dp_spec
from udfs.protect import seal
from udfs.protect.tokenize import token_key_from_env
from udfs.schema import DOMAINS
from udfs.validation import parse_timestamp

DP_DEFAULT = "default"


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, not {text}")
    return value


def job_parser(
    prog: str, doc: str, input_help: str, input_required: bool
) -> argparse.ArgumentParser:
    """The flags every job takes; a job adds its own to the parser returned."""
    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=doc.split("\n")[0])
    parser.add_argument("--domain", choices=DOMAINS, required=True)
    parser.add_argument("--input", type=Path, required=input_required, help=input_help)
    parser.add_argument("--output", type=Path, required=True, help="output directory")
    parser.add_argument(
        "--config", type=Path, help="pipeline settings YAML (default conf/pipeline/local.yaml)"
    )
    parser.add_argument(
        "--rules", type=Path, help="rule set YAML (default conf/rules/<domain>.yaml)"
    )
    parser.add_argument("--as-of", help="reference date/time for retention (ISO-8601; default now)")
    parser.add_argument(
        "--audit", action="store_true", help="write violations and the run to PostgreSQL"
    )
    parser.add_argument("--parallelism", type=positive, help="default: the settings' parallelism")
    parser.add_argument(
        "--dp", nargs="?", const=DP_DEFAULT, metavar="FILE",
        help="publish the differentially private aggregates (default conf/dp/<domain>.yaml); "
        "their budget is kept in the audit database",
    )  # fmt: skip
    parser.add_argument(
        "--quality", type=Path, metavar="FILE",
        help="data-quality settings YAML (default conf/quality/<domain>.yaml)",
    )  # fmt: skip
    parser.add_argument(
        "--no-quality", action="store_true", help="do not measure data quality (benchmarks)"
    )
    parser.add_argument(
        "--throwaway-key",
        action="store_true",
        help="tokenize and seal the quarantine with random keys (demo only: tokens will not "
        "join, quarantined lines cannot be replayed)",
    )
    return parser


def parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    args, _unknown = parser.parse_known_args(argv)  # Flink's own flags (flink run) pass through
    return args


@dataclass(frozen=True)
class Common:
    """What the shared flags mean, resolved: the job dataclasses take these as they are."""

    domain: str
    output: Path
    input: Path | None
    pipeline: PipelineConfig
    rules_path: Path | None
    as_of: datetime
    key_secret: bytes = field(repr=False)
    token_key_id: str | None  # the id the tokens carry (a keyring's current key), or None
    throwaway_key: bool
    quarantine_secret: bytes = field(repr=False)  # seals quarantined payloads (udfs.protect.seal)
    audit: bool
    parallelism: int | None
    dp_path: Path | None  # the aggregates' settings, or None: no private aggregates
    quality: bool  # measure data quality (and stop below its thresholds)
    quality_path: Path | None  # the quality settings; None: conf/quality/<domain>.yaml

    def kwargs(self) -> dict[str, Any]:
        """The fields by name, as they are (a job dataclass takes them as keywords)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def resolve(args: argparse.Namespace) -> Common:
    """The shared flags resolved (raises KeyMissing, SchemaError or ValueError)."""
    secret, token_key_id = (
        (secrets.token_bytes(32), None) if args.throwaway_key else token_key_from_env()
    )
    sealing = secrets.token_bytes(32) if args.throwaway_key else seal.secret_from_env()
    pipeline = PipelineConfig.load(args.config)
    pipeline.connections.apply()  # the YAML's connections, under the environment's
    return Common(
        domain=args.domain,
        output=args.output.resolve(),
        input=args.input.resolve() if args.input else None,
        pipeline=pipeline,
        rules_path=args.rules,
        as_of=parse_timestamp(args.as_of) if args.as_of else datetime.now(UTC),
        key_secret=secret,
        token_key_id=token_key_id,
        throwaway_key=args.throwaway_key,
        quarantine_secret=sealing,
        audit=args.audit,
        parallelism=args.parallelism,
        dp_path=None if args.dp is None else
        dp_spec.default_path(args.domain) if args.dp == DP_DEFAULT else Path(args.dp).resolve(),
        quality=not args.no_quality,
        quality_path=args.quality.resolve() if args.quality else None,
    )  # fmt: skip
