"""The pandas baseline applies the job's own rules and tokenization: same counts, tokens only."""

from datetime import UTC, datetime

import pyarrow.parquet as pq

from connectors.synthetic.generator import write_dataset
from scripts.benchmarks.memory import tree_rss_bytes
from scripts.benchmarks.pandas_baseline import run

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


def test_baseline_counts_and_tokens(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_TOKEN_KEY", "unit-test-key-0123456789")
    manifest = write_dataset("healthcare", 400, tmp_path / "data", seed=3, as_of=AS_OF, jsonl=False)
    result = run(tmp_path / "data" / "records.csv", "healthcare", tmp_path / "out", AS_OF)
    assert result["rows"] == 400 == result["records"] + result["quarantined"]
    assert result["quarantined"] >= manifest["counts"]["malformed"] > 0
    records = pq.read_table(tmp_path / "out" / "records.parquet").to_pylist()
    assert all(r["ssn"] is None or r["ssn"].startswith("tok_ssn_") for r in records)
    violations = pq.read_table(tmp_path / "out" / "violations.parquet")
    assert violations.num_rows == result["violations"] > 0


def test_tree_rss_counts_this_process():
    assert tree_rss_bytes(__import__("os").getpid()) > 10 * 2**20
