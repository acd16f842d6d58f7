"""The streaming job's data quality per window as a PyFlink function: one call per window of
processing time with the step's per-batch counts and the window's distinct record ids; scores
them (udfs.quality.score), sets the gauges the Web UI shows — `compliance.quality_score` and
`compliance.quality_<metric>` — and counts the windows below the thresholds
(`compliance.quality_alerts`)."""

from __future__ import annotations

import json

from pyflink.table import DataTypes
from pyflink.table.udf import ScalarFunction, udf

from udfs.quality.measure import merge
from udfs.quality.score import score
from udfs.quality.spec import METRICS, QualityConfig


def window_quality(config: QualityConfig, window_start: str | None, window_end: str | None,
                   distinct_ids: int | None, late: int | None, parts: str | None) -> dict:  # fmt: skip
    """The quality row of one window (pure: what the function returns, as a dict). `late`: the
    window's records that came after the watermark had passed them (suppressed as late), shown
    beside the score."""
    counts = merge(json.loads(p) for p in (parts or "").split("\n") if p)
    counts["distinct_ids"] = int(distinct_ids or 0)
    quality = score(counts, config)
    detail = {"domain": config.domain, "window_start": window_start,
              "window_end": window_end, **quality.as_dict(), "late": int(late or 0)}  # fmt: skip
    return {"window_start": window_start, "window_end": window_end, "score": quality.score,
            "level": quality.level, "passed": quality.passed,
            "detail": json.dumps(detail, separators=(",", ":"))}  # fmt: skip


class ScoreQuality(ScalarFunction):
    def __init__(self, config: QualityConfig):
        self.config = config

    def open(self, function_context) -> None:
        group = function_context.get_metric_group().add_group("compliance")
        self.latest = {"score": 1.0, **dict.fromkeys(METRICS, 1.0)}
        group.gauge("quality_score", lambda: round(self.latest["score"] * 1000))
        for metric in METRICS:
            group.gauge(f"quality_{metric}",
                        lambda m=metric: round(self.latest[m] * 1000))  # fmt: skip
        self.alerts = group.counter("quality_alerts")

    def eval(self, window_start, window_end, distinct_ids, late, parts):
        from pyflink.common import Row

        found = window_quality(self.config, window_start, window_end, distinct_ids, late, parts)
        detail = json.loads(found["detail"])
        self.latest = {"score": found["score"], **detail["metrics"]}
        if not found["passed"]:
            self.alerts.inc()
        return Row(*(found[n] for n in ("window_start", "window_end", "score", "level",
                                        "passed", "detail")))  # fmt: skip


def score_quality_udf(config: QualityConfig):
    result = DataTypes.ROW([
        DataTypes.FIELD("window_start", DataTypes.STRING()),
        DataTypes.FIELD("window_end", DataTypes.STRING()),
        DataTypes.FIELD("score", DataTypes.DOUBLE()),
        DataTypes.FIELD("level", DataTypes.STRING()),
        DataTypes.FIELD("passed", DataTypes.BOOLEAN()),
        DataTypes.FIELD("detail", DataTypes.STRING()),
    ])  # fmt: skip
    return udf(ScoreQuality(config), result_type=result)
