"""A window's (or the whole input's) differentially private release, the same for both jobs:
bounded groups → OpenDP's noise and partition selection → the published rows (DP_ROWS, one per
group kept, each saying its ε, δ, window and mechanism) and what the release spends (the ledger's
entries). The batch job calls it over the whole input (or per day), the streaming job per
tumbling event-time window."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from udfs.anonymity.frequencies import SEPARATOR
from udfs.dp.budget import Spend
from udfs.dp.contributions import PAIRS, bound
from udfs.dp.mechanisms import release
from udfs.dp.spec import Aggregate, DPConfig

WHOLE_INPUT = "input"  # the window label of a batch run's release over all of its input
DP_ROWS = pa.schema(
    [
        ("domain", pa.string()),
        ("aggregate", pa.string()),
        ("window_start", pa.string()),  # ISO-8601 UTC, …Z (as the lake's text columns)
        ("window_end", pa.string()),
        ("group", pa.string()),  # JSON object: group-by column → generalized value
        ("measure", pa.string()),
        ("value", pa.float64()),
        ("epsilon", pa.float64()),
        ("delta", pa.float64()),
        ("mechanism", pa.string()),
        ("job_id", pa.string()),
    ]
)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_window(day: str) -> Window:
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return Window(start, start + timedelta(days=1))


def days_window(days: list[str]) -> Window:
    """The whole input: from its first day of event time to the end of its last."""
    return Window(day_window(min(days)).start, day_window(max(days)).end)


@dataclass(frozen=True)
class Released:
    rows: pa.Table  # DP_ROWS
    spends: list[Spend]
    groups_in: int  # groups before partition selection (never published: for the summary)
    mechanisms: dict[str, str]


def publish_rows(
    pairs: dict[str, pa.Table], windows: dict[str, Window], config: DPConfig, job_id: str,
) -> Released:  # fmt: skip
    """`pairs` per aggregate name (udfs.dp.contributions.PAIRS, merged: one row per window,
    person and group), their window labels keys of `windows`: every aggregate's release over
    every window."""
    parts, spends, groups_in, mechanisms = [], [], 0, {}
    for aggregate in config.aggregates:
        bounded = bound(pairs.get(aggregate.name, PAIRS.empty_table()), aggregate)
        groups_in += bounded.num_rows
        for label in sorted(set(bounded.column("window").to_pylist())):
            window = windows[label]
            one = bounded.filter(pc.equal(bounded.column("window"), label))
            released, calibration = release(one, aggregate)
            mechanisms[aggregate.name] = calibration.mechanism
            parts.append(_rows(released, aggregate, window, config.domain, job_id,
                               calibration.mechanism))  # fmt: skip
            spends.append(Spend(aggregate.name, window.start, window.end, aggregate.epsilon,
                                aggregate.delta))  # fmt: skip
    rows = pa.concat_tables(parts) if parts else DP_ROWS.empty_table()
    return Released(rows, spends, groups_in, mechanisms)


def _rows(
    released: pa.Table, a: Aggregate, window: Window, domain: str, job_id: str, mechanism: str
) -> pa.Table:
    n = released.num_rows
    columns = a.group_columns
    groups = [json.dumps(dict(zip(columns, key.split(SEPARATOR), strict=True)), sort_keys=True)
              for key in released.column("group").to_pylist()]  # fmt: skip

    def repeat(value, type_=None):
        return pa.repeat(pa.scalar(value, type_), n)

    return pa.table(
        {
            "domain": repeat(domain),
            "aggregate": repeat(a.name),
            "window_start": repeat(iso(window.start)),
            "window_end": repeat(iso(window.end)),
            "group": pa.array(groups, pa.string()),
            "measure": repeat(a.measure),
            "value": released.column("value"),
            "epsilon": repeat(a.epsilon, pa.float64()),
            "delta": repeat(a.delta, pa.float64()),
            "mechanism": repeat(mechanism),
            "job_id": repeat(job_id),
        },
        schema=DP_ROWS,
    )
