"""Domain schemas: the fields of a record contract, their types and roles, read from YAML."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

CONF_DIR = Path(
    os.environ.get("COMPLIANCE_CONF_DIR", Path(__file__).resolve().parent.parent / "conf")
)
DOMAINS = ("healthcare", "financial")
FIELD_TYPES = {"string", "text", "date", "timestamp", "boolean", "decimal", "latitude", "longitude"}


class SchemaError(ValueError):
    pass


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str = "string"
    required: bool = False
    personal: bool = False


@dataclass(frozen=True)
class DomainSchema:
    domain: str
    fields: tuple[FieldSpec, ...]
    protection: dict[str, Any] = field(default_factory=dict)
    anonymity: dict[str, Any] = field(default_factory=dict)

    @cached_property  # read per record: computed once
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @cached_property  # read per record: computed once
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    @cached_property  # read per record: computed once
    def personal(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.personal)


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except FileNotFoundError:
        raise SchemaError(f"configuration file not found: {path}") from None
    except yaml.YAMLError as err:
        raise SchemaError(f"{path} is not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise SchemaError(f"{path}: expected a mapping at the top level")
    return data


def parse_schema(data: dict[str, Any], source: str = "<schema>") -> DomainSchema:
    specs = []
    for name, spec in (data.get("fields") or {}).items():
        spec = spec or {}
        kind = spec.get("type", "string")
        if kind not in FIELD_TYPES:
            raise SchemaError(f"{source}: field {name!r} has unknown type {kind!r}")
        specs.append(FieldSpec(name, kind, bool(spec.get("required")), bool(spec.get("personal"))))
    if not specs:
        raise SchemaError(f"{source}: no fields")
    return DomainSchema(
        domain=str(data.get("domain", "")),
        fields=tuple(specs),
        protection=dict(data.get("protection") or {}),
        anonymity=dict(data.get("anonymity") or {}),
    )


def load_schema(domain: str, conf_dir: Path = CONF_DIR) -> DomainSchema:
    if domain not in DOMAINS:
        raise SchemaError(f"unknown domain {domain!r}; expected one of {', '.join(DOMAINS)}")
    path = conf_dir / "schemas" / f"{domain}.yaml"
    return parse_schema(read_yaml(path), str(path))


def rules_path(domain: str, conf_dir: Path = CONF_DIR) -> Path:
    """The domain's rule set: conf/rules/<domain>.yaml."""
    return conf_dir / "rules" / f"{domain}.yaml"


def read_rules(domain: str, path: Path | None = None) -> dict[str, Any]:
    """The rule set configuration: `path`, or the domain's own. Plugin files (`plugins:`
    entries ending in .py) are resolved against the rules file's folder."""
    path = path or rules_path(domain)
    config = read_yaml(path)
    plugins = config.get("plugins") or []
    if not isinstance(plugins, list):
        raise SchemaError(f"{path}: plugins should be a list of modules or .py files")
    config["plugins"] = [
        str((path.parent / p).resolve()) if str(p).endswith(".py") else str(p) for p in plugins
    ]
    return config
