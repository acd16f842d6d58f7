"""A rule set: the rules YAML chooses for a domain, evaluated together over one record."""

from __future__ import annotations

import importlib
import importlib.util
import sys
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


def plugin_files(config: dict) -> list[Path]:
    """The rule set's plugins that are files (`plugins: [my_rules.py]`, resolved by read_rules
    against the rules file's folder): a job ships these to its Python workers."""
    return [Path(p) for p in config.get("plugins") or () if str(p).endswith(".py")]


def _import_plugins(entries: list[str], source: str) -> None:
    """Import each plugin: a module name, or a `.py` file imported as its stem — from the
    workers' path, where the job shipped it, else from the file itself (the driver)."""
    for entry in entries:
        entry = str(entry)
        name = Path(entry).stem if entry.endswith(".py") else entry
        try:
            if name in sys.modules:
                continue
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as err:
                if not entry.endswith(".py") or err.name != name or not Path(entry).is_file():
                    raise
                spec = importlib.util.spec_from_file_location(name, entry)
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                try:
                    spec.loader.exec_module(module)
                except BaseException:
                    del sys.modules[name]
                    raise
        except ImportError as err:
            raise SchemaError(f"{source}: cannot import rule plugin {entry!r}: {err}") from None
        except ValueError as err:  # e.g. a rule id registered twice
            raise SchemaError(f"{source}: rule plugin {entry!r}: {err}") from None


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
        try:
            rules.append(rule_class(**{**rule_class.defaults(schema, config), **params}))
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
