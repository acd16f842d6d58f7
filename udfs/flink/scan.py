"""The batch job's scan as a PyFlink function: one call per input split. The worker reads the
split's bytes itself (connectors.splits), runs the engine over batches of its lines and writes
this attempt's staged records, violations, quarantine and the counts of its quasi-identifier
combinations with pyarrow (connectors.staging);
only a small JSON summary goes back through Flink. Lines never cross the Python/JVM boundary.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pyflink.table.udf import ScalarFunction

from connectors.splits import Split, read_split
from connectors.staging import VIOLATION_OPTIONS, AttemptFiles, BucketedRecords, new_attempt
from udfs.anonymity.frequencies import count_groups, stack_counts
from udfs.dp.batch import merge_split_pairs, split_pairs
from udfs.engine import Engine
from udfs.engine.outputs import quarantine_rows, staged_records, violation_rows
from udfs.flink.functions import ComplianceMetrics
from udfs.pipeline import normalize_path
from udfs.quality import measure as quality

RECORDS = "records-"  # staged records of date bucket N: the staging folder records-000N


class ScanSplits(ScalarFunction):
    def __init__(
        self, engine_args: tuple, engine_kwargs: dict, layouts: dict[str, str],
        staging: str, domain: str,
        job_id: str, detected_at: datetime, batch_bytes: int, engine: type[Engine] = Engine,
        buckets: int = 1, dp=None, quality=None,
    ):  # fmt: skip
        self.engine_args = engine_args
        self.engine_kwargs = engine_kwargs  # the quarantine key, the token key's id
        self.layouts = layouts
        self.staging = staging
        self.domain = domain
        self.job_id = job_id
        self.detected_at = detected_at
        self.batch_bytes = batch_bytes
        self.engine_class = engine
        self.buckets = buckets  # staged records by date bucket: one release task each
        self.dp = dp  # udfs.dp.spec.DPConfig: the split's pairs for the private aggregates
        self.quality = quality  # udfs.quality.spec.QualityConfig: the split's quality counts

    def open(self, function_context) -> None:
        self.anonymity = self.engine_args[0].anonymity
        self.metrics = ComplianceMetrics(function_context.get_metric_group())
        self.engine = self.engine_class(
            *self.engine_args, layouts=self.layouts, **self.engine_kwargs
        )
        self.attempt = new_attempt()

    def eval(self, index: int, path: str, start: int, end: int) -> str:
        header = self.layouts[normalize_path(path)].encode("utf-8")
        files = AttemptFiles(Path(self.staging), index, self.attempt)
        records = BucketedRecords(files, RECORDS, self.buckets)
        counts: dict[str, Any] = {"records_expected": 0, "skipped": 0}
        frequencies, dp_pairs, measured, ids = [], [], [], []
        if self.quality is not None:
            stale_before = quality.stale_before_as_of(self.engine.as_of, self.quality)
        try:
            for batch in read_split(Split(index, path, start, end), header, self.batch_bytes):
                result = self.engine.process_lines(batch.lines, path)
                self.metrics.count(result)
                counts["records_expected"] += batch.records
                counts["skipped"] += result.skipped
                staged = staged_records(result)
                records.add(staged)
                frequencies.append(count_groups(staged, self.anonymity))
                if self.dp is not None:
                    table, without = split_pairs(staged, self.dp)
                    dp_pairs.append(table)
                    counts["dp_without_person"] = counts.get("dp_without_person", 0) + without
                if self.quality is not None:
                    found, distinct = quality.measure_with_ids(result, self.quality, stale_before)
                    measured.append(found)
                    ids.append(distinct)
                files.write(
                    "violations",
                    violation_rows(result, self.domain, self.detected_at, self.job_id),
                    **VIOLATION_OPTIONS,
                )
                files.write("quarantine", quarantine_rows(result, self.domain, self.job_id))
            records.flush()
            # The split's quasi-identifier combinations and their counts, batch by batch: what
            # the release's search reads instead of the records (it merges the batches' and the
            # splits' repeats on integer codes, cheaper than grouping the text here).
            files.write("frequencies", stack_counts(frequencies, self.anonymity))
            if self.dp is not None:
                files.write("dp", merge_split_pairs(dp_pairs, self.dp))
            if self.quality is not None:  # the split's distinct ids: the run's uniqueness
                counts["quality"] = quality.merge(measured)
                files.write("ids", quality.ids_table(ids))
            written = files.close()
        except BaseException:
            files.abort()
            raise
        return json.dumps({"split": index, "files": written, "rows": files.rows, **counts})
