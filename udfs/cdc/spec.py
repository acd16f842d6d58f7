"""Which source tables a domain's records come from and how their columns map onto its contract
(conf/cdc/<domain>.yaml). Typed and checked against the domain's schema; every mistake is named
with the file and key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from udfs.schema import CONF_DIR, DomainSchema, SchemaError, read_yaml

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")  # unquoted PostgreSQL names, as Debezium lists
_CONVERTED = ("date", "timestamp")  # Debezium writes these as numbers (days, milliseconds)


def default_path(domain: str) -> Path:
    return CONF_DIR / "cdc" / f"{domain}.yaml"


@dataclass(frozen=True)
class TableMapping:
    """One source table: `columns` maps each contract field to the source column holding it."""

    domain: str
    database: str
    schema: str
    table: str
    columns: dict[str, str]  # contract field → source column
    types: dict[str, str]  # contract field → contract type, for the fields Debezium converts

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def name(self) -> str:
        """Names the project's publication, replication slot and connector for this table."""
        return f"compliance_{self.domain}_{self.schema}_{self.table}"[:63]

    @property
    def topic(self) -> str:
        """Where this table's change events are written."""
        return f"compliance-cdc-{self.domain}.{self.schema}.{self.table}"

    @property
    def record_id_column(self) -> str:
        return self.columns["record_id"]


@dataclass(frozen=True)
class CdcConfig:
    domain: str
    database: str
    tables: dict[str, TableMapping]  # schema.table → its mapping
    source: str = ""

    def table(self, name: str) -> TableMapping:
        qualified = name if "." in name else f"public.{name}"
        if qualified not in self.tables:
            known = ", ".join(sorted(self.tables)) or "none"
            raise SchemaError(
                f"{self.source or 'cdc'}: no mapping for table {qualified} (mapped: {known})"
            )
        return self.tables[qualified]


def _name(where: str, value: Any) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise SchemaError(f"{where}: expected a lower-case PostgreSQL name, not {value!r}")
    return value


def parse_cdc(raw: dict, schema: DomainSchema, source: str = "") -> CdcConfig:
    where = source or "cdc"
    unknown = sorted(set(raw) - {"domain", "database", "tables"})
    if unknown:
        raise SchemaError(f"{where}: unknown key(s) {', '.join(unknown)}")
    if raw.get("domain", schema.domain) != schema.domain:
        raise SchemaError(f"{where}: written for {raw['domain']!r}, not {schema.domain!r}")
    database = raw.get("database")
    if not isinstance(database, str) or not database:
        raise SchemaError(f"{where}.database: expected the source database's name")
    given = raw.get("tables")
    if not isinstance(given, dict) or not given:
        raise SchemaError(f"{where}.tables: expected a mapping of schema.table to its columns")
    types = {f.name: f.type for f in schema.fields}
    tables = {}
    for qualified, spec in given.items():
        at = f"{where}.tables.{qualified}"
        parts = str(qualified).split(".")
        if len(parts) != 2:
            raise SchemaError(f"{at}: name the table as schema.table")
        schema_name, table = (_name(at, p) for p in parts)
        spec = spec or {}
        if not isinstance(spec, dict) or set(spec) - {"columns"}:
            raise SchemaError(f"{at}: expected `columns:` (contract field: source column)")
        mapped = spec.get("columns") or {}
        if not isinstance(mapped, dict):
            raise SchemaError(f"{at}.columns: expected contract field: source column")
        strange = sorted(set(mapped) - set(schema.names))
        if strange:
            raise SchemaError(f"{at}.columns: not fields of {schema.domain}: {', '.join(strange)}")
        columns = {n: _name(f"{at}.columns.{n}", mapped.get(n, n)) for n in schema.names}
        taken: dict[str, str] = {}
        for field, column in columns.items():
            if column in taken:
                raise SchemaError(f"{at}.columns: {taken[column]} and {field} both read {column}")
            taken[column] = field
        converted = {n: types[n] for n in schema.names if types[n] in _CONVERTED}
        tables[f"{schema_name}.{table}"] = TableMapping(
            schema.domain, database, schema_name, table, columns, converted
        )
    return CdcConfig(schema.domain, database, tables, source)


def load_cdc(schema: DomainSchema, path: Path | None = None) -> CdcConfig:
    path = path or default_path(schema.domain)
    return parse_cdc(read_yaml(path), schema, str(path))
