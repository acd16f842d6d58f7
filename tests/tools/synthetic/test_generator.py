import csv
import hashlib

from tools.synthetic.generator import DEFAULT_AS_OF, generate, write_dataset
from udfs.rules import load_rule_set
from udfs.schema import load_schema
from udfs.validation import RecordInvalid, validate_record


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_bytes(tmp_path):
    write_dataset("healthcare", 300, tmp_path / "a", seed=3)
    write_dataset("healthcare", 300, tmp_path / "b", seed=3)
    write_dataset("healthcare", 300, tmp_path / "c", seed=4)
    for name in ("records.csv", "records.jsonl", "labels.csv", "malformed.csv"):
        assert digest(tmp_path / "a" / name) == digest(tmp_path / "b" / name)
    assert digest(tmp_path / "a" / "records.csv") != digest(tmp_path / "c" / "records.csv")


def test_labels_agree_with_rules_on_a_small_set():
    """The generator's truth is made without the detectors; the two must still agree."""
    for domain in ("healthcare", "financial"):
        rules = load_rule_set(domain, DEFAULT_AS_OF)
        schema = load_schema(domain)
        for item in generate(domain, 2000, seed=11):
            if item.malformed:
                with_reason = item.line is not None
                if not with_reason:
                    try:
                        validate_record(item.record, schema)
                    except RecordInvalid:
                        continue
                    raise AssertionError(f"malformed {item.malformed} passed validation")
                continue
            found = {(v.regulation, v.field) for v in rules.evaluate(item.record)}
            assert found == item.labels, item.record["record_id"]


def test_hard_cases_are_present(tmp_path):
    manifest = write_dataset("healthcare", 3000, tmp_path, seed=5)
    counts = manifest["counts"]
    assert counts["malformed"] > 0
    for regulation in ("HIPAA", "GDPR", "PCI-DSS", "LOCATION"):
        assert counts[regulation] > 0
    with open(tmp_path / "records.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ssns = [r["ssn"] for r in rows if r.get("ssn")]
    assert any(s.startswith("tok_") for s in ssns)
    assert any(s.startswith(("000", "666", "9")) for s in ssns)
    assert any(" " in s for s in ssns) and any("-" in s for s in ssns)
