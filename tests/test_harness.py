"""The harness's own tests, which double as its examples: records in, named rows out."""

from tests.harness import record, run_batch_job, run_engine


def test_an_ssn_in_free_text_is_a_violation_an_alert_and_masked_in_the_lake():
    out = run_engine([record(notes="patient SSN 123-45-6789 on file"), record("r2")])
    assert [(v["record_id"], v["rule_id"]) for v in out.violations] == [
        ("r1", "hipaa.phi_in_free_text")
    ]
    assert [a["record_id"] for a in out.alerts] == ["r1"]
    assert "123-45-6789" not in out.by_id()["r1"]["notes"]
    assert out.by_id()["r2"]["notes"] is None  # an empty field is null


def test_a_line_that_is_not_a_record_is_quarantined_with_its_reason():
    out = run_engine([record(), "r9,only,three"])
    assert [(q["record_id"], q["reason"]) for q in out.quarantine] == [
        ("r9", "expected 15 columns, got 3")
    ]
    assert list(out.by_id()) == ["r1"]


def test_the_batch_job_in_the_minicluster_reconciles_and_names_its_rows(tmp_path):
    records = [record(f"r{i}", zip_code="02139", gender="F", date_of_birth="1980-05-05",
                      diagnosis_code="E11.9") for i in range(12)]  # fmt: skip
    records[3]["notes"] = "SSN 123-45-6789"
    out = run_batch_job([*records, "broken,line"], tmp_path)
    assert out.summary["reconciled"] and out.summary["records_in"] == 13
    assert [q["reason"] for q in out.quarantine] == ["expected 15 columns, got 2"]
    assert {v["record_id"] for v in out.violations} >= {"r3"}
    assert len(out.records) + out.summary["suppressed"] == 12
