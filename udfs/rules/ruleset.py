"""A rule set: the rules YAML chooses for a domain, evaluated together over one record."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from udfs.detectors import TextScanner, detectors_for
from udfs.rules.base import REGISTRY, RecordView, Rule, Violation
from udfs.schema import CONF_DIR, DomainSchema, SchemaError, load_schema, read_yaml
from udfs.schema import rules_path as schema_rules_path


@dataclass
class RuleSet:
    domain: str
    rules: list[Rule]
    scanner: TextScanner
    as_of: datetime

    def view(self, values: dict[str, str | None]) -> RecordView:
        return RecordView(values, self.scanner, self.as_of)

    def evaluate(self, record: RecordView | dict[str, str | None]) -> list[Violation]:
        view = record if isinstance(record, RecordView) else self.view(record)
        found: list[Violation] = []
        for rule in self.rules:
            found.extend(rule.check(view))
        return found


def _import_plugins(modules: list[str], source: str) -> None:
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as err:
            raise SchemaError(f"{source}: cannot import rule plugin {module!r}: {err}") from None


def build_rule_set(
    config: dict,
    schema: DomainSchema,
    as_of: datetime | None = None,
    source: str = "<rules>",
    extra_kinds: tuple[str, ...] = (),
) -> RuleSet:
    """Instantiate the configured rules. `as_of` is the reference time for retention;
    `extra_kinds` adds detectors the scanner runs for others (masking) beside the rules."""
    _import_plugins(list(config.get("plugins") or []), source)
    rules: list[Rule] = []
    for rule_id, params in (config.get("rules") or {}).items():
        params = dict(params or {})
        if params.pop("enabled", True) is False:
            continue
        rule_class = REGISTRY.get(rule_id)
        if rule_class is None:
            raise SchemaError(
                f"{source}: unknown rule {rule_id!r}; known: {', '.join(sorted(REGISTRY))}"
            )
        if rule_id == "gdpr.consent":
            params.setdefault("personal_fields", list(schema.personal))
        if rule_id == "gdpr.retention":
            params.setdefault("retention_days", config.get("retention_days", 2555))
        try:
            rules.append(rule_class(**params))
        except (TypeError, ValueError) as err:
            raise SchemaError(f"{source}: rule {rule_id}: {err}") from None
    kinds = sorted({kind for rule in rules for kind in rule.kinds} | set(extra_kinds))
    try:
        scanner = TextScanner(detectors_for(kinds, config.get("mrn_pattern")))
    except (KeyError, ValueError) as err:
        raise SchemaError(f"{source}: {err.args[0]}") from None
    return RuleSet(schema.domain, rules, scanner, as_of or datetime.now(UTC))


def load_rule_set(
    domain: str,
    as_of: datetime | None = None,
    conf_dir: Path = CONF_DIR,
    rules_path: Path | None = None,
    extra_kinds: tuple[str, ...] = (),
) -> RuleSet:
    schema = load_schema(domain, conf_dir)
    path = rules_path or schema_rules_path(domain, conf_dir)
    return build_rule_set(read_yaml(path), schema, as_of, str(path), extra_kinds)
