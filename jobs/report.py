"""The audit report: violations by regulation, severity and rule, and recent job runs.

python -m jobs.report --since 7d [--domain healthcare]
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import timedelta

from connectors import audit

UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([mhdw])", text.strip())
    if not match:
        raise ValueError(f"--since expects a number and a unit m/h/d/w (e.g. 7d), got {text!r}")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def fetch(conn, since: timedelta, domain: str | None) -> dict:
    where = "detected_at >= (now() at time zone 'utc') - %s" + (
        " AND domain = %s" if domain else ""
    )
    params = (since, domain) if domain else (since,)
    out = {}
    with conn.cursor() as cur:
        for name, group in (
            ("by_regulation", "regulation"),
            ("by_severity", "severity"),
            ("by_rule", "regulation, rule_id"),
        ):
            cur.execute(
                f"SELECT {group}, count(*) FROM violations WHERE {where} GROUP BY {group} ORDER BY 1",
                params,
            )
            out[name] = cur.fetchall()
        run_where = "started_at >= now() - %s" + (" AND domain = %s" if domain else "")
        cur.execute(
            f"""SELECT job_id, domain, mode, status, started_at, records_in, published, suppressed,
                       quarantined, violations
                FROM job_runs WHERE {run_where} ORDER BY started_at DESC LIMIT 10""",
            params,
        )
        out["runs"] = cur.fetchall()
    return out


def render(report: dict, since: str) -> str:
    lines = [f"Violations in the last {since}:"]
    for title, key in (("regulation", "by_regulation"), ("severity", "by_severity")):
        lines.append(f"  by {title}:")
        lines += [f"    {name:12} {count:>10,}" for name, count in report[key]] or ["    (none)"]
    lines.append("  by rule:")
    lines += [f"    {reg:9} {rule:28} {count:>10,}" for reg, rule, count in report["by_rule"]] or [
        "    (none)"
    ]
    lines.append("Recent runs:")
    for job_id, domain, mode, status, started, rin, pub, sup, quar, vio in report["runs"]:
        lines.append(
            f"  {started:%Y-%m-%d %H:%M} {job_id[:12]} {domain:10} {mode:9} {status:9} "
            f"in {rin or 0:,} published {pub or 0:,} suppressed {sup or 0:,} quarantined {quar or 0:,} "
            f"violations {vio or 0:,}"
        )
    if not report["runs"]:
        lines.append("  (none)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.report", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--since", default="7d", help="how far back, e.g. 30m, 12h, 7d, 4w (default 7d)"
    )
    parser.add_argument("--domain", choices=("healthcare", "financial"))
    args = parser.parse_args(argv)
    try:
        since = parse_since(args.since)
        conn = audit.connect()
    except (ValueError, audit.AuditUnavailable) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    with conn:
        print(render(fetch(conn, since, args.domain), args.since))
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
