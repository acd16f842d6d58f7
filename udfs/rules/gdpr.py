"""GDPR: personal data held without consent, and records kept past the retention period."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udfs.arrow import pylist
from udfs.rules.base import RecordView, Rule, Violation, register
from udfs.rules.batch import BatchView, Found
from udfs.schema import DomainSchema
from udfs.validation import parse_timestamp


def consent_true(column: pa.Array) -> np.ndarray:
    """Per value: `value.strip().lower() == "true"` (Python only for the rare odd spellings)."""
    exact = pc.equal(column, "true").fill_null(False).to_numpy(zero_copy_only=False)
    plain = pc.or_kleene(pc.is_in(column, pa.array(["true", "false", ""])), column.is_null())
    odd = np.flatnonzero(~plain.to_numpy(zero_copy_only=False))
    if len(odd):
        texts = pylist(column.take(pa.array(odd)))
        exact[odd] = [t.strip().lower() == "true" for t in texts]
    return exact


@register
class Consent(Rule):
    rule_id = "gdpr.consent"
    regulation = "GDPR"

    @classmethod
    def defaults(cls, schema: DomainSchema, config: dict[str, Any]) -> dict[str, Any]:
        return {"personal_fields": list(schema.personal)}  # the schema's `personal: true` fields

    def configure(self, personal_fields: list[str] = (), **rest: Any) -> None:
        super().configure(**rest)
        self.personal_fields = tuple(personal_fields)

    def check(self, record: RecordView) -> Iterator[Violation]:
        if record.get("consent_given").strip().lower() == "true":
            return
        if any(record.values.get(f) for f in self.personal_fields):
            yield self.violation(
                "consent_given", "personal data present while consent is not given"
            )

    def check_batch(self, batch: BatchView) -> Iterator[Found]:
        personal = np.zeros(batch.size, dtype=bool)
        for field in self.personal_fields:
            personal |= batch.present(field)
        rows = np.flatnonzero(personal & ~consent_true(batch.column("consent_given")))
        if len(rows):
            yield Found(rows, "consent_given", "personal data present while consent is not given")


@register
class Retention(Rule):
    rule_id = "gdpr.retention"
    regulation = "GDPR"

    @classmethod
    def defaults(cls, schema: DomainSchema, config: dict[str, Any]) -> dict[str, Any]:
        # The rule set's top-level retention_days (the domain's retention period).
        return {"retention_days": config["retention_days"]} if "retention_days" in config else {}

    def configure(self, retention_days: int, **rest: Any) -> None:
        super().configure(**rest)
        self.retention = timedelta(days=int(retention_days))
        self.retention_days = int(retention_days)

    def check(self, record: RecordView) -> Iterator[Violation]:
        created = record.get("created_at")
        if created and record.as_of - parse_timestamp(created) > self.retention:
            yield self.violation(
                "created_at", f"record older than the {self.retention_days}-day retention period"
            )

    def check_batch(self, batch: BatchView) -> Iterator[Found]:
        from udfs.engine.timestamps import micros_of

        valid, micros = batch.micros("created_at")
        limit = micros_of(batch.as_of) - self.retention // timedelta(microseconds=1)
        rows = np.flatnonzero(valid & (micros < limit))
        if len(rows):
            yield Found(
                rows,
                "created_at",
                f"record older than the {self.retention_days}-day retention period",
            )
