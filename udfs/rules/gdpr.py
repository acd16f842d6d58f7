"""GDPR: personal data held without consent, and records kept past the retention period."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from udfs.rules.base import RecordView, Rule, Violation, register
from udfs.validation import parse_timestamp


@register
class Consent(Rule):
    rule_id = "gdpr.consent"
    regulation = "GDPR"

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


@register
class Retention(Rule):
    rule_id = "gdpr.retention"
    regulation = "GDPR"

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
