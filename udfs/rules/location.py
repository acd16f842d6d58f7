"""LOCATION: coordinates more precise than the allowed number of decimals (default 2, ~1 km)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from udfs.detectors.gps import coordinate_is_precise
from udfs.rules.base import RecordView, Rule, Violation, register
from udfs.rules.batch import BatchView, Found


@register
class PreciseGps(Rule):
    rule_id = "location.precise_gps"
    regulation = "LOCATION"

    def configure(
        self, allowed_decimals: int = 2, fields: tuple[str, ...] = ("latitude", "longitude"),
        **rest: Any,
    ) -> None:  # fmt: skip
        super().configure(**rest)
        self.allowed_decimals = int(allowed_decimals)
        self.fields = tuple(fields)

    def check(self, record: RecordView) -> Iterator[Violation]:
        for field in self.fields:
            if coordinate_is_precise(record.values.get(field), self.allowed_decimals):
                yield self.violation(
                    field, f"coordinate more precise than {self.allowed_decimals} decimals"
                )

    def check_batch(self, batch: BatchView) -> Iterator[Found]:
        for field in self.fields:
            rows = np.flatnonzero(batch.decimals(field) > self.allowed_decimals)
            if len(rows):
                yield Found(
                    rows, field, f"coordinate more precise than {self.allowed_decimals} decimals"
                )
