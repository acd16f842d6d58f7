"""Differentially private aggregates, declared per domain in YAML (conf/dp/<domain>.yaml):
typed, checked against the domain's schema, every mistake named with the file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from udfs.anonymity.hierarchies import Hierarchy, hierarchy_from_config
from udfs.schema import CONF_DIR, DomainSchema, SchemaError, read_yaml

MEASURES = ("count", "sum", "mean")
BATCH_WINDOWS = ("input", "day")
RAW = "raw"  # a group-by column taken as it is (no hierarchy)


def default_path(domain: str) -> Path:
    return CONF_DIR / "dp" / f"{domain}.yaml"


@dataclass(frozen=True)
class Aggregate:
    name: str
    group_by: tuple[tuple[str, int | None], ...]  # (column, hierarchy level or None: raw)
    measure: str  # count | sum | mean
    epsilon: float
    delta: float
    max_groups: int  # L0: groups one person may add to per window
    max_records: int  # L∞: records one person may add to one group per window
    column: str | None = None  # the measured column (sum, mean)
    bounds: tuple[float, float] = (0.0, 0.0)  # each value clamped to [low, high]

    @property
    def group_columns(self) -> list[str]:
        return [c for c, _ in self.group_by]

    @property
    def value_bound(self) -> float:
        """The most one record changes a sum by."""
        return max(abs(self.bounds[0]), abs(self.bounds[1]))


@dataclass(frozen=True)
class Budget:
    epsilon: float  # per day of event time, over every release whose window covers the day
    delta: float


@dataclass(frozen=True)
class DPConfig:
    domain: str
    person: str
    window_minutes: int
    batch_window: str
    budget: Budget
    aggregates: tuple[Aggregate, ...]
    hierarchies: dict[str, Hierarchy]
    source: str = ""

    def aggregate(self, name: str) -> Aggregate:
        return next(a for a in self.aggregates if a.name == name)

    @property
    def columns(self) -> list[str]:
        """Every record column the aggregates read: the person first."""
        wanted = [self.person]
        for a in self.aggregates:
            wanted += [*a.group_columns, *([a.column] if a.column else [])]
        return list(dict.fromkeys(wanted))


def _number(where: str, value: Any, low: float, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaError(f"{where}: expected a number, not {value!r}")
    if value <= low or (high is not None and value > high):
        bound = f"in ({low:g}, {high:g}]" if high is not None else f"> {low:g}"
        raise SchemaError(f"{where}: expected a number {bound}, not {value!r}")
    return float(value)


def _whole(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SchemaError(f"{where}: expected a whole number ≥ 1, not {value!r}")
    return value


def _known(where: str, spec: dict, allowed: set[str]) -> None:
    if not isinstance(spec, dict):
        raise SchemaError(f"{where}: expected a mapping")
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise SchemaError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _aggregate(where: str, name: str, spec: dict, schema: DomainSchema, hierarchies) -> Aggregate:
    _known(where, spec, {"group_by", "measure", "column", "bounds", "epsilon", "delta",
                         "max_groups", "max_records"})  # fmt: skip
    group_by = spec.get("group_by")
    if not isinstance(group_by, dict) or not group_by:
        raise SchemaError(f"{where}.group_by: expected a mapping of column: level (or raw)")
    groups: list[tuple[str, int | None]] = []
    for column, level in group_by.items():
        if column not in schema.names:
            raise SchemaError(f"{where}.group_by: {column!r} is not a field of {schema.domain}")
        if level == RAW:
            groups.append((column, None))
            continue
        hierarchy = hierarchies.get(column)
        if hierarchy is None:
            raise SchemaError(f"{where}.group_by.{column}: no hierarchy for it; say `raw`")
        if (
            isinstance(level, bool)
            or not isinstance(level, int)
            or not 0 <= level < hierarchy.levels - 1
        ):
            raise SchemaError(f"{where}.group_by.{column}: level {level!r} is not one of "
                              f"0..{hierarchy.levels - 2} (or raw)")  # fmt: skip
        groups.append((column, level))
    measure = spec.get("measure", "count")
    if measure not in MEASURES:
        raise SchemaError(f"{where}.measure: one of {', '.join(MEASURES)}, not {measure!r}")
    column, bounds = spec.get("column"), (0.0, 0.0)
    if measure != "count":
        if column not in schema.names:
            raise SchemaError(f"{where}.column: a field of {schema.domain} to {measure}")
        raw = spec.get("bounds")
        if not (isinstance(raw, list) and len(raw) == 2 and all(
                isinstance(x, int | float) and not isinstance(x, bool) for x in raw)) or raw[0] >= raw[1]:  # fmt: skip
            raise SchemaError(f"{where}.bounds: expected [low, high] with low < high")
        bounds = (float(raw[0]), float(raw[1]))
    elif column is not None or "bounds" in spec:
        raise SchemaError(f"{where}: a count takes no column or bounds")
    return Aggregate(
        name=name, group_by=tuple(groups), measure=measure,
        epsilon=_number(f"{where}.epsilon", spec.get("epsilon"), 0.0),
        delta=_number(f"{where}.delta", spec.get("delta"), 0.0, 0.01),
        max_groups=_whole(f"{where}.max_groups", spec.get("max_groups", 1)),
        max_records=_whole(f"{where}.max_records", spec.get("max_records", 1)),
        column=column, bounds=bounds,
    )  # fmt: skip


def parse_dp(raw: dict, schema: DomainSchema, source: str = "") -> DPConfig:
    where = source or "dp"
    _known(where, raw, {"domain", "person", "window_minutes", "batch_window", "budget",
                        "aggregates"})  # fmt: skip
    if raw.get("domain", schema.domain) != schema.domain:
        raise SchemaError(f"{where}: written for {raw['domain']!r}, not {schema.domain!r}")
    person = raw.get("person")
    if person not in schema.names:
        raise SchemaError(f"{where}.person: a field of {schema.domain}, not {person!r}")
    batch_window = raw.get("batch_window", "input")
    if batch_window not in BATCH_WINDOWS:
        raise SchemaError(f"{where}.batch_window: one of {', '.join(BATCH_WINDOWS)}")
    budget = raw.get("budget") or {}
    _known(f"{where}.budget", budget, {"epsilon", "delta"})
    specs = (schema.anonymity or {}).get("hierarchies") or {}
    hierarchies = {n: hierarchy_from_config(n, s or {}) for n, s in specs.items()}
    aggregates = raw.get("aggregates")
    if not isinstance(aggregates, dict) or not aggregates:
        raise SchemaError(f"{where}.aggregates: expected at least one aggregate")
    return DPConfig(
        domain=schema.domain, person=person,
        window_minutes=_whole(f"{where}.window_minutes", raw.get("window_minutes", 60)),
        batch_window=batch_window,
        budget=Budget(_number(f"{where}.budget.epsilon", budget.get("epsilon"), 0.0),
                      _number(f"{where}.budget.delta", budget.get("delta"), 0.0, 1.0)),
        aggregates=tuple(_aggregate(f"{where}.aggregates.{n}", n, s, schema, hierarchies)
                         for n, s in aggregates.items()),
        hierarchies=hierarchies, source=source,
    )  # fmt: skip


def load_dp(schema: DomainSchema, path: Path | None = None) -> DPConfig:
    """The domain's aggregates (conf/dp/<domain>.yaml unless `path` says otherwise)."""
    path = Path(path) if path else default_path(schema.domain)
    if not path.is_file():
        raise SchemaError(f"no differential-privacy settings at {path} (see docs/privacy.md)")
    return parse_dp(read_yaml(path) or {}, schema, str(path))
