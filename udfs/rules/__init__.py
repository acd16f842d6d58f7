"""Compliance rules: one small class per rule, one file per regulation, chosen per domain in YAML.

Importing this package registers the built-in rules.
"""

from udfs.rules import gdpr, hipaa, location, pci  # noqa: F401  (registers the rules)
from udfs.rules.base import (
    REGISTRY,
    REGULATIONS,
    SEVERITIES,
    RecordView,
    Rule,
    Violation,
    register,
    severity_rank,
)
from udfs.rules.ruleset import RuleSet, build_rule_set, load_rule_set

__all__ = [
    "REGISTRY", "REGULATIONS", "SEVERITIES", "RecordView", "Rule", "RuleSet", "Violation",
    "build_rule_set", "load_rule_set", "register", "severity_rank",
]  # fmt: skip
