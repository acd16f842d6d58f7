"""The quality counts of one batch, column-wise from the engine's outputs (no second pass over
the input), and their merge across batches, splits or bundles. Counts, not shares: they add up.

    counts = measure(result, config, stale_before_ms)   # one engine batch
    total = merge([counts, ...])                         # a split, a run, a window
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udfs.arrow import as_bool
from udfs.quality.spec import Check, QualityConfig

Counts = dict[str, Any]
EVENT_DATE = "event_date"  # the records' UTC date of created_at


def stale_before_as_of(as_of: datetime, config: QualityConfig) -> int:
    """A bounded input's bound (ms): created more than max_age_days before the as-of date."""
    return int(as_of.timestamp() * 1000 - config.max_age_days * 86_400_000)


def empty() -> Counts:
    return {"records_in": 0, "valid": 0, "stale": 0, "distinct_ids": 0,
            "present": {}, "reasons": {}, "checks": {}}  # fmt: skip


def _date_text(records: pa.Table, name: str) -> pa.Array:
    """A date or timestamp field as its YYYY-MM-DD text (created_at: its UTC date)."""
    if name == "created_at":
        return records.column(EVENT_DATE)
    return pc.utf8_slice_codeunits(records.column(name), 0, 10)


def check_counts(records: pa.Table, check: Check) -> tuple[int, int]:
    """(records the check applies to — the field is non-empty —, records that pass it)."""
    column = records.column(check.field)
    applicable = len(column) - column.null_count
    if not applicable:
        return 0, 0
    if check.kind == "in":
        passed = pc.is_in(column, pa.array(check.value, pa.string()))
    elif check.kind == "pattern":
        passed = pc.match_substring_regex(column, f"^(?:{check.value})$")
    elif check.kind in ("min", "max"):
        numbers = pc.cast(column, pa.float64())
        bound = pa.scalar(float(check.value))
        passed = (
            pc.greater_equal(numbers, bound)
            if check.kind == "min"
            else pc.less_equal(numbers, bound)
        )
    else:  # not_after: both dates known, the first not later than the second
        other = _date_text(records, check.value)
        applicable = int(pc.sum(pc.and_(pc.is_valid(column), pc.is_valid(other))).as_py() or 0)
        passed = pc.less_equal(_date_text(records, check.field), other)
    return applicable, int(as_bool(passed).sum())


def measure(result: Any, config: QualityConfig, stale_before_ms: int) -> Counts:
    return measure_with_ids(result, config, stale_before_ms)[0]


def measure_with_ids(
    result: Any, config: QualityConfig, stale_before_ms: int
) -> tuple[Counts, pa.Array]:
    """The counts of one engine result (udfs.engine.EngineResult): the records that passed
    validation and those quarantined, per field the valid records holding a value, per reason
    the quarantined ones, the records whose event time is before `stale_before_ms`, and per
    consistency check the records it applies to and those passing it. `distinct_ids` is the
    batch's own: across batches the caller counts them (measure_with_ids also returns them)."""
    records, quarantine = result.records, result.quarantine
    valid = records.num_rows
    counts = empty()
    ids = distinct_ids(records)
    counts["records_in"] = valid + quarantine.num_rows
    counts["valid"] = valid
    if valid:
        counts["present"] = {n: valid - records.column(n).null_count for n in config.fields}
        event_ms = records.column("event_ms").to_numpy()
        counts["stale"] = int(np.count_nonzero(event_ms < stale_before_ms))
        counts["distinct_ids"] = len(ids)
        counts["checks"] = {c.name: list(check_counts(records, c)) for c in config.checks}
    if quarantine.num_rows:
        found = pc.value_counts(quarantine.column("reason")).to_pylist()
        counts["reasons"] = {item["values"]: item["counts"] for item in found}
    return counts, ids


def distinct_ids(records: pa.Table) -> pa.Array:
    """The batch's distinct record ids (a run's are the distinct values over its batches')."""
    return pc.unique(records.column("record_id")).drop_null()


def ids_table(parts: list[pa.Array]) -> pa.Table:
    """The distinct ids of several batches, as the table a split writes (one column)."""
    ids = pa.chunked_array(parts, pa.string()) if parts else pa.chunked_array([], pa.string())
    return pa.table({"record_id": pc.unique(ids)})


def count_distinct_ids(tables: Iterable[pa.Table]) -> int:
    """Distinct ids over the splits' ids tables (ids repeated across splits counted once)."""
    columns = [t.column("record_id") for t in tables]
    if not columns:
        return 0
    return pc.count_distinct(pa.chunked_array([c for col in columns for c in col.chunks],
                                              pa.string())).as_py()  # fmt: skip


def _add(into: dict, other: dict) -> None:
    for key, value in other.items():
        if isinstance(value, list):
            mine = into.setdefault(key, [0] * len(value))
            into[key] = [a + b for a, b in zip(mine, value, strict=True)]
        else:
            into[key] = into.get(key, 0) + value


def merge(parts: Iterable[Counts]) -> Counts:
    """The counts of several parts together (`distinct_ids` summed: exact only when the parts'
    ids do not overlap, which the caller makes true or replaces)."""
    total = empty()
    for part in parts:
        for key in ("records_in", "valid", "stale", "distinct_ids"):
            total[key] += part.get(key, 0)
        for key in ("present", "reasons", "checks"):
            _add(total[key], part.get(key) or {})
    return total
