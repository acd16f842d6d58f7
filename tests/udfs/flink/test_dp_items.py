"""The streaming release's parsing of a window's items (no JVM: the function is plain Arrow)."""

import pytest

pytest.importorskip("pyflink")

from udfs.flink.dp import items_table, window_moment


def test_items_split_into_columns_counts_and_sums():
    items = ["tok_a\x1f10001\x1f3\x1f12.5", "tok_b\x1f\x1f1\x1f0.0", None]
    table, n, s = items_table(items, ["ssn", "zip_code"])
    assert table.column("ssn").to_pylist() == ["tok_a", "tok_b"]
    assert table.column("zip_code").to_pylist() == ["10001", ""]
    assert list(n) == [3, 1] and list(s) == [12.5, 0.0]


def test_flinks_timestamp_text_is_read_as_utc():
    assert window_moment("2026-03-01 10:00:00.000").isoformat() == "2026-03-01T10:00:00+00:00"
