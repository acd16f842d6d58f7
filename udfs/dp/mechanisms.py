"""The noise, from OpenDP (Rust core; `opendp` pinned in pyproject.toml): counts per group
through its Laplace threshold mechanism (discrete Laplace noise, then groups whose noisy count
falls below the threshold left out — a group only one person added to does not reveal itself by
being there); sums through its Laplace mechanism over the groups that selection kept. Scales are
calibrated by OpenDP's own privacy maps from the contribution bounds, never by hand."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from udfs.dp.spec import Aggregate

RELEASED = pa.schema([("window", pa.string()), ("group", pa.string()), ("value", pa.float64()),
                      ("noisy_count", pa.int64())])  # fmt: skip


def _opendp():
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


def version() -> str:
    from importlib.metadata import version as of

    return of("opendp")


@dataclass(frozen=True)
class Calibration:
    count_epsilon: float  # spent by the thresholded counts (the partition selection)
    count_scale: float
    threshold: int
    sum_epsilon: float  # spent by the sums (0 for a count)
    sum_scale: float

    @property
    def mechanism(self) -> str:
        counts = f"laplace_threshold(scale={self.count_scale:g}, threshold={self.threshold})"
        sums = f" + laplace(scale={self.sum_scale:g})" if self.sum_epsilon else ""
        return f"opendp {version()} {counts}{sums}"


def _count_distance(a: Aggregate) -> tuple[int, int, int]:
    """(L0, L1, L∞) of one person's change to the bounded counts."""
    return (a.max_groups, a.max_groups * a.max_records, a.max_records)


def _threshold_measurement(scale: float, threshold: int):
    dp = _opendp()
    domain = dp.map_domain(dp.atom_domain(T=str), dp.atom_domain(T="i64"))
    metric = dp.l01inf_distance(dp.absolute_distance(T="i64"))
    return dp.m.make_laplace_threshold(domain, metric, scale=scale, threshold=threshold)


def _sum_measurement(scale: float):
    dp = _opendp()
    domain = dp.vector_domain(dp.atom_domain(T=float, nan=False))
    return dp.m.make_laplace(domain, dp.l1_distance(T=float), scale=scale)


@lru_cache(maxsize=64)
def calibrate(a: Aggregate) -> Calibration:
    """Noise scales and the threshold that spend exactly the aggregate's ε and δ: a count's
    whole ε goes to its thresholded counts; a sum or mean splits ε evenly between the counts
    that select its groups and the sums."""
    dp = _opendp()
    count_epsilon = a.epsilon if a.measure == "count" else a.epsilon / 2
    d_in = _count_distance(a)
    scale = dp.binary_search(
        lambda s: _threshold_measurement(s, 1 << 40).map(d_in)[0] <= count_epsilon,
        bounds=(1e-6, 1e9), T=float,
    )  # fmt: skip
    threshold = dp.binary_search(
        lambda t: _threshold_measurement(scale, t).map(d_in)[1] <= a.delta,
        bounds=(a.max_records, 1 << 40), T="i64",
    )  # fmt: skip
    if a.measure == "count":
        return Calibration(count_epsilon, scale, threshold, 0.0, 0.0)
    sum_epsilon = a.epsilon - count_epsilon
    l1 = float(a.max_groups * a.max_records) * a.value_bound
    sum_scale = dp.binary_search(
        lambda s: _sum_measurement(s).map(l1) <= sum_epsilon, bounds=(1e-6, 1e12), T=float
    )
    return Calibration(count_epsilon, scale, threshold, sum_epsilon, sum_scale)


def release(groups: pa.Table, a: Aggregate) -> tuple[pa.Table, Calibration]:
    """One window's bounded groups (udfs.dp.contributions.bound: window, group, count, sum) as
    the published values: the noisy count, sum, or sum / count of each group selection kept."""
    calibration = calibrate(a)
    keys = groups.column("group").to_pylist()
    counts = groups.column("count").to_pylist()
    noisy = _threshold_measurement(calibration.count_scale, calibration.threshold)(
        dict(zip(keys, counts, strict=True))
    )
    kept = [k for k in keys if k in noisy]
    noisy_counts = np.array([noisy[k] for k in kept], dtype=np.int64)
    by_key = dict(zip(keys, groups.column("sum").to_pylist(), strict=True))
    if a.measure == "count" or not kept:
        values = noisy_counts.astype(np.float64)
    else:
        sums = np.array(_sum_measurement(calibration.sum_scale)([float(by_key[k]) for k in kept]))
        values = sums if a.measure == "sum" else sums / np.maximum(noisy_counts, 1)
    window = groups.column("window")[0].as_py() if groups.num_rows else ""
    table = pa.table({"window": pa.repeat(pa.scalar(window), len(kept)), "group": kept,
                      "value": values, "noisy_count": noisy_counts}, schema=RELEASED)  # fmt: skip
    return table, calibration
