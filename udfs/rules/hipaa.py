"""HIPAA: a valid identifier (SSN, medical record number, phone, e-mail) in clear text, in its own
field or leaked into free text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from udfs.detectors import BUILTIN
from udfs.detectors.fields import in_field
from udfs.rules.base import RecordView, Rule, Violation, register
from udfs.rules.batch import BatchView, Found

KIND_NAMES = {"ssn": "SSN", "mrn": "medical record number", "phone": "phone number",
              "email": "e-mail address", "ip": "IP address", "url": "URL",
              "mbi": "Medicare beneficiary identifier", "dob": "date of birth"}  # fmt: skip


@register
class IdentifierInClear(Rule):
    rule_id = "hipaa.identifier_in_clear"
    regulation = "HIPAA"

    def configure(
        self, fields: dict[str, str], severity_by_field: dict[str, str] | None = None, **rest: Any
    ) -> None:
        super().configure(**rest)
        for kind in fields.values():
            if kind not in BUILTIN:
                raise ValueError(f"{self.rule_id}: unknown detector {kind!r}")
        self.fields = dict(fields)
        self.severity_by_field = dict(severity_by_field or {})
        self.kinds = tuple(sorted(set(self.fields.values())))

    def check(self, record: RecordView) -> Iterator[Violation]:
        detectors = record.scanner.by_kind
        for field, kind in self.fields.items():
            # A field meant for one identifier is judged for that kind alone (detectors.fields).
            if in_field(detectors[kind], record.values.get(field)):
                yield self.violation(
                    field,
                    f"valid {KIND_NAMES.get(kind, kind)} in clear text in field {field}",
                    self.severity_by_field.get(field),
                )

    def check_batch(self, batch: BatchView) -> Iterator[Found]:
        for field, kind in self.fields.items():
            rows = np.flatnonzero(batch.in_field(kind, field))
            if len(rows):
                yield Found(
                    rows,
                    field,
                    f"valid {KIND_NAMES.get(kind, kind)} in clear text in field {field}",
                    self.severity_by_field.get(field),
                )


@register
class PhiInFreeText(Rule):
    rule_id = "hipaa.phi_in_free_text"
    regulation = "HIPAA"

    def configure(self, fields: list[str], kinds: list[str], **rest: Any) -> None:
        super().configure(**rest)
        self.fields = list(fields)
        self.kinds = tuple(kinds)

    def check(self, record: RecordView) -> Iterator[Violation]:
        for field in self.fields:
            found = sorted({s.kind for s in record.spans(field) if s.kind in self.kinds})
            if found:
                yield self.violation(field, self._describe(tuple(found), field))

    def _check_rows(self, batch: BatchView, field: str) -> Iterator[Found]:
        rows, descriptions = [], []
        for row, spans in batch.spans(field, self.kinds).items():
            kinds = tuple(sorted({s.kind for s in spans if s.kind in self.kinds}))
            if kinds:
                rows.append(row)
                descriptions.append(self._describe(kinds, field))
        if rows:
            yield Found(np.array(rows, dtype=np.int64), field, descriptions)

    @staticmethod
    def _describe(kinds: tuple[str, ...], field: str) -> str:
        names = ", ".join(KIND_NAMES.get(k, k) for k in kinds)
        return f"PHI leaked into free text ({names}) in field {field}"

    def check_batch(self, batch: BatchView) -> Iterator[Found]:
        for field in self.fields:
            spans = batch.column_spans(field, self.kinds)
            spans = spans.select(spans.of_kinds(self.kinds))
            if not len(spans.rows):
                continue
            if len(spans.kinds) > 62:  # more detectors than bits: row by row
                yield from self._check_rows(batch, field)
                continue
            # Per row the set of kinds found, as bits; each distinct set described once.
            first = np.flatnonzero(np.r_[True, spans.rows[1:] != spans.rows[:-1]])
            sets = np.bitwise_or.reduceat(np.left_shift(1, spans.detector), first)
            distinct, which = np.unique(sets, return_inverse=True)
            described = [
                self._describe(
                    tuple(sorted(k for i, k in enumerate(spans.kinds) if bits >> i & 1)), field
                )
                for bits in distinct.tolist()
            ]
            yield Found(spans.rows[first], field, [described[i] for i in which.tolist()])
