"""PCI-DSS: a valid card number (Luhn and an issuer range) in clear text anywhere; CVV or track
data anywhere."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from udfs.rules.base import RecordView, Rule, Violation, register
from udfs.rules.batch import BatchView, Found


class _SpanRule(Rule):
    regulation = "PCI-DSS"
    what = ""

    def configure(self, fields: list[str], **rest: Any) -> None:
        super().configure(**rest)
        self.fields = list(fields)

    def check(self, record: RecordView) -> Iterator[Violation]:
        for field in self.fields:
            if record.get(field) and any(s.kind in self.kinds for s in record.spans(field)):
                yield self.violation(field, f"{self.what} in clear text in field {field}")

    def check_batch(self, batch: BatchView) -> Iterator[Found]:
        for field in self.fields:
            rows = np.flatnonzero(batch.has_kind(field, self.kinds) & batch.present(field))
            if len(rows):
                yield Found(rows, field, f"{self.what} in clear text in field {field}")


@register
class CardInClear(_SpanRule):
    rule_id = "pci.card_in_clear"
    kinds = ("card",)
    what = "valid payment card number"


@register
class CvvOrTrack(_SpanRule):
    rule_id = "pci.cvv_or_track"
    kinds = ("cvv", "track")
    what = "card security code or track data"
