"""Contribution bounding on small hand-made data: however many records one person has, the
counts and sums move by at most the aggregate's bounds."""

import numpy as np
import pyarrow as pa
import pytest

from udfs.dp.contributions import bound, clamped, merge_pairs, pairs
from udfs.dp.spec import Aggregate

COUNT = Aggregate("per_zip", (("zip", None),), "count", 1.0, 1e-6, max_groups=2, max_records=3)
SUM = Aggregate("amount", (("zip", None),), "sum", 1.0, 1e-6, max_groups=1, max_records=2,
                column="amount", bounds=(0.0, 100.0))  # fmt: skip


def records(rows: list[tuple[str, str, str]]) -> pa.Table:
    person, zips, amounts = zip(*rows, strict=True)
    return pa.table({"ssn": list(person), "zip": list(zips), "amount": list(amounts)})


def totals(table: pa.Table) -> dict[str, tuple[int, float]]:
    return {r["group"]: (r["count"], r["sum"]) for r in table.to_pylist()}


def test_a_person_with_a_thousand_records_adds_at_most_max_records_to_a_count():
    crowd = [(f"p{i}", "100", "1") for i in range(50)]
    heavy = [("whale", "100", "1")] * 1000
    without, _ = pairs(records(crowd), COUNT, {}, "ssn", "w")
    with_whale, _ = pairs(records(crowd + heavy), COUNT, {}, "ssn", "w")
    assert totals(bound(without, COUNT))["100"][0] == 50
    assert totals(bound(with_whale, COUNT))["100"][0] == 50 + 3


def test_a_person_in_many_groups_adds_to_at_most_max_groups_of_them():
    spread = [("whale", f"{z:03d}", "1") for z in range(40)]
    got = totals(bound(pairs(records(spread), COUNT, {}, "ssn", "w")[0], COUNT))
    assert len(got) == 2 and all(n == 1 for n, _ in got.values())


def test_sums_are_clamped_per_record_and_cut_to_max_records():
    rows = [("a", "100", "5000"), ("a", "100", "-3"), ("a", "100", "50"), ("b", "100", "x")]
    got = totals(bound(pairs(records(rows), SUM, {}, "ssn", "w")[0], SUM))
    # a: 3 records clamped to 100 + 0 + 50 = 150, cut to 2 of 3 → 100; b: unreadable → 0
    assert got["100"][0] == 3
    assert got["100"][1] == pytest.approx(100.0)


def test_records_without_a_person_are_left_out_and_counted():
    rows = [("", "100", "1"), ("a", "100", "1")]
    table, without = pairs(records(rows), COUNT, {}, "ssn", "w")
    assert without == 1 and table.num_rows == 1


def test_pairs_of_parts_merge_into_the_pairs_of_the_whole():
    rows = [("a", "100", "1")] * 4 + [("b", "200", "1")]
    whole, _ = pairs(records(rows), COUNT, {}, "ssn", "w")
    parts = merge_pairs([pairs(records(rows[:2]), COUNT, {}, "ssn", "w")[0],
                         pairs(records(rows[2:]), COUNT, {}, "ssn", "w")[0]])  # fmt: skip
    assert sorted(whole.to_pylist(), key=str) == sorted(parts.to_pylist(), key=str)
    # merged first, bounded after: a's 4 records across two parts still count as 3
    assert totals(bound(parts, COUNT))["100"][0] == 3


def test_windows_bound_separately():
    rows = records([("a", "100", "1")] * 5)
    first, _ = pairs(rows, COUNT, {}, "ssn", "w1")
    second, _ = pairs(rows, COUNT, {}, "ssn", "w2")
    got = bound(merge_pairs([first, second]), COUNT).to_pylist()
    assert sorted((r["window"], r["count"]) for r in got) == [("w1", 3), ("w2", 3)]


def test_clamped_reads_numbers_and_counts_the_rest_as_zero():
    values = pa.array(["12.5", " 7 ", "-4", "abc", None, "1e3"])
    assert list(clamped(values, (0.0, 100.0))) == [12.5, 7.0, 0.0, 0.0, 0.0, 100.0]


def test_group_keys_use_the_hierarchy_levels():
    from udfs.anonymity.hierarchies import Icd10Hierarchy, ZipHierarchy

    a = Aggregate("x", (("zip", 1), ("dx", 2)), "count", 1.0, 1e-6, 1, 1)
    table = pa.table({"ssn": ["a", "b"], "zip": ["10001", "10099"], "dx": ["E11.9", "E10.1"]})
    got, _ = pairs(table, a, {"zip": ZipHierarchy(), "dx": Icd10Hierarchy()}, "ssn", "w")
    assert set(got.column("group").to_pylist()) == {"100\x1fE"}
    assert np.sum(got.column("n").to_numpy()) == 2
