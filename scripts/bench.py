"""scripts/bench accuracy|protection|engine|batch|stream|stream-floor|cdc|report|dp|quality|seal: the
project's benchmarks."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# The benchmarks that run on the local services (scripts/services), and which ones.
NEEDS = {
    "stream": ("kafka", "flink"),
    "stream-floor": ("kafka", "flink"),
    "dp": ("kafka", "postgres", "flink"),
    "cdc": ("kafka", "postgres", "flink", "connect"),
}


def missing_services(what: str) -> list[str]:
    from scripts.services import is_running

    return [service for service in NEEDS.get(what, ()) if not is_running(service)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument(
        "what",
        choices=(
            "accuracy",
            "protection",
            "engine",
            "batch",
            "stream",
            "stream-floor",
            "cdc",
            "report",
            "dp",
            "quality",
            "seal",
        ),
    )
    parser.add_argument("--rows", type=int, help="rows per generated set")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "bench")
    parser.add_argument(
        "--rates",
        type=int,
        nargs="*",
        help="stream: produce rates to try (records/s); cdc: change rates (changes/s)",
    )
    parser.add_argument("--seconds", type=int, default=60, help="stream: seconds per rate")
    parser.add_argument(
        "--reference-rows", type=int, help="engine: the per-record step on the first N rows only"
    )
    parser.add_argument(
        "--profile", action="store_true",
        help="stream, cdc: Java Flight Recorder on the TaskManager and py-spy on its Python workers",
    )  # fmt: skip
    parser.add_argument(
        "--variants", nargs="*", metavar="VARIANT",
        help="stream-floor: which of idle, kafka, bridge, step, alerts, violations, windows, job "
        "(default all, in that order)",
    )  # fmt: skip
    parser.add_argument(
        "--config", type=Path,
        help="stream, stream-floor: the pipeline settings to run with (default conf/pipeline/local.yaml); "
        "its topics are replaced by fresh ones",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.config is not None and not args.config.is_file():
        parser.error(f"--config {args.config}: no such file")
    missing = missing_services(args.what)
    if missing:
        parser.error(f"{args.what} runs on the local services; not running: {', '.join(missing)} "
                     f"(start them with: scripts/services up {' '.join(missing)})")  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    if args.what == "accuracy":
        from scripts.benchmarks import accuracy

        result = accuracy.run(args.rows or 100_000, args.out)
    elif args.what == "protection":
        from scripts.benchmarks import protection

        result = protection.run(args.rows or 100_000, args.out)
    elif args.what == "engine":
        from scripts.benchmarks import engine

        result = engine.run(args.rows or 1_000_000, args.out, args.reference_rows)
    elif args.what == "stream":
        from scripts.benchmarks import stream

        rates = tuple(args.rates) if args.rates else (5000, 500, 1000, 2000, 3000)
        result = stream.run(0, args.out, rates, args.seconds, args.profile, args.config)
    elif args.what == "stream-floor":
        from scripts.benchmarks import stream_floor

        unknown = set(args.variants or ()) - set(stream_floor.ALL)
        if unknown:
            parser.error(f"--variants: unknown {', '.join(sorted(unknown))}")
        result = stream_floor.run(args.out, tuple(args.rates or (3000,)), args.seconds,
                                  tuple(args.variants or stream_floor.ALL), args.config)  # fmt: skip
    elif args.what == "cdc":
        from scripts.benchmarks import cdc

        rates = tuple(args.rates) if args.rates else (1000, 5000)
        result = cdc.run(args.out, rates, args.seconds, args.profile)
    elif args.what == "dp":
        from scripts.benchmarks import dp

        rate = args.rates[0] if args.rates else 2000
        result = dp.run(args.rows or 1_000_000, args.out, rate, args.seconds)
    elif args.what == "quality":
        from scripts.benchmarks import quality

        result = quality.run(args.rows or 1_000_000, args.out)
    elif args.what == "seal":
        from scripts.benchmarks import seal

        result = seal.run(args.rows or 1_000_000, args.out)
    elif args.what == "report":
        from scripts.benchmarks import report

        result = report.run(args.rows or 10_000_000, args.out)
    else:
        from scripts.benchmarks import batch

        result = batch.run(args.rows or 1_000_000, args.out)
    (args.out / f"{args.what}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
