"""Shares, the overall score and its level from the merged counts (udfs.quality.measure), and
the thresholds a run or a window fell below."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from udfs.quality.measure import Counts
from udfs.quality.spec import METRICS, QualityConfig
from udfs.validation import missing_reason


def _share(part: int, whole: int) -> float:
    return 1.0 if whole <= 0 else part / whole


@dataclass(frozen=True)
class Quality:
    records_in: int
    metrics: dict[str, float]  # METRICS → share in [0, 1]
    completeness: dict[str, float]  # per field
    reasons: dict[str, float]  # per quarantine reason: its share of the records in
    checks: dict[str, float]  # per consistency check: the share of its records passing it
    duplicates: int
    stale: int
    score: float
    level: str
    failures: tuple[str, ...]  # the thresholds not met, said for people

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 6), "level": self.level, "passed": self.passed,
            "failures": list(self.failures), "records_in": self.records_in,
            "metrics": {m: round(v, 6) for m, v in self.metrics.items()},
            "completeness": {f: round(v, 6) for f, v in self.completeness.items()},
            "validity_by_reason": {r: round(v, 6) for r, v in sorted(self.reasons.items())},
            "consistency_by_check": {c: round(v, 6) for c, v in self.checks.items()},
            "duplicates": self.duplicates, "stale": self.stale,
        }  # fmt: skip


def score(counts: Counts, config: QualityConfig) -> Quality:
    """The five metrics over the counts:
    completeness — per field, the valid records holding a value among the valid records and
      those quarantined for missing it (a required field); their mean;
    validity — the records that passed validation among the records in;
    uniqueness — distinct record ids among the valid records;
    timeliness — the valid records not stale (older than the configured bound);
    consistency — per check, the records passing it among those it applies to; their mean."""
    valid, records_in = counts["valid"], counts["records_in"]
    reasons = counts.get("reasons") or {}
    present = counts.get("present") or {}
    completeness = {
        name: _share(present.get(name, 0), valid + reasons.get(missing_reason(name), 0))
        for name in config.fields
    }
    judged = counts.get("checks") or {}
    checks = {}
    for check in config.checks:
        applicable, passed = judged.get(check.name, (0, 0))
        checks[check.name] = _share(passed, applicable)
    duplicates = max(valid - counts.get("distinct_ids", valid), 0)
    metrics = {
        "completeness": sum(completeness.values()) / len(completeness),
        "validity": _share(valid, records_in),
        "uniqueness": _share(valid - duplicates, valid),
        "timeliness": _share(valid - counts.get("stale", 0), valid),
        "consistency": sum(checks.values()) / len(checks) if checks else 1.0,
    }
    weights = config.weights
    overall = sum(weights[m] * metrics[m] for m in METRICS) / sum(weights.values())
    failures = []
    if overall < config.min_score:
        failures.append(f"quality score {overall:.3f} is below min_score {config.min_score:g}")
    for metric, minimum in config.minimums.items():
        if metrics[metric] < minimum:
            failures.append(f"{metric} {metrics[metric]:.3f} is below its minimum {minimum:g}")
    return Quality(
        records_in=records_in, metrics=metrics, completeness=completeness,
        reasons={r: n / records_in for r, n in reasons.items()} if records_in else {},
        checks=checks, duplicates=duplicates, stale=counts.get("stale", 0), score=overall,
        level=config.level(overall), failures=tuple(failures),
    )  # fmt: skip
