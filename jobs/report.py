"""The audit report: violations by regulation, severity, rule and field, quarantine reasons and
runs, from the audit database — as text, JSON, or one self-contained HTML page with charts.

python -m jobs.report --since 7d [--domain healthcare] [--job JOB_ID] [--format text|json]
                      [--html out/report.html]
python -m jobs.report --produced OUT/lake/date=2025-01-01   # which run wrote this partition
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from connectors import audit
from tools.report.queries import Scope, fetch, parse_since
from udfs.schema import DOMAINS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.report", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--since", default="7d", help="how far back, e.g. 30m, 12h, 7d, 4w (default 7d)"
    )
    parser.add_argument("--domain", choices=DOMAINS)
    parser.add_argument("--job", metavar="JOB_ID", help="one run only (its violations and row)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--html", type=Path, metavar="FILE", help="also write the HTML page here")
    parser.add_argument(
        "--produced", type=Path, metavar="PATH",
        help="the runs that produced this output (a lake partition, or a file in one)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    try:
        parse_since(args.since)
        conn = audit.connect()
    except (ValueError, audit.AuditUnavailable) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.produced:
        return _produced(conn, args.produced, args.format)
    started = time.perf_counter()
    scope = Scope(since=args.since, domain=args.domain, job_id=args.job)
    with conn:
        data = fetch(conn, scope)
    conn.close()
    queried = time.perf_counter()
    if args.html:
        from tools.report.page import render

        try:
            args.html.parent.mkdir(parents=True, exist_ok=True)
            args.html.write_text(render(data), encoding="utf-8")
        except OSError as err:
            print(f"error: cannot write {args.html}: {err.strerror}", file=sys.stderr)
            return 2
        print(
            f"report: {args.html} ({args.html.stat().st_size / 1024:,.0f} KiB; queries "
            f"{queried - started:.1f} s, page {time.perf_counter() - queried:.1f} s)",
            file=sys.stderr,
        )
    from tools.report.text import render_json, render_text

    print(render_json(data) if args.format == "json" else render_text(data))
    return 0


def _produced(conn, path: Path, form: str) -> int:
    import json

    from tools.report.queries import dataset_name, produced

    with conn:
        runs = produced(conn, path)
    conn.close()
    if form == "json":
        print(json.dumps(runs, default=str, indent=2))
    elif not runs:
        print(f"no run in the lineage wrote {dataset_name(path)}")
    for run in runs if form == "text" else ():
        quality = (f"quality {run['quality_score']:.3f} {run['quality_level']}"
                   if run["quality_score"] is not None else "quality not measured")  # fmt: skip
        print(
            f"{run['completed_at']:%Y-%m-%d %H:%M:%S} {run['job_id']} {run['domain']} "
            f"{run['mode']} {run['status']} {quality} from {run['input']}"
        )
    return 0 if runs else 1


if __name__ == "__main__":
    sys.exit(main())
