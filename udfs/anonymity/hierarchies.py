"""Generalization hierarchies, declared in YAML per domain. Level 0 is the least general form
released; the last level is always `*` (the value suppressed)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

STAR = "*"
# HIPAA Safe Harbor: three-digit ZIP prefixes with 20,000 people or fewer become 000.
RESTRICTED_ZIP3 = frozenset(
    [
        "036",
        "059",
        "063",
        "102",
        "203",
        "556",
        "692",
        "790",
        "821",
        "823",
        "830",
        "831",
        "878",
        "879",
        "884",
        "890",
        "893",
    ]
)


def truncate_decimals(value: str, decimals: int) -> str:
    """Cut (not round) a decimal string to exactly `decimals` places: ('40.7189', 2) -> '40.71'."""
    text = value.strip()
    whole, _, fraction = text.partition(".")
    if decimals == 0:
        return "-0" if whole == "-0" else whole
    return f"{whole}.{(fraction + '0' * decimals)[:decimals]}"


class Hierarchy:
    levels: int  # number of levels, `*` included

    def generalize(self, value: str | None, level: int) -> str:
        if level >= self.levels - 1:
            return STAR
        if not value:
            return ""
        return self._generalize(value.strip(), level)

    def _generalize(self, value: str, level: int) -> str:
        raise NotImplementedError


@dataclass
class DateHierarchy(Hierarchy):
    """YYYY-MM-DD → month → year → N-year bands."""

    steps: tuple[str | int, ...] = ("month", "year", 5, 10, 20)

    @property
    def levels(self) -> int:
        return len(self.steps) + 1

    def _generalize(self, value: str, level: int) -> str:
        step = self.steps[level]
        if step == "month":
            return value[:7]
        year = int(value[:4])
        if step == "year":
            return str(year)
        start = year - year % int(step)
        return f"{start}-{start + int(step) - 1}"


@dataclass
class SuppressHierarchy(Hierarchy):
    """The value itself, then `*`."""

    levels: int = 2

    def _generalize(self, value: str, level: int) -> str:
        return value


@dataclass
class ZipHierarchy(Hierarchy):
    """5 digits → ZIP3 (restricted prefixes → 000) → `*`."""

    levels: int = 3

    def _generalize(self, value: str, level: int) -> str:
        if level == 0:
            return value[:5]
        prefix = value[:3]
        return "000" if prefix in RESTRICTED_ZIP3 else prefix


@dataclass
class DecimalsHierarchy(Hierarchy):
    """Coordinates truncated to fewer decimals per level."""

    steps: tuple[int, ...] = (2, 1, 0)

    @property
    def levels(self) -> int:
        return len(self.steps) + 1

    def _generalize(self, value: str, level: int) -> str:
        return truncate_decimals(value, self.steps[level])


@dataclass
class Icd10Hierarchy(Hierarchy):
    """Code → category (3 characters) → chapter letter → `*`."""

    levels: int = 4

    def _generalize(self, value: str, level: int) -> str:
        code = value.upper()
        return code if level == 0 else code[:3] if level == 1 else code[:1]


@dataclass
class BandsHierarchy(Hierarchy):
    """Amounts in bands of growing width: [0,10) → [0,100) → …"""

    widths: tuple[float, ...] = (10, 100, 1000)

    @property
    def levels(self) -> int:
        return len(self.widths) + 1

    def _generalize(self, value: str, level: int) -> str:
        width = self.widths[level]
        low = math.floor(float(value) / width) * width
        return f"[{low:g},{low + width:g})"


def hierarchy_from_config(name: str, spec: dict[str, Any]) -> Hierarchy:
    kind = spec.get("kind")
    if kind == "date":
        return DateHierarchy(tuple(spec.get("levels") or DateHierarchy.steps))
    if kind == "suppress":
        return SuppressHierarchy()
    if kind == "zip":
        return ZipHierarchy()
    if kind == "decimals":
        return DecimalsHierarchy(tuple(int(x) for x in spec.get("levels") or (2, 1, 0)))
    if kind == "icd10":
        return Icd10Hierarchy()
    if kind == "bands":
        return BandsHierarchy(tuple(float(x) for x in spec.get("widths") or (10, 100, 1000)))
    raise ValueError(f"hierarchy for {name}: unknown kind {kind!r}")


def hierarchies_from_config(anonymity: dict[str, Any]) -> dict[str, Hierarchy]:
    specs = anonymity.get("hierarchies") or {}
    missing = [q for q in anonymity.get("quasi_identifiers") or () if q not in specs]
    if missing:
        raise ValueError(f"no hierarchy for quasi-identifier(s): {', '.join(missing)}")
    return {name: hierarchy_from_config(name, spec or {}) for name, spec in specs.items()}
