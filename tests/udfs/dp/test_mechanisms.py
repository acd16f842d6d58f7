"""OpenDP's noise at the scale the bounds call for, partition selection, and the release rows."""

import json
import math

import numpy as np
import pyarrow as pa

from udfs.dp.contributions import GROUPS
from udfs.dp.mechanisms import calibrate, release
from udfs.dp.publish import DP_ROWS, Window, publish_rows
from udfs.dp.spec import Aggregate, Budget, DPConfig

COUNT = Aggregate("c", (("zip", None),), "count", 1.0, 1e-6, max_groups=2, max_records=3)
SUM = Aggregate("s", (("zip", None),), "sum", 2.0, 1e-6, max_groups=1, max_records=2,
                column="amount", bounds=(0.0, 50.0))  # fmt: skip


def groups(counts: dict[str, int], sums: dict[str, float] | None = None) -> pa.Table:
    keys = list(counts)
    return pa.table({"window": ["w"] * len(keys), "group": keys,
                     "count": [counts[k] for k in keys],
                     "sum": [(sums or {}).get(k, 0.0) for k in keys]}, schema=GROUPS)  # fmt: skip


def discrete_laplace_mae(scale: float) -> float:
    """E|X| of the discrete Laplace distribution with P(x) ∝ exp(-|x| / scale)."""
    r = math.exp(-1 / scale)
    return 2 * r / ((1 - r) * (1 + r))


def test_the_count_noise_scale_is_the_l1_bound_over_epsilon():
    calibration = calibrate(COUNT)
    assert calibration.count_scale == COUNT.max_groups * COUNT.max_records / COUNT.epsilon
    assert calibration.threshold > COUNT.max_records


def test_mean_absolute_error_of_counts_matches_the_theory_within_ten_percent():
    truth = {f"g{i}": 1000 for i in range(4000)}
    errors = []
    for _ in range(5):
        released, _ = release(groups(truth), COUNT)
        errors += [abs(v - 1000) for v in released.column("value").to_pylist()]
    theory = discrete_laplace_mae(6.0)  # L1 = 2 groups × 3 records, ε = 1
    assert abs(np.mean(errors) - theory) / theory < 0.10


def test_sum_noise_matches_its_share_of_epsilon():
    truth = {f"g{i}": 1000 for i in range(3000)}
    released, calibration = release(groups(truth, {k: 20000.0 for k in truth}), SUM)
    # ε split evenly: the sums get 1.0, their L1 bound is 1 group × 2 records × 50
    assert calibration.sum_epsilon == 1.0
    assert abs(calibration.sum_scale - 100.0) / 100.0 < 0.01
    mae = np.mean(np.abs(np.array(released.column("value").to_pylist()) - 20000.0))
    assert abs(mae - 100.0) / 100.0 < 0.10


def test_a_group_seen_for_one_person_is_not_published():
    released, calibration = release(groups({"big": 5000, "lonely": COUNT.max_records}), COUNT)
    assert released.column("group").to_pylist() == ["big"]
    assert calibration.threshold > COUNT.max_records


def test_published_rows_say_their_epsilon_delta_window_and_mechanism():
    from datetime import UTC, datetime

    config = DPConfig("healthcare", "ssn", 60, "input", Budget(10, 1e-3), (COUNT,), {})
    pairs = pa.table({"window": ["w"] * 3, "person": ["a", "b", "c"], "group": ["100"] * 3,
                      "n": [1, 1, 1], "s": [0.0, 0.0, 0.0]})  # fmt: skip
    window = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC))
    released = publish_rows({"c": pairs}, {"w": window}, config, "job1")
    assert released.rows.schema == DP_ROWS
    assert released.groups_in == 1
    [spend] = released.spends
    assert (spend.epsilon, spend.delta, len(spend.days())) == (1.0, 1e-6, 2)
    assert "laplace_threshold" in released.mechanisms["c"]
    assert released.rows.num_rows == 0  # 3 people are below the threshold
    big = pa.table({"window": ["w"] * 500, "person": [f"p{i}" for i in range(500)],
                    "group": ["100"] * 500, "n": [1] * 500, "s": [0.0] * 500})  # fmt: skip
    [row] = publish_rows({"c": big}, {"w": window}, config, "job1").rows.to_pylist()
    assert json.loads(row["group"]) == {"zip": "100"}
    assert (row["epsilon"], row["delta"]) == (1.0, 1e-6)
    assert (row["window_start"], row["window_end"]) == (
        "2026-01-01T00:00:00Z",
        "2026-01-03T00:00:00Z",
    )
    assert abs(row["value"] - 500) < 100
