"""A batch run's summary (`summary.json`, the audit's job_runs row) and its reconciliation:
every record the scan counted is published, suppressed or quarantined — once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from udfs.anonymity.frequencies import Decided
from udfs.anonymity.release import SUCCEEDED, Release


@dataclass(frozen=True)
class Timings:
    wall: float
    startup: float  # the Flink environment's start (a local run's JVM); all else is work
    scan: float
    release: float
    submit: float = 0.0  # of the scan: until its job was submitted (the plan's translation,
    # a local run's MiniCluster start)


@dataclass(frozen=True)
class BatchSummary:
    job_id: str
    domain: str
    input: str
    output: str
    as_of: str
    records_expected: int  # what the scan counted in the input
    released: Release | Decided  # the decision's figures: k, levels, published, suppressed
    lake_files: int
    quarantine_reasons: dict[str, int]
    violations_by_regulation: dict[str, int]
    timings: Timings
    throwaway_key: bool = False
    quarantine_key_id: str | None = None  # the key the quarantine's payloads are sealed under
    dp: dict[str, Any] | None = None  # the private aggregates' figures (jobs.batch_compliance)
    quality: dict[str, Any] | None = None  # udfs.quality.score.Quality.as_dict()

    @property
    def quarantined(self) -> int:
        return sum(self.quarantine_reasons.values())

    @property
    def records_in(self) -> int:
        return self.released.published + self.released.suppressed + self.quarantined

    @property
    def reconciled(self) -> bool:
        return self.records_in == self.records_expected

    @property
    def status(self) -> str:
        return self.released.status

    def mismatch(self) -> str | None:
        """Why the counts do not reconcile, or None."""
        if self.reconciled:
            return None
        r = self.released
        return (
            f"counts do not reconcile: {self.records_expected:,} records in the input, but "
            f"published {r.published:,} + suppressed {r.suppressed:,} + quarantined "
            f"{self.quarantined:,} = {self.records_in:,}"
        )

    def as_dict(self) -> dict[str, Any]:
        r, t = self.released, self.timings
        records_in = self.records_in
        violations = dict(sorted(self.violations_by_regulation.items()))
        return {
            "job_id": self.job_id, "status": self.status, "domain": self.domain,
            "input": self.input, "output": self.output, "as_of": self.as_of,
            "records_expected": self.records_expected, "records_in": records_in,
            "published": r.published, "suppressed": r.suppressed, "quarantined": self.quarantined,
            "quarantine_reasons": dict(sorted(self.quarantine_reasons.items())),
            "violations": {"total": sum(violations.values()), **violations},
            "k": r.k, "levels": r.levels, "information_loss": r.information_loss,
            "suppression_rate": round(r.suppressed / max(r.staged, 1), 6),
            "lake_files": self.lake_files,
            "wall_seconds": round(t.wall, 3), "startup_seconds": round(t.startup, 3),
            "scan_seconds": round(t.scan, 3), "scan_submit_seconds": round(t.submit, 3),
            "release_seconds": round(t.release, 3),
            "records_per_s": round(records_in / t.wall, 1) if t.wall else None,
            "records_per_s_excluding_startup": (
                round(records_in / (t.wall - t.startup), 1) if t.wall > t.startup else None
            ),
            "reconciled": self.reconciled,
            **({"reason": r.reason} if r.status != SUCCEEDED else {}),
            "throwaway_key": self.throwaway_key,
            **({"quarantine_key_id": self.quarantine_key_id} if self.quarantine_key_id else {}),
            **({"dp": self.dp} if self.dp is not None else {}),
            **({"quality": self.quality} if self.quality is not None else {}),
        }  # fmt: skip
