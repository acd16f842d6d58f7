import pyarrow as pa

from udfs.anonymity.release import NOT_RELEASED, Release
from udfs.summary import BatchSummary, Timings


def summary(expected: int, published: int, suppressed: int, quarantined: dict, **release):
    records = pa.table({"record_id": [str(i) for i in range(published)]})
    released = Release(records, k=5, max_suppression=0.02, staged=published + suppressed,
                       suppressed=suppressed, **release)  # fmt: skip
    return BatchSummary(
        job_id="j", domain="healthcare", input="in.csv", output="out", as_of="2026-01-01",
        records_expected=expected, released=released, lake_files=1,
        quarantine_reasons=quarantined, violations_by_regulation={"HIPAA": 3, "GDPR": 2},
        timings=Timings(wall=10.0, startup=4.0, scan=5.0, release=1.0),
    )  # fmt: skip


def test_counts_that_add_up_reconcile():
    s = summary(100, published=90, suppressed=4, quarantined={"bad date": 6})
    assert s.reconciled and s.mismatch() is None
    shown = s.as_dict()
    assert shown["records_in"] == 100 and shown["quarantined"] == 6
    assert shown["violations"] == {"total": 5, "GDPR": 2, "HIPAA": 3}
    assert shown["records_per_s"] == 10.0 and shown["records_per_s_excluding_startup"] == 16.7
    assert shown["status"] == "SUCCEEDED" and "reason" not in shown


def test_a_record_lost_or_counted_twice_is_named():
    lost = summary(100, published=89, suppressed=4, quarantined={"bad date": 6})
    assert not lost.reconciled
    assert lost.mismatch() == (
        "counts do not reconcile: 100 records in the input, but published 89 + suppressed 4 + "
        "quarantined 6 = 99"
    )
    assert summary(100, 91, 4, {"bad date": 6}).mismatch().endswith("= 101")


def test_a_release_refused_says_why():
    s = summary(10, 0, 10, {}, status=NOT_RELEASED, reason="no level gives k=5")
    assert s.as_dict()["status"] == NOT_RELEASED and s.as_dict()["reason"] == "no level gives k=5"
