"""The single-process baseline does the job's work: same counts, tokens only, a k-anonymous lake."""

from collections import Counter
from datetime import UTC, datetime

from connectors.lake import read_lake
from scripts.benchmarks.engine_baseline import run
from scripts.benchmarks.memory import tree_rss_bytes
from tools.synthetic.generator import write_dataset
from udfs.schema import load_schema

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


def test_baseline_counts_tokens_and_release(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_TOKEN_KEY", "unit-test-key-0123456789")
    monkeypatch.setenv("COMPLIANCE_QUARANTINE_KEY", "unit-test-quarantine-key-0123456789")
    manifest = write_dataset(
        "healthcare", 3000, tmp_path / "data", seed=3, as_of=AS_OF, jsonl=False
    )
    result = run(tmp_path / "data" / "records.csv", "healthcare", tmp_path / "out", AS_OF)
    assert result["rows"] == 3000 == result["records"] + result["quarantined"]
    assert result["quarantined"] == manifest["counts"]["malformed"] > 0
    lake = read_lake(tmp_path / "out" / "lake").to_pylist()
    assert len(lake) == result["published"] > 0
    assert all(r["ssn"] is None or r["ssn"].startswith("tok_ssn_") for r in lake)
    qis = load_schema("healthcare").anonymity["quasi_identifiers"]
    assert min(Counter(tuple(r[q] for q in qis) for r in lake).values()) >= 5
    assert result["violations"] > 0 and not (tmp_path / "out" / "_staging").exists()


def test_tree_rss_counts_this_process():
    assert tree_rss_bytes(__import__("os").getpid()) > 10 * 2**20
