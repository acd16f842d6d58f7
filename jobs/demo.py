"""The demo: the batch job on the bundled healthcare sample, in the embedded MiniCluster, with a
throwaway token key. Prints what it found and where the outputs are; with --audit it also
writes the run to the audit database and ends with the HTML report of the run."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from connectors.settings import PROJECT_ROOT
from jobs.batch_compliance import BatchJob, JobFailed, run
from jobs.config import PipelineConfig
from udfs.schema import DOMAINS

SAMPLES = PROJECT_ROOT / "conf" / "samples"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__.split("\n")[0])
    parser.add_argument("--domain", choices=DOMAINS, default="healthcare")
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "out" / "demo")
    parser.add_argument(
        "--audit",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="write the audit trail (needs the database: scripts/services up postgres) and the report",
    )
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
        audit=args.audit,
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
    if args.audit:
        print(f"report of the run (open it in a browser):\n  {write_report(job.job_id, out)}")
    return 0


def write_report(job_id: str, out: Path) -> Path:
    from connectors import audit
    from tools.report.page import render
    from tools.report.queries import Scope, fetch

    conn = audit.connect()
    with conn:
        data = fetch(conn, Scope(job_id=job_id))
    conn.close()
    path = out / "report.html"
    path.write_text(render(data), encoding="utf-8")
    return path


if __name__ == "__main__":
    sys.exit(main())
