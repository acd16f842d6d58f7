import re
from datetime import date, datetime

import pytest

from tests.tools.report.tables import counts, read
from tools.report.page import render
from tools.report.queries import ReportData, Run, Scope


def run(job_id: str, domain: str, day: int, **kw) -> Run:
    base = dict(
        job_id=job_id, job_name=f"flink-compliance batch {domain}", domain=domain, mode="BATCH",
        status="SUCCEEDED", started_at=datetime(2026, 1, day, 2), finished_at=datetime(2026, 1, day, 3),
        records_in=1000, published=990, suppressed=4, quarantined=6, violations=40,
        information_loss=0.25, records_per_s=21000.0, k=5, levels={"zip_code": 1, "gender": 0},
        input=f"/data/{domain}.csv", output=f"/lake/{domain}", reason=None,
    )  # fmt: skip
    return Run(**{**base, **kw})


@pytest.fixture
def data() -> ReportData:
    d = ReportData(
        scope=Scope("7d"), generated_at=datetime(2026, 1, 4), window_start=datetime(2025, 12, 28)
    )
    days = [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)]
    d.by_day_regulation = [
        (days[0], "HIPAA", 10),
        (days[0], "GDPR", 2),
        (days[1], "HIPAA", 7),
        (days[2], "PCI-DSS", 21),
    ]
    d.by_day_severity = [
        (days[0], "critical", 4),
        (days[0], "high", 8),
        (days[1], "high", 7),
        (days[2], "critical", 21),
    ]
    d.by_regulation = [("PCI-DSS", 21), ("HIPAA", 17), ("GDPR", 2)]
    d.by_severity = [("critical", 25), ("high", 15)]
    d.total_violations = 40
    d.by_rule = [
        ("PCI-DSS", "pci.card_in_clear", 21),
        ("HIPAA", "hipaa.identifier_in_clear", 17),
        ("GDPR", "gdpr.consent", 2),
    ]
    d.by_field = [("card_number", 21), ("ssn", 17), ("consent_given", 2)]
    d.by_rule_field = [
        ("pci.card_in_clear", "card_number", 21),
        ("hipaa.identifier_in_clear", "ssn", 17),
        ("gdpr.consent", "consent_given", 2),
    ]
    d.runs = [
        run("job-b", "financial", 3),
        run("job-a", "healthcare", 1, status="NOT_RELEASED", reason="k-anonymity: <no> release"),
    ]
    d.quarantine = [
        ("job-b", "expected 15 columns, got 7", 4),
        ("job-b", "invalid latitude: not a latitude in [-90, 90]", 2),
        ("job-a", "missing required field created_at", 6),
    ]
    return d  # fmt: skip


def test_page_is_self_contained(data):
    html = render(data)
    assert html.startswith("<!DOCTYPE html>")
    for outside in ("<script", "<link", " src=", 'href="http', "url(http", "@import"):
        assert outside not in html, outside
    assert len(html) < 1_000_000


def test_every_chart_is_an_inline_svg_and_ids_do_not_clash(data):
    html = render(data)
    page = read(html)
    assert set(page.charts) == {"chart-per-day-regulation", "chart-per-day-severity", "chart-top-rules",
                                "chart-top-fields", "chart-quarantine", "chart-run-records", "chart-run-speed"}  # fmt: skip
    assert all(elements > 20 for elements in page.charts.values()), page.charts
    assert html.count("<svg") == len(page.charts)
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    for target in re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', html):
        assert (target[0] or target[1]) in ids


def test_tables_hold_the_exact_numbers(data):
    html = render(data)
    assert counts(html, "by-regulation") == dict(data.by_regulation)
    assert counts(html, "by-severity") == dict(data.by_severity)
    assert counts(html, "by-rule") == {rule: n for _, rule, n in data.by_rule}
    assert counts(html, "by-rule-field") == {f"{r}|{f}": n for r, f, n in data.by_rule_field}
    assert counts(html, "quarantine-reasons") == {f"{j}|{r}": n for j, r, n in data.quarantine}
    runs = {key: values for key, _, values in read(html).tables["runs-table"]}
    assert list(runs) == ["job-b", "job-a"]  # newest first
    assert runs["job-a"][:5] == ["1000", "990", "4", "6", "40"]
    assert 'id="card-violations"><b data-value="40">' in html


def test_every_run_is_linkable(data):
    html = render(data)
    for job in ("job-a", "job-b"):
        assert f'<tr id="run-{job}"' in html and f'href="#run-{job}"' in html


def test_text_from_the_database_is_escaped(data):
    data.by_field[0] = ("<img src=x onerror=alert(1)>", 21)
    html = render(data)
    assert "<img" not in html and "&lt;img src=x" in html
    assert "k-anonymity: &lt;no&gt; release" in html


def test_an_empty_window_says_so():
    html = render(
        ReportData(
            scope=Scope("7d"),
            generated_at=datetime(2026, 1, 4),
            window_start=datetime(2025, 12, 28),
        )
    )
    assert "No violations in the last 7d." in html and "No runs in the last 7d." in html
    assert "Nothing was quarantined." in html and "<svg" not in html


def test_runs_without_violations_still_show_the_runs(data):
    data.total_violations = 0
    for name in (
        "by_regulation",
        "by_severity",
        "by_day_regulation",
        "by_day_severity",
        "by_rule",
        "by_field",
        "by_rule_field",
    ):
        setattr(data, name, [])
    html = render(data)
    assert "No violations in the last 7d." in html
    assert set(read(html).charts) == {"chart-quarantine", "chart-run-records", "chart-run-speed"}
