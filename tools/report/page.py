"""The report as one self-contained HTML page: inline CSS, inline SVG charts, no script and no
external resource, so it opens offline. Every chart has its numbers in a table beside it
(`data-value` holds the exact count), and every run an anchor (`#run-<job id>`)."""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Iterable, Sequence

from tools.report import charts
from tools.report.queries import SEVERITIES, ReportData, Run

TOP = 15  # rules, fields and (rule, field) pairs shown
CHART_RUNS = 30  # runs in the per-run charts (the newest)
REGULATIONS = ("HIPAA", "PCI-DSS", "GDPR", "LOCATION")

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0;background:#f6f7f9}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 12px}
.meta{color:#666;margin:0 0 20px}
section{background:#fff;border:1px solid #e3e5e8;border-radius:8px;padding:16px 20px;margin:0 0 18px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:0 0 18px}
.card{background:#fff;border:1px solid #e3e5e8;border-radius:8px;padding:10px 16px;min-width:140px}
.card b{display:block;font-size:20px}.card span{color:#666;font-size:12px}
figure{margin:0 0 8px}figure svg{max-width:100%;height:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee;vertical-align:top}
#runs-table td{white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
details summary{cursor:pointer;color:#555;margin:6px 0}
.empty{color:#666;font-style:italic}
.status-SUCCEEDED{color:#2e7d32}.status-FAILED{color:#c62828}.status-NOT_RELEASED{color:#ef6c00}
tr:target{background:#fff7d6}
code{font-size:12px}
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def number(value: int | float | None, digits: int = 0) -> str:
    if value is None:
        return '<td class="n">—</td>'
    shown = f"{value:,.{digits}f}" if digits else f"{value:,.0f}"
    return f'<td class="n" data-value="{esc(value)}">{shown}</td>'


def table(
    table_id: str,
    header: Sequence[str],
    rows: Iterable[tuple[str, Sequence[str]]],
    anchor: str | None = None,
) -> str:
    """rows: (data-key, cells already rendered as <td>…</td>); with `anchor`, each row also has
    the id `anchor + key` (what links point to)."""
    head = "".join(
        f'<th class="n">{esc(h[1:])}</th>' if h.startswith("#") else f"<th>{esc(h)}</th>"
        for h in header
    )
    ids = (lambda key: f' id="{esc(anchor + key)}"') if anchor else (lambda key: "")
    body = "".join(
        f'<tr{ids(key)} data-key="{esc(key)}">{"".join(cells)}</tr>' for key, cells in rows
    )
    return (
        f'<table id="{esc(table_id)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def chart(name: str, title: str, svg: str) -> str:
    return (
        f'<figure class="chart" id="chart-{name}"><figcaption id="{name}-title" hidden>'
        f"{esc(title)}</figcaption>{svg}</figure>"
    )


def numbers(inner: str) -> str:
    return f"<details><summary>the numbers</summary>{inner}</details>"


def section(section_id: str, title: str, body: str) -> str:
    return f'<section id="{section_id}"><h2>{esc(title)}</h2>{body}</section>'


def empty(text: str) -> str:
    return f'<p class="empty">{esc(text)}</p>'


def run_label(run: Run) -> str:
    return f"{run.started_at:%m-%d %H:%M} {run.domain} {run.job_id[:8]}"


def _per_day(
    by: str, per_day: list, order: Sequence[str], totals: list[tuple[str, int]]
) -> tuple[str, str]:
    """The stacked chart per day of one breakdown (regulation or severity), and its totals."""
    name = f"per-day-{by}"
    svg = charts.stacked_days(name, per_day, order)
    rows = ((key, (f"<td>{esc(key)}</td>", number(n))) for key, n in totals)
    return chart(name, f"Violations per day by {by}", svg), table(
        f"by-{by}", (by, "#violations"), rows
    )


def _violations_sections(data: ReportData) -> list[str]:
    where = data.scope.describe()
    if not data.total_violations:
        return [section("violations", "Violations", empty(f"No violations in {where}."))]
    reg, reg_table = _per_day("regulation", data.by_day_regulation, REGULATIONS, data.by_regulation)
    sev, sev_table = _per_day("severity", data.by_day_severity, SEVERITIES, data.by_severity)
    rules = data.by_rule[:TOP]
    rule_chart = chart(
        "top-rules",
        "Top rules",
        charts.ranking(
            "top-rules",
            [(rule, n) for _, rule, n in rules],
            [charts.color(reg, i) for i, (reg, _, _) in enumerate(rules)],
        ),
    )
    rule_table = table(
        "by-rule",
        ("regulation", "rule", "#violations"),
        (
            (rule, (f"<td>{esc(reg)}</td>", f"<td><code>{esc(rule)}</code></td>", number(n)))
            for reg, rule, n in data.by_rule
        ),
    )
    fields = data.by_field[:TOP]
    field_chart = chart("top-fields", "Top fields", charts.ranking("top-fields", fields))
    field_table = table(
        "by-field",
        ("field", "#violations"),
        ((f, (f"<td><code>{esc(f)}</code></td>", number(n))) for f, n in data.by_field),
    )
    pairs = table(
        "by-rule-field",
        ("rule", "field", "#violations"),
        (
            (
                f"{rule}|{fld}",
                (
                    f"<td><code>{esc(rule)}</code></td>",
                    f"<td><code>{esc(fld)}</code></td>",
                    number(n),
                ),
            )
            for rule, fld, n in data.by_rule_field[:TOP]
        ),
    )
    return [
        section(
            "regulations",
            f"Violations per regulation per day ({data.total_violations:,} in {where})",
            reg + numbers(reg_table),
        ),
        section("severities", "Violations per severity per day", sev + numbers(sev_table)),
        section("rules", "Top rules", rule_chart + numbers(rule_table)),
        section(
            "fields",
            "Top fields, and the most frequent (rule, field) pairs",
            field_chart + numbers(field_table) + pairs,
        ),
    ]


def _quarantine_section(data: ReportData) -> str:
    if not data.quarantine:
        return section("quarantine", "Quarantine", empty("Nothing was quarantined."))
    labels = {run.job_id: run_label(run) for run in data.runs}
    per_run: dict[str, dict[str, int]] = defaultdict(dict)
    reasons: dict[str, int] = defaultdict(int)
    for job_id, reason, n in data.quarantine:
        per_run[job_id][reason] = n
        reasons[reason] += n
    order = sorted(reasons, key=lambda r: (-reasons[r], r))
    shown = list(per_run)[:CHART_RUNS]
    svg = charts.stacked_runs(
        "quarantine",
        [labels.get(job, job[:8]) for job in shown],
        {reason: [per_run[job].get(reason, 0) for job in shown] for reason in order},
        "records quarantined",
    )
    rows = (
        (
            f"{job}|{reason}",
            (f'<td><a href="#run-{esc(job)}"><code>{esc(job[:12])}</code></a></td>',
             f"<td>{esc(reason)}</td>", number(n)),
        )
        for job, reason, n in data.quarantine
    )  # fmt: skip
    return section(
        "quarantine",
        "Quarantine reasons per run",
        chart("quarantine", "Quarantine reasons per run", svg)
        + numbers(table("quarantine-reasons", ("run", "reason", "#records"), rows)),
    )


def _dp_section(data: ReportData) -> str:
    """The privacy budget the window's differentially private releases spent (dp_ledger)."""
    if not data.dp_spent:
        return section("dp", "Privacy budget", empty("No differentially private releases."))
    rows = [
        (f"{domain}/{aggregate}", (
            f"<td>{esc(domain)}</td><td>{esc(aggregate)}</td>", number(releases),
            number(eps, 3), f'<td class="n">{delta:.3g}</td>',
            f"<td>{first:%Y-%m-%d} … {last:%Y-%m-%d}</td>",
        ))
        for domain, aggregate, releases, eps, delta, first, last in data.dp_spent
    ]  # fmt: skip
    body = table("dp-table", ("domain", "aggregate", "#releases", "#ε spent", "#δ spent",
                              "windows of event time"), rows)  # fmt: skip
    return section("dp", "Privacy budget spent", body)


def _runs_section(data: ReportData) -> str:
    if not data.runs:
        return section("runs", "Runs", empty(f"No runs in {data.scope.describe()}."))
    newest = data.runs[:CHART_RUNS]
    labels = [run_label(run) for run in newest]
    records = charts.stacked_runs(
        "run-records",
        labels,
        {
            "published": [run.published or 0 for run in newest],
            "suppressed": [run.suppressed or 0 for run in newest],
            "quarantined": [run.quarantined or 0 for run in newest],
        },
        "records",
    )
    oldest_first = newest[::-1]
    speed = charts.run_series(
        "run-speed",
        [run_label(run) for run in oldest_first],
        [run.records_per_s for run in oldest_first],
        [run.information_loss for run in oldest_first],
        "records/s",
        "information loss",
    )
    rows = []
    for run in data.runs:
        levels = ", ".join(f"{q}={lvl}" for q, lvl in sorted(run.levels.items())) or "—"
        cells = (
            f'<td>{run.started_at:%Y-%m-%d %H:%M}</td>',
            f'<td><a href="#run-{esc(run.job_id)}"><code>{esc(run.job_id)}</code></a></td>',
            f"<td>{esc(run.domain)}</td><td>{esc(run.mode)}</td>",
            f'<td class="status-{esc(run.status)}" title="{esc(run.reason)}">{esc(run.status)}</td>',
            number(run.records_in), number(run.published), number(run.suppressed),
            number(run.quarantined), number(run.violations), number(run.records_per_s),
            number(run.information_loss, 3), f"<td>{esc(run.k or '—')}</td><td>{esc(levels)}</td>",
            number(run.quality_score, 3), f"<td>{esc(run.quality_level or '—')}</td>",
            f"<td><code>{esc(run.input or '—')}</code></td><td><code>{esc(run.output or '—')}</code></td>",
        )  # fmt: skip
        rows.append((run.job_id, cells))
    body = table(
        "runs-table",
        ("started (UTC)", "job id", "domain", "mode", "status", "#in", "#published", "#suppressed",
         "#quarantined", "#violations", "#records/s", "#information loss", "k", "levels",
         "#quality", "quality level", "input", "output"),
        rows,
        anchor="run-",
    )  # fmt: skip
    return section(
        "runs",
        f"Runs ({len(data.runs):,}, newest first)",
        chart("run-records", "Records per run", records)
        + chart("run-speed", "Records/s and information loss per run", speed)
        + f'<div style="overflow-x:auto">{body}</div>',
    )


def render(data: ReportData) -> str:
    where = data.scope.describe()
    records_in = sum(run.records_in or 0 for run in data.runs)
    quarantined = sum(run.quarantined or 0 for run in data.runs)
    cards = "".join(
        f'<div class="card" id="card-{key}"><b data-value="{value}">{value:,}</b><span>{esc(label)}</span></div>'
        for key, value, label in (
            ("violations", data.total_violations, "violations"),
            ("runs", len(data.runs), "runs"),
            ("records-in", records_in, "records in (runs listed)"),
            ("quarantined", quarantined, "quarantined (runs listed)"),
        )
    )
    parts = [
        *_violations_sections(data),
        _quarantine_section(data),
        _runs_section(data),
        _dp_section(data),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>flink-compliance report — {esc(where)}</title><style>{CSS}</style></head>"
        f'<body><main><h1>flink-compliance report</h1><p class="meta">{esc(where)} · from '
        f"{data.window_start:%Y-%m-%d %H:%M} to {data.generated_at:%Y-%m-%d %H:%M} UTC · "
        "tokens only: the audit trail holds no raw identifier</p>"
        f'<div class="cards">{cards}</div>{"".join(parts)}</main></body></html>\n'
    )
