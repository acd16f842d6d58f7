"""The report for terminals and scripts: a text table, or JSON (--format json)."""

from __future__ import annotations

import json

from tools.report.queries import ReportData


def render_text(data: ReportData) -> str:
    lines = [f"Violations in {data.scope.describe()}: {data.total_violations:,}"]
    for title, rows in (("regulation", data.by_regulation), ("severity", data.by_severity)):
        lines.append(f"  by {title}:")
        lines += [f"    {name:12} {count:>10,}" for name, count in rows] or ["    (none)"]
    lines.append("  by rule:")
    lines += [f"    {reg:9} {rule:28} {count:>10,}" for reg, rule, count in data.by_rule] or [
        "    (none)"
    ]
    lines.append("Recent runs:")
    for run in data.runs[:10]:
        lines.append(
            f"  {run.started_at:%Y-%m-%d %H:%M} {run.job_id[:12]} {run.domain:10} {run.mode:9} "
            f"{run.status:12} in {run.records_in or 0:,} published {run.published or 0:,} "
            f"suppressed {run.suppressed or 0:,} quarantined {run.quarantined or 0:,} "
            f"violations {run.violations or 0:,}"
            + (f" quality {run.quality_score:.3f} {run.quality_level}"
               if run.quality_score is not None else "")
        )  # fmt: skip
    if not data.runs:
        lines.append("  (none)")
    lines.append("Privacy budget spent (differentially private releases):")
    for domain, aggregate, releases, eps, delta, first, last in data.dp_spent:
        lines.append(
            f"  {domain:10} {aggregate:28} {releases:>5,} releases  ε {eps:,.3g}  δ {delta:.3g}  "
            f"windows {first:%Y-%m-%d} .. {last:%Y-%m-%d}"
        )
    if not data.dp_spent:
        lines.append("  (none)")
    return "\n".join(lines)


def render_json(data: ReportData) -> str:
    return json.dumps(data.as_json(), indent=2, sort_keys=True)
