"""The shapes every rule shares: a violation, a record view with cached detector spans, a rule
base class and the registry rules add themselves to."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from udfs.detectors import Span, TextScanner

if TYPE_CHECKING:
    from udfs.rules.batch import BatchView, Found
    from udfs.schema import DomainSchema

SEVERITIES = ("low", "medium", "high", "critical")
REGULATIONS = ("HIPAA", "GDPR", "PCI-DSS", "LOCATION")


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule on one field. Never carries the offending value."""

    rule_id: str
    regulation: str
    field: str
    severity: str
    description: str


class RecordView:
    """A record's raw values plus the detector spans of each field, computed once and shared
    by every rule and by the protection step."""

    __slots__ = ("_spans", "as_of", "scanner", "values")

    def __init__(self, values: dict[str, str | None], scanner: TextScanner, as_of: datetime):
        self.values = values
        self.scanner = scanner
        self.as_of = as_of
        self._spans: dict[str, list[Span]] = {}

    def get(self, field: str) -> str:
        return self.values.get(field) or ""

    def spans(self, field: str) -> list[Span]:
        found = self._spans.get(field)
        if found is None:
            found = self._spans[field] = self.scanner.scan(self.values.get(field))
        return found


class Rule:
    """One rule: `check` yields the violations of one record. Parameters come from YAML."""

    rule_id: ClassVar[str]
    regulation: ClassVar[str]
    kinds: ClassVar[tuple[str, ...]] = ()  # detector kinds the rule reads through spans

    def __init__(self, severity: str = "medium", **params: Any):
        if severity not in SEVERITIES:
            raise ValueError(f"{self.rule_id}: severity must be one of {', '.join(SEVERITIES)}")
        self.severity = severity
        self.configure(**params)

    @classmethod
    def defaults(cls, schema: DomainSchema, config: dict[str, Any]) -> dict[str, Any]:
        """Parameters the rule takes from the domain's schema or the rule set's top level when
        its YAML entry leaves them out (a plugin rule overrides this like the built-ins)."""
        return {}

    def configure(self, **params: Any) -> None:
        if params:
            raise ValueError(f"{self.rule_id}: unknown parameters {', '.join(sorted(params))}")

    def violation(self, field: str, description: str, severity: str | None = None) -> Violation:
        return Violation(
            self.rule_id, self.regulation, field, severity or self.severity, description
        )

    def check(self, record: RecordView) -> Iterator[Violation]:
        raise NotImplementedError

    def check_batch(self, batch: BatchView) -> Iterator[Found]:
        """The violations of a whole batch. The built-in rules do this column-wise; this default
        (the slow path, for rules written per record) calls `check` on every record: the j-th
        violation of each record goes into the j-th Found, which keeps each record's order."""
        import numpy as np

        from udfs.rules.batch import Found

        chunks: list[tuple[list[int], list[str], list[str], list[str]]] = []
        for row in range(batch.size):
            for j, found in enumerate(self.check(batch.record(row))):
                if j == len(chunks):
                    chunks.append(([], [], [], []))
                rows, fields, descriptions, severities = chunks[j]
                rows.append(row)
                fields.append(found.field)
                descriptions.append(found.description)
                severities.append(found.severity)
        for rows, fields, descriptions, severities in chunks:
            yield Found(np.array(rows, dtype=np.int64), fields, descriptions, severities)


REGISTRY: dict[str, type[Rule]] = {}


def register(rule: type[Rule]) -> type[Rule]:
    """Class decorator: make a rule available to rule sets under its rule_id."""
    if rule.regulation not in REGULATIONS:
        raise ValueError(f"{rule.__name__}: regulation must be one of {', '.join(REGULATIONS)}")
    known = REGISTRY.get(rule.rule_id)
    if known is not None and (known.__module__, known.__qualname__) != (
        rule.__module__,
        rule.__qualname__,
    ):
        raise ValueError(
            f"rule {rule.rule_id!r} is already registered by {known.__module__}.{known.__name__}"
        )
    REGISTRY[rule.rule_id] = rule
    return rule
