"""The HTML report on the real PostgreSQL, opened in headless Chromium: it renders without a
console error, every chart is drawn, and its numbers are the database's (read both ways)."""

import json

import psycopg2
import pytest

from connectors import audit
from connectors.settings import RUN_DIR, DatabaseSettings
from jobs import report
from tests.integration import browser
from tests.tools.report.tables import counts, read

pytestmark = pytest.mark.services
DATABASE = "compliance_report_test"
WINDOW = "(now() at time zone 'utc') - interval '7 days'"


def _admin():
    conn = psycopg2.connect(
        **{**DatabaseSettings.from_env().connect_kwargs(), "dbname": "postgres"}
    )
    conn.autocommit = True
    return conn


@pytest.fixture
def report_db(monkeypatch):
    admin = _admin()
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{DATABASE}"')
    monkeypatch.setenv("COMPLIANCE_DB_NAME", DATABASE)
    conn = audit.connect()
    assert audit.ensure_schema(conn) == audit.SCHEMA_VERSION == 5
    yield conn
    conn.close()
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    admin.close()


RULES = [  # rule_id, field, regulation, severity: distinct counts so that rankings have no ties
    ("hipaa.identifier_in_clear", "ssn", "HIPAA", "critical"),
    ("hipaa.identifier_in_clear", "phone", "HIPAA", "high"),
    ("pci.card_in_clear", "card_number", "PCI-DSS", "critical"),
    ("gdpr.consent", "consent_given", "GDPR", "medium"),
    ("location.precise_gps", "latitude", "LOCATION", "low"),
]


def load(conn) -> None:
    """Three runs: two in the last week (one per domain), one ten days ago (outside it)."""
    runs = [
        ("run-new", "financial", 1),
        ("run-mid", "healthcare", 3),
        ("run-old", "healthcare", 10),
    ]
    with conn, conn.cursor() as cur:
        for n, (job_id, domain, days_ago) in enumerate(runs):
            started = f"(now() - interval '{days_ago} days' - interval '1 hour')"
            summary = {"records_in": 500 + n, "records_per_s": 1000.0 + n, "k": 5,
                       "levels": {"zip_code": n}, "input": f"/in/{job_id}.csv", "output": f"/out/{job_id}"}  # fmt: skip
            cur.execute(
                f"""INSERT INTO job_runs (job_id, job_name, domain, mode, started_at, finished_at,
                        status, records_in, published, suppressed, quarantined, violations,
                        information_loss, summary)
                    VALUES (%s, 'batch', %s, 'BATCH', {started}, {started} + interval '5 minutes',
                            'SUCCEEDED', %s, %s, %s, %s, %s, %s, %s)""",
                (job_id, domain, 500 + n, 480 + n, 10, 10 - n, 100 * (n + 1), 0.1 * n, json.dumps(summary)),
            )  # fmt: skip
            for r, reason in enumerate(
                ("expected 15 columns, got 7", "missing required field created_at")
            ):
                cur.execute(
                    "INSERT INTO quarantine VALUES (%s, %s, %s)", (job_id, reason, 3 + r + n)
                )
            for i, (rule, field, regulation, severity) in enumerate(RULES):
                cur.execute(
                    f"""INSERT INTO violations
                        SELECT %s, %s || '-' || g, %s, %s, %s, %s, 'description',
                               ({started} at time zone 'utc') + (g %% 3) * interval '8 hours', %s
                        FROM generate_series(1, %s) g""",
                    (domain, f"{job_id}-{i}", rule, field, regulation, severity, job_id, 7 + 11 * i + n),
                )  # fmt: skip


def db(conn, sql: str) -> dict:
    with conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    conn.rollback()
    return {"|".join(str(c) for c in row[:-1]): row[-1] for row in rows}


def test_the_page_in_a_browser_shows_the_databases_numbers(report_db, tmp_path, capsys):
    load(report_db)
    path = tmp_path / "report.html"
    assert report.main(["--since", "7d", "--html", str(path)]) == 0
    shot = RUN_DIR / "test-artifacts" / "report.png"
    page = browser.open_page(path.as_uri(), tmp_path / "chromium", height=4000, screenshot=shot)
    assert page.console == []
    assert shot.stat().st_size > 20_000

    shown = read(page.dom)
    assert len(shown.charts) == 7 and all(n > 20 for n in shown.charts.values()), shown.charts
    in_window = f"FROM violations WHERE detected_at >= {WINDOW}"
    assert counts(page.dom, "by-regulation") == db(
        report_db, f"SELECT regulation, count(*) {in_window} GROUP BY 1"
    )
    assert counts(page.dom, "by-severity") == db(
        report_db, f"SELECT severity, count(*) {in_window} GROUP BY 1"
    )
    assert counts(page.dom, "by-rule") == db(
        report_db, f"SELECT rule_id, count(*) {in_window} GROUP BY 1"
    )
    assert counts(page.dom, "by-rule-field") == db(
        report_db, f"SELECT rule_id, field, count(*) {in_window} GROUP BY 1, 2"
    )
    total = db(report_db, f"SELECT 'all', count(*) {in_window}")["all"]
    assert f'id="card-violations"><b data-value="{total}">' in page.dom
    runs = {key: values for key, _, values in shown.tables["runs-table"]}
    assert runs.keys() == {"run-new", "run-mid"}  # run-old started ten days ago
    in_db = db(report_db, "SELECT job_id, records_in FROM job_runs")
    assert {job: int(values[0]) for job, values in runs.items()} == {k: in_db[k] for k in runs}
    assert counts(page.dom, "quarantine-reasons") == db(
        report_db, "SELECT job_id, reason, records FROM quarantine WHERE job_id <> 'run-old'"
    )

    capsys.readouterr()
    assert report.main(["--since", "7d", "--format", "json"]) == 0
    as_json = json.loads(capsys.readouterr().out)
    assert as_json["total_violations"] == total and len(as_json["runs"]) == 2

    assert report.main(["--job", "run-old", "--html", str(path)]) == 0  # one run, whenever it was
    html = path.read_text()
    assert counts(html, "by-rule") == db(
        report_db, "SELECT rule_id, count(*) FROM violations WHERE job_id = 'run-old' GROUP BY 1"
    )
    assert list(counts(html, "runs-table")) == ["run-old"]  # fmt: skip


def test_an_empty_database_gives_a_page_that_says_so(report_db, tmp_path):
    path = tmp_path / "report.html"
    assert report.main(["--since", "7d", "--html", str(path)]) == 0
    page = browser.open_page(path.as_uri(), tmp_path / "chromium")
    assert page.console == []
    assert "No violations in the last 7d." in page.dom and "No runs in the last 7d." in page.dom


def test_a_bad_window_is_a_clear_error(capsys):
    assert report.main(["--since", "seven days"]) == 2
    assert "--since expects a number and a unit" in capsys.readouterr().err


def test_the_demo_ends_with_the_report_of_its_run(tmp_path, capsys):
    from jobs import demo

    assert demo.main(["--audit", "--output", str(tmp_path / "demo")]) == 0
    printed = capsys.readouterr().out
    path = tmp_path / "demo" / "report.html"
    assert printed.rstrip().endswith(str(path)) and path.is_file()
    summary = json.loads((tmp_path / "demo" / "summary.json").read_text())
    html = path.read_text()
    assert list(counts(html, "runs-table")) == [summary["job_id"]]
    assert sum(counts(html, "by-regulation").values()) == summary["violations"]["total"]
