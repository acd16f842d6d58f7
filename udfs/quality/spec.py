"""What a domain's data quality is measured against (conf/quality/<domain>.yaml): the weights of
the five metrics, the levels, the thresholds that stop a run, the timeliness bounds and the
consistency checks. Typed and checked against the domain's schema; every mistake is named with
the file and key."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from udfs.schema import CONF_DIR, DomainSchema, SchemaError, read_yaml

METRICS = ("completeness", "validity", "uniqueness", "timeliness", "consistency")
LEVELS = ("excellent", "good", "fair", "poor")  # below the last: UNUSABLE
UNUSABLE = "unusable"
CHECK_KINDS = ("in", "min", "max", "pattern", "not_after")
NUMERIC = ("decimal", "latitude", "longitude")  # validated before the checks read them
# Protection that changes a value beyond what a check could read (coarsening keeps the number).
_UNREADABLE = ("tokenize", "drop", "keep_last4")


def default_path(domain: str) -> Path:
    return CONF_DIR / "quality" / f"{domain}.yaml"


@dataclass(frozen=True)
class Check:
    """One consistency rule over one field, judged where the field is non-empty."""

    name: str
    field: str
    kind: str  # one of CHECK_KINDS
    value: Any  # the list (in), the bound (min, max), the RE2 pattern, the other field


@dataclass(frozen=True)
class QualityConfig:
    domain: str
    weights: dict[str, float]
    levels: dict[str, float]  # level → lowest score that earns it
    min_score: float
    minimums: dict[str, float]  # metric → lowest share a run may have
    fields: tuple[str, ...]  # whose completeness counts
    max_age_days: float  # batch: older than this before the run's as-of date is stale
    max_lag_seconds: float  # streaming: event time this far behind the clock is stale
    checks: tuple[Check, ...] = ()
    window_seconds: int = 60  # streaming: one quality row per this much processing time
    source: str = ""
    required: tuple[str, ...] = field(default=())  # the schema's required fields

    def level(self, score: float) -> str:
        for name in LEVELS:
            if score >= self.levels[name]:
                return name
        return UNUSABLE


def _share(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise SchemaError(f"{where}: expected a share in [0, 1], not {value!r}")
    return float(value)


def _positive(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise SchemaError(f"{where}: expected a number > 0, not {value!r}")
    return float(value)


def _mapping(where: str, value: Any, allowed: tuple[str, ...] | None = None) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SchemaError(f"{where}: expected a mapping")
    unknown = sorted(set(value) - set(allowed)) if allowed is not None else []
    if unknown:
        raise SchemaError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")
    return value


def _check(where: str, spec: Any, schema: DomainSchema) -> Check:
    spec = _mapping(where, spec, ("name", "field", *CHECK_KINDS))
    name, column = spec.get("name"), spec.get("field")
    if not isinstance(name, str) or not name:
        raise SchemaError(f"{where}.name: expected a name for the check")
    if column not in schema.names:
        raise SchemaError(f"{where}.field: a field of {schema.domain}, not {column!r}")
    for kind in _UNREADABLE:
        if column in (schema.protection.get(kind) or ()):
            raise SchemaError(f"{where}.field: {column} is protected ({kind}) before quality "
                              "is measured: a check cannot read it")  # fmt: skip
    kinds = [k for k in CHECK_KINDS if k in spec]
    if len(kinds) != 1:
        raise SchemaError(f"{where}: expected exactly one of {', '.join(CHECK_KINDS)}")
    kind, value = kinds[0], spec[kinds[0]]
    if kind == "in" and not (isinstance(value, list) and value):
        raise SchemaError(f"{where}.in: expected a list of allowed values")
    types = {f.name: f.type for f in schema.fields}
    if kind in ("min", "max"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SchemaError(f"{where}.{kind}: expected a number, not {value!r}")
        if types[column] not in NUMERIC:
            raise SchemaError(f"{where}.{kind}: {column} is not a number field")
    if kind == "pattern" and not isinstance(value, str):
        raise SchemaError(f"{where}.pattern: expected a regular expression (RE2)")
    if kind == "not_after" and (
        value not in types or {types[column], types[value]} - {"date", "timestamp"}
    ):
        raise SchemaError(f"{where}.not_after: compares two date or timestamp fields")
    if kind == "in":
        value = tuple(str(v) for v in value)
    return Check(name, column, kind, value)


def parse_quality(raw: dict, schema: DomainSchema, source: str = "") -> QualityConfig:
    where = source or "quality"
    raw = _mapping(where, raw, ("domain", "weights", "levels", "min_score", "minimums",
                                "completeness", "timeliness", "consistency", "window_seconds"))  # fmt: skip
    if raw.get("domain", schema.domain) != schema.domain:
        raise SchemaError(f"{where}: written for {raw['domain']!r}, not {schema.domain!r}")
    given = _mapping(f"{where}.weights", raw.get("weights"), METRICS)
    weights = {m: _share(f"{where}.weights.{m}", given.get(m, 0.2)) for m in METRICS}
    if not sum(weights.values()):
        raise SchemaError(f"{where}.weights: at least one weight must be above 0")
    given = _mapping(f"{where}.levels", raw.get("levels"), LEVELS)
    defaults = {"excellent": 0.95, "good": 0.85, "fair": 0.7, "poor": 0.5}
    levels = {n: _share(f"{where}.levels.{n}", given.get(n, defaults[n])) for n in LEVELS}
    if list(levels.values()) != sorted(levels.values(), reverse=True):
        raise SchemaError(f"{where}.levels: excellent ≥ good ≥ fair ≥ poor")
    given = _mapping(f"{where}.minimums", raw.get("minimums"), METRICS)
    minimums = {m: _share(f"{where}.minimums.{m}", v) for m, v in given.items()}
    completeness = _mapping(f"{where}.completeness", raw.get("completeness"), ("fields",))
    fields = completeness.get("fields", "all")
    if fields == "all":
        dropped = set(schema.protection.get("drop") or ())
        fields = [n for n in schema.names if n not in dropped]
    if not isinstance(fields, list) or not fields or set(fields) - set(schema.names):
        raise SchemaError(f"{where}.completeness.fields: `all` or a list of {schema.domain} fields")
    timeliness = _mapping(f"{where}.timeliness", raw.get("timeliness"),
                          ("max_age_days", "max_lag_seconds"))  # fmt: skip
    checks = raw.get("consistency") or []
    if not isinstance(checks, list):
        raise SchemaError(f"{where}.consistency: expected a list of checks")
    parsed = tuple(_check(f"{where}.consistency[{i}]", c, schema) for i, c in enumerate(checks))
    names = [c.name for c in parsed]
    if len(set(names)) != len(names):
        raise SchemaError(f"{where}.consistency: two checks share a name")
    window = raw.get("window_seconds", 60)
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise SchemaError(f"{where}.window_seconds: expected a whole number ≥ 1")
    return QualityConfig(
        domain=schema.domain, weights=weights, levels=levels,
        min_score=_share(f"{where}.min_score", raw.get("min_score", 0.0)), minimums=minimums,
        fields=tuple(fields),
        max_age_days=_positive(f"{where}.timeliness.max_age_days",
                               timeliness.get("max_age_days", 3650)),
        max_lag_seconds=_positive(f"{where}.timeliness.max_lag_seconds",
                                  timeliness.get("max_lag_seconds", 300)),
        checks=parsed, window_seconds=window, source=source, required=schema.required,
    )  # fmt: skip


def load_quality(schema: DomainSchema, path: Path | None = None) -> QualityConfig:
    """The domain's quality settings (conf/quality/<domain>.yaml unless `path` says otherwise);
    without that file, the defaults (equal weights, no threshold, no checks)."""
    path = Path(path) if path else default_path(schema.domain)
    if not path.is_file():
        if path == default_path(schema.domain):
            return parse_quality({}, schema, "defaults")
        raise SchemaError(f"no quality settings at {path} (see docs/quality.md)")
    return parse_quality(read_yaml(path) or {}, schema, str(path))
