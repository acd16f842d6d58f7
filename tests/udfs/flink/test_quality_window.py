import json

from udfs.flink.quality import window_quality
from udfs.quality.spec import parse_quality
from udfs.schema import load_schema

CONFIG = parse_quality({"min_score": 0.9}, load_schema("healthcare"))


def part(records_in, valid, present=None):
    return json.dumps({"records_in": records_in, "valid": valid, "stale": 0, "distinct_ids": 0,
                       "present": present or {}, "reasons": {"bad": records_in - valid},
                       "checks": {}})  # fmt: skip


def test_a_window_merges_its_batches_and_takes_its_distinct_ids_from_sql():
    parts = "\n".join([part(10, 8), part(10, 10)])
    row = window_quality(CONFIG, "2026-01-01 00:00:00", "2026-01-01 00:01:00", 15, 2, parts)
    detail = json.loads(row["detail"])
    assert detail["records_in"] == 20 and detail["metrics"]["validity"] == 0.9
    assert detail["duplicates"] == 3 and detail["late"] == 2
    assert row["window_start"] == "2026-01-01 00:00:00" and row["level"] == detail["level"]


def test_a_window_below_the_threshold_fails_with_its_reasons():
    row = window_quality(CONFIG, None, None, 1, 0, part(10, 1))
    assert not row["passed"] and "below min_score 0.9" in json.loads(row["detail"])["failures"][0]


def test_a_window_of_nothing_passes():
    assert window_quality(CONFIG, None, None, None, None, None)["passed"]
