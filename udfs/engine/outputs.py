"""An engine result as the batch job's output rows (udfs.engine.schemas VIOLATION_ROWS,
QUARANTINE_ROWS, and the staged records), built column-wise."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa

from udfs.engine.engine import EngineResult
from udfs.engine.schemas import QUARANTINE_ROWS, VIOLATION_ROWS


def violation_rows(
    result: EngineResult, domain: str, detected_at: datetime, job_id: str
) -> pa.Table:
    violations = result.violations
    n = violations.num_rows
    records = result.records
    # Each violation's record: record rows ascend in input order, as violation rows do.
    at = np.searchsorted(records.column("row").to_numpy(), violations.column("row").to_numpy())
    moment = pa.scalar(detected_at.replace(tzinfo=None, microsecond=0), pa.timestamp("ms"))
    columns = {
        "domain": pa.repeat(pa.scalar(domain), n),
        **{c: violations.column(c) for c in ("record_id", "rule_id", "field", "regulation")},
        "severity": violations.column("severity"),
        "description": violations.column("description"),
        "detected_at": pa.repeat(moment, n),
        "job_id": pa.repeat(pa.scalar(job_id), n),
        "event_date": records.column("event_date").take(pa.array(at)),
    }
    return pa.table(columns, schema=VIOLATION_ROWS)


def quarantine_rows(result: EngineResult, domain: str, job_id: str) -> pa.Table:
    quarantine = result.quarantine
    n = quarantine.num_rows
    columns = {
        "record_id": quarantine.column("record_id"),
        "reason": quarantine.column("reason"),
        "raw": quarantine.column("raw"),
        "domain": pa.repeat(pa.scalar(domain), n),
        "job_id": pa.repeat(pa.scalar(job_id), n),
    }
    return pa.table(columns, schema=QUARANTINE_ROWS)


def staged_records(result: EngineResult) -> pa.Table:
    """The protected records as the release reads them: ids, event date, fields, extra."""
    return result.records.drop_columns(["row", "event_ms"])
