"""The batch job's release pass as a PyFlink function: one call per staged records file. The
worker reads the file, generalizes it to the plan's levels, leaves out the suppressed groups
(udfs.anonymity.frequencies.apply_plan) and writes this attempt's part of the date-partitioned
lake; only a small JSON summary goes back through Flink, and the driver commits one attempt per
file (connectors.staging.commit_partitioned). A small input's release runs the same code in
the driver instead (`release` bucket by bucket): a second Flink job's start costs more."""

from __future__ import annotations

import json
import time

from pyflink.table.udf import ScalarFunction

from connectors.staging import new_attempt, read_staged, write_partitioned
from udfs.anonymity.frequencies import ReleasePlan, apply_plan

DATE = "event_date"  # the lake's partition column


class ReleaseFiles(ScalarFunction):
    def __init__(self, plan: ReleasePlan, anonymity: dict, lake_staging: str):
        self.plan = plan
        self.anonymity = anonymity
        self.lake_staging = lake_staging

    def open(self, function_context) -> None:
        self.attempt = new_attempt()
        self.labels: dict[str, dict] = {}  # per quasi-identifier: value → its label (apply_plan)

    def eval(self, index: int, path: str) -> str:
        return json.dumps(self.release(index, path))

    def release(self, index: int, path: str) -> dict:
        """One date bucket's staged records (a folder) released into this attempt's files."""
        started = time.perf_counter()
        staged = read_staged(path)
        read = time.perf_counter()
        released = apply_plan(staged, self.plan, self.anonymity, DATE, self.labels)
        applied = time.perf_counter()
        name = write_partitioned(released, self.lake_staging, index, self.attempt, DATE, True)
        seconds = [read - started, applied - read, time.perf_counter() - applied]
        return {"task": index, "attempt": name, "published": released.num_rows,
                "seconds": [round(x, 3) for x in seconds]}  # fmt: skip
