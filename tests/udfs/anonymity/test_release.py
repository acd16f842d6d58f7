"""The batch release without I/O: what is published, what is suppressed, and why not."""

import pyarrow as pa

from udfs.anonymity.release import NOT_RELEASED, SUCCEEDED, release

ANONYMITY = {
    "k": 2, "max_suppression": 0.25, "quasi_identifiers": ["zip_code"],
    "hierarchies": {"zip_code": {"kind": "zip"}},
}  # fmt: skip


def staged(zips: list[str]) -> pa.Table:
    days = [f"2026-01-{1 + i % 3:02d}" for i in range(len(zips))]
    return pa.table({"record_id": [f"r{i}" for i in range(len(zips))], "zip_code": zips,
                     "event_date": days})  # fmt: skip


def test_groups_of_k_are_published_generalized_as_little_as_needed():
    decided = release(
        staged(["10001", "10001", "10002", "10002", "10003", "10003", "10003"]), ANONYMITY
    )
    assert decided.status == SUCCEEDED and decided.levels == {"zip_code": 0}
    assert decided.published == 7 and decided.suppressed == 0 and decided.information_loss == 0.0
    assert decided.records["event_date"].to_pylist() == sorted(
        decided.records["event_date"].to_pylist()
    )


def test_a_lone_value_is_suppressed_within_the_budget_or_generalized():
    decided = release(staged(["10001", "10001", "10001", "94105"]), ANONYMITY)
    assert decided.status == SUCCEEDED
    assert decided.published + decided.suppressed == 4
    assert "94105" not in decided.records["zip_code"].to_pylist()


def test_no_release_within_the_budget_says_why_and_publishes_nothing():
    decided = release(
        staged(["10001", "94105", "60601"]), {**ANONYMITY, "k": 5, "max_suppression": 0.0}
    )
    assert decided.status == NOT_RELEASED and decided.published == 0 and decided.suppressed == 3
    assert "k-anonymity" in decided.reason and decided.figures()["status"] == NOT_RELEASED


def test_nothing_staged_is_an_empty_release():
    decided = release(staged([]), ANONYMITY)
    assert decided.status == SUCCEEDED and decided.figures()["published"] == 0
