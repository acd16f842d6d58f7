"""The demo: the batch job on the bundled healthcare sample, in the embedded MiniCluster, with a
throwaway token key. Prints what it found and where the outputs are."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from connectors.settings import PROJECT_ROOT
from jobs.batch_compliance import BatchJob, JobFailed, run
from jobs.config import PipelineConfig

SAMPLES = PROJECT_ROOT / "conf" / "samples"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__.split("\n")[0])
    parser.add_argument("--domain", choices=("healthcare", "financial"), default="healthcare")
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "out" / "demo")
    args = parser.parse_args(argv)
    import secrets

    job = BatchJob(
        input=SAMPLES / f"{args.domain}.csv",
        domain=args.domain,
        output=args.output.resolve(),
        as_of=datetime(
            2026, 1, 1, tzinfo=UTC
        ),  # the sample's reference date: same result every day
        key_secret=secrets.token_bytes(32),
        throwaway_key=True,
        pipeline=PipelineConfig.load(),
    )
    job.say(
        "demo: THROWAWAY token key (set COMPLIANCE_TOKEN_KEY and use jobs.batch_compliance for real runs)"
    )
    try:
        s = run(job)
    except JobFailed as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = job.output
    print(f"\n{s['records_in']:,} {args.domain} records from {job.input.relative_to(PROJECT_ROOT)}")
    print(f"  violations: {s['violations']['total']:,}")
    for regulation in ("HIPAA", "PCI-DSS", "GDPR", "LOCATION"):
        if regulation in s["violations"]:
            print(f"    {regulation:9} {s['violations'][regulation]:,}")
    print(
        f"  published {s['published']:,} · suppressed {s['suppressed']:,} · quarantined {s['quarantined']:,}"
    )
    print(
        f"  k-anonymity k={s['k']}: levels {s['levels']}, information loss {s['information_loss']:.3f}"
    )
    print(f"  {s['wall_seconds']:.1f} s ({s['startup_seconds']:.1f} s start-up)")
    print("outputs:")
    for name in ("lake", "violations", "quarantine", "summary.json"):
        print(f"  {out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
