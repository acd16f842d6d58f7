"""Each metric on small hand-made inputs with known answers, through the engine (as the jobs
measure it: from the engine's outputs)."""

from datetime import UTC, datetime

import pytest

from tests.harness import AS_OF, KEY, csv_text, record
from udfs.quality.measure import count_distinct_ids, distinct_ids, ids_table, measure, merge
from udfs.quality.score import score
from udfs.quality.spec import parse_quality
from udfs.schema import load_schema, read_rules

HEALTH = load_schema("healthcare")
NOW_MS = int(AS_OF.timestamp() * 1000)


def engine_result(records, domain="healthcare", per_record_below=100):
    import pyarrow as pa

    from udfs.engine import Engine

    header, *lines = csv_text(records, domain).splitlines()
    engine = Engine(load_schema(domain), read_rules(domain), AS_OF, KEY,
                    layouts={"/in.csv": header})  # fmt: skip
    engine.per_record_below = per_record_below
    return engine.process_lines(pa.array([line.encode() for line in lines], pa.binary()))


def quality(records, raw=None, stale_before_ms=0, per_record_below=100):
    config = parse_quality(raw or {}, HEALTH)
    counts = measure(engine_result(records, per_record_below=per_record_below), config,
                     stale_before_ms)  # fmt: skip
    return counts, score(merge([counts]), config)


@pytest.mark.parametrize("per_record_below", [100, 0])  # the per-record path and the engine's
def test_completeness_counts_a_field_where_a_valid_record_holds_it(per_record_below):
    records = [record("a", ssn="123-45-6789"), record("b"), record("c"), record("d")]
    _, q = quality(records, {"completeness": {"fields": ["ssn", "record_id"]}},
                   per_record_below=per_record_below)  # fmt: skip
    assert q.completeness == {"ssn": 0.25, "record_id": 1.0}
    assert q.metrics["completeness"] == pytest.approx((0.25 + 1.0) / 2)


def test_a_required_field_missing_counts_against_completeness_and_validity():
    records = [record("a"), record("b"), record("c", created_at="")]
    counts, q = quality(records, {"completeness": {"fields": ["created_at"]}})
    assert counts["reasons"] == {"missing required field created_at": 1}
    assert q.completeness["created_at"] == pytest.approx(2 / 3)
    assert q.metrics["validity"] == pytest.approx(2 / 3)
    assert q.reasons == {"missing required field created_at": pytest.approx(1 / 3)}


def test_validity_counts_lines_that_do_not_parse():
    _, q = quality([record("a"), "not,a,record", record("b"), record("c", latitude="91")])
    assert q.records_in == 4 and q.metrics["validity"] == 0.5


def test_uniqueness_counts_duplicate_ids_once_per_extra_copy():
    _, q = quality([record("a"), record("a"), record("a"), record("b")])
    assert q.duplicates == 2 and q.metrics["uniqueness"] == 0.5


def test_uniqueness_across_parts_counts_ids_shared_between_them():
    parts = [engine_result([record("a"), record("b")]), engine_result([record("b"), record("c")])]
    tables = [ids_table([distinct_ids(p.records)]) for p in parts]
    assert count_distinct_ids(tables) == 3


def test_timeliness_is_the_share_created_after_the_bound():
    bound = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp() * 1000)
    records = [record("a", created_at="2024-06-01T00:00:00Z"), record("b"), record("c"),
               record("d")]  # fmt: skip
    counts, q = quality(records, stale_before_ms=bound)
    assert counts["stale"] == 1 and q.metrics["timeliness"] == 0.75


def test_consistency_checks_each_judge_their_non_empty_values():
    raw = {"consistency": [
        {"name": "gender", "field": "gender", "in": ["F", "M"]},
        {"name": "born", "field": "date_of_birth", "not_after": "created_at"},
        {"name": "icd", "field": "diagnosis_code", "pattern": "[A-Z][0-9]{2}(\\.[0-9A-Z]+)?"},
    ]}  # fmt: skip
    records = [
        record("a", gender="F", date_of_birth="1990-01-01", diagnosis_code="E11.9"),
        record("b", gender="Q", date_of_birth="2025-06-02", diagnosis_code="nope"),
        record("c", gender="M", diagnosis_code="J45"),
        record("d"),  # nothing to judge
    ]
    counts, q = quality(records, raw)
    assert counts["checks"] == {"gender": [3, 2], "born": [2, 1], "icd": [3, 2]}
    assert q.checks == {"gender": pytest.approx(2 / 3), "born": 0.5, "icd": pytest.approx(2 / 3)}
    assert q.metrics["consistency"] == pytest.approx((2 / 3 + 0.5 + 2 / 3) / 3)


def test_numeric_bounds_on_the_financial_amount():
    config = parse_quality({"consistency": [{"name": "pos", "field": "transaction_amount",
                                              "min": 0}]}, load_schema("financial"))  # fmt: skip
    rows = [{"record_id": i, "created_at": "2025-06-01T00:00:00Z", "transaction_amount": a}
            for i, a in (("a", "10.5"), ("b", "-3"), ("c", ""))]  # fmt: skip
    counts = measure(engine_result(rows, "financial"), config, 0)
    assert counts["checks"] == {"pos": [2, 1]}


def test_the_score_weighs_the_metrics_and_names_the_thresholds_missed():
    raw = {"weights": {"completeness": 0, "validity": 1, "uniqueness": 1, "timeliness": 0,
                       "consistency": 0},
           "min_score": 0.9, "minimums": {"uniqueness": 0.9}}  # fmt: skip
    _, q = quality([record("a"), record("a"), "bad line", record("b")], raw)
    # validity 3/4, uniqueness 2/3: the score is their mean
    assert q.score == pytest.approx((0.75 + 2 / 3) / 2)
    assert not q.passed and q.level == "fair"
    assert q.failures == (
        f"quality score {q.score:.3f} is below min_score 0.9",
        "uniqueness 0.667 is below its minimum 0.9",
    )


def test_counts_merge_by_adding():
    a, _ = quality([record("a", gender="F"), "bad"], {"completeness": {"fields": ["gender"]}})
    b, _ = quality([record("b")], {"completeness": {"fields": ["gender"]}})
    total = merge([a, b])
    assert total["records_in"] == 3 and total["valid"] == 2
    assert total["present"] == {"gender": 1} and sum(total["reasons"].values()) == 1


def test_nothing_in_scores_one_and_passes():
    q = score(merge([]), parse_quality({"min_score": 0.9}, HEALTH))
    assert q.score == 1.0 and q.passed
