"""The batch job through `flink run` on the local standalone cluster, with the audit trail in
the real PostgreSQL; a rerun of the same job does not duplicate violations."""

import csv
import json

import psycopg2
import pytest

from connectors.settings import PROJECT_ROOT, DatabaseSettings
from jobs import report
from tests.integration.cluster import job_keys
from tests.jobs.conftest import AS_OF
from tests.tools.report.tables import counts
from tools.flink_cluster import submit_python
from tools.synthetic.generator import write_dataset
from udfs.schema import CONF_DIR, read_yaml

pytestmark = pytest.mark.services
KEY = "integration-test-key-0123456789"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("cluster-data")
    write_dataset("financial", 1500, out, seed=29, as_of=AS_OF, jsonl=False)
    return out


def submit(data, out):
    with job_keys(KEY):
        job_id, output = submit_python(
            PROJECT_ROOT / "jobs" / "batch_compliance.py",
            ["--input", str(data / "records.csv"), "--domain", "financial", "--output", str(out),
             "--as-of", AS_OF.isoformat(), "--audit"],
        )  # fmt: skip
    return job_id, json.loads((out / "summary.json").read_text()), output


def db_rows(sql, params=()):
    with (
        psycopg2.connect(**DatabaseSettings.from_env().connect_kwargs()) as conn,
        conn.cursor() as cur,
    ):
        cur.execute(sql, params)
        return cur.fetchall()


def test_flink_run_with_audit_and_idempotent_rerun(data, tmp_path, capsys):
    _, summary, _ = submit(data, tmp_path / "out")
    assert summary["reconciled"] and summary["records_in"] == 1500
    with open(data / "labels.csv", newline="") as handle:
        truth = {(r["record_id"], r["regulation"], r["field"]) for r in csv.DictReader(handle)}
    rows = db_rows(
        "SELECT record_id, regulation, field, job_id FROM violations WHERE domain = 'financial' AND job_id = %s",
        (summary["job_id"],),
    )
    assert {(record_id, regulation, field) for record_id, regulation, field, _ in rows} == truth
    run = db_rows(
        "SELECT status, records_in, quarantined FROM job_runs WHERE job_id = %s",
        (summary["job_id"],),
    )
    assert run == [("SUCCEEDED", 1500, summary["quarantined"])]
    # The run's data quality on its row, its lineage events beside it, and the report answers
    # which run produced a lake partition.
    ((quality,),) = db_rows("SELECT quality FROM job_runs WHERE job_id = %s", (summary["job_id"],))
    assert quality == summary["quality"] and quality["passed"]
    events = db_rows("SELECT event_type, cardinality(outputs) FROM lineage WHERE job_id = %s "
                     "ORDER BY id", (summary["job_id"],))  # fmt: skip
    assert [e for e, _ in events] == ["START", "COMPLETE"] and events[1][1] > 5
    partition = next(p for p in sorted((tmp_path / "out" / "lake").iterdir()) if p.is_dir())
    capsys.readouterr()
    assert report.main(["--produced", str(partition)]) == 0
    assert summary["job_id"] in capsys.readouterr().out
    assert report.main(["--produced", str(tmp_path / "elsewhere")]) == 1
    # No raw PII in the audit database: descriptions and fields only, no card digits.
    leaked = db_rows("SELECT count(*) FROM violations WHERE description ~ '[0-9]{12}'")
    assert leaked == [(0,)]

    before = db_rows("SELECT count(*) FROM violations WHERE domain = 'financial'")[0][0]
    _, again, _ = submit(data, tmp_path / "out2")
    after = db_rows("SELECT count(*) FROM violations WHERE domain = 'financial'")[0][0]
    assert after == before  # upsert on (domain, record_id, rule_id, field)
    assert again["job_id"] != summary["job_id"]

    assert report.main(["--since", "1d", "--domain", "financial"]) == 0
    printed = capsys.readouterr().out
    assert "PCI-DSS" in printed and summary["job_id"][:12] in printed

    # The HTML report of the rerun: the database's numbers, and no raw value of the input.
    page = tmp_path / "report.html"
    assert report.main(["--job", again["job_id"], "--html", str(page)]) == 0
    html = page.read_text()
    by_regulation = db_rows(
        "SELECT regulation, count(*) FROM violations WHERE job_id = %s GROUP BY 1",
        (again["job_id"],),
    )
    assert counts(html, "by-regulation") == dict(by_regulation) and len(by_regulation) == 3
    fields = read_yaml(CONF_DIR / "schemas" / "financial.yaml")["fields"]
    personal = [
        f for f, spec in fields.items() if spec.get("personal") and spec["type"] == "string"
    ]
    with open(data / "records.csv", newline="") as handle:
        raw = {row[f] for row in csv.DictReader(handle) for f in personal if len(row[f] or "") >= 6}
    assert len(raw) > 1000
    assert [value for value in raw if value in html] == []


def test_a_plugin_rule_outside_the_package_runs_on_the_cluster(tmp_path):
    """The rules YAML names a plugin file beside it; the job ships it to the TaskManager's
    Python workers (it is not in the package zip), where it finds its violations."""
    import shutil

    import yaml

    from connectors.lake import read_parquet_dir
    from udfs.schema import read_rules

    write_dataset("healthcare", 600, tmp_path / "data", seed=31, as_of=AS_OF, jsonl=False)
    with open(tmp_path / "data" / "records.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    badged = set()
    for row in rows[::20]:
        row["notes"] = f"{row['notes']} checked by BADGE-{len(badged):04d}".strip()
        badged.add(row["record_id"])
    with open(tmp_path / "input.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    rules_dir = tmp_path / "my-rules"
    (rules_dir / "plugins").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "tests" / "plugins" / "badge_rule.py", rules_dir / "plugins")
    config = read_rules("healthcare")
    config["plugins"] = ["plugins/badge_rule.py"]
    config["rules"]["gdpr.badge_in_text"] = {"severity": "low"}
    (rules_dir / "rules.yaml").write_text(yaml.safe_dump(config))

    out = tmp_path / "out"
    with job_keys(KEY):
        submit_python(
            PROJECT_ROOT / "jobs" / "batch_compliance.py",
            ["--input", str(tmp_path / "input.csv"), "--domain", "healthcare", "--output",
             str(out), "--as-of", AS_OF.isoformat(), "--rules", str(rules_dir / "rules.yaml")],
        )  # fmt: skip
    assert json.loads((out / "summary.json").read_text())["reconciled"]
    violations = read_parquet_dir(out / "violations").to_pylist()
    found = {v["record_id"] for v in violations if v["rule_id"] == "gdpr.badge_in_text"}
    assert found == badged and len(badged) == 30
