"""The batch release, without I/O: from the staged records of a whole input and the schema's
`anonymity:` settings, the generalized records to publish and the figures of the decision (k,
levels, information loss, suppressed, published). A release that no generalization makes
k-anonymous within the suppression budget publishes nothing and says why (NOT_RELEASED) —
normal for a small file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from udfs.anonymity.hierarchies import hierarchies_from_config
from udfs.anonymity.kanonymity import NoFeasibleRelease, apply_levels, build_qi_table, search_levels

SUCCEEDED, NOT_RELEASED = "SUCCEEDED", "NOT_RELEASED"
DEFAULT_K = 5  # the schema's anonymity.k when it names none (batch and streaming alike)
DEFAULT_MAX_SUPPRESSION = 0.02  # its max_suppression: the share of records that may be left out


def k_of(anonymity: dict[str, Any]) -> int:
    return int(anonymity.get("k", DEFAULT_K))


@dataclass
class Release:
    records: pa.Table  # what to publish, sorted by event date
    k: int
    max_suppression: float
    staged: int
    suppressed: int
    levels: dict[str, int] = field(default_factory=dict)
    information_loss: float | None = 0.0
    lattice_nodes_checked: int | None = None
    status: str = SUCCEEDED
    reason: str | None = None

    @property
    def published(self) -> int:
        return self.records.num_rows

    def figures(self) -> dict[str, Any]:
        """The summary's view of the decision."""
        out: dict[str, Any] = {
            "k": self.k, "max_suppression": self.max_suppression, "levels": self.levels,
            "information_loss": self.information_loss, "staged": self.staged,
            "suppressed": self.suppressed, "published": self.published,
        }  # fmt: skip
        if self.lattice_nodes_checked is not None:
            out["lattice_nodes_checked"] = self.lattice_nodes_checked
        if self.status != SUCCEEDED:
            out["status"], out["reason"] = self.status, self.reason
        return out


def release(
    staged: pa.Table, anonymity: dict[str, Any], date_column: str = "event_date"
) -> Release:
    """Search the generalization levels over all staged records, generalize, suppress."""
    k = k_of(anonymity)
    max_suppression = float(anonymity.get("max_suppression", DEFAULT_MAX_SUPPRESSION))
    base = {"k": k, "max_suppression": max_suppression, "staged": staged.num_rows}
    if staged.num_rows == 0:
        return Release(staged, suppressed=0, **base)
    l_diverse = anonymity.get("l_diversity")
    sensitive = anonymity.get("sensitive")
    qis = list(anonymity.get("quasi_identifiers") or [])
    table = build_qi_table(
        {q: staged.column(q).to_numpy() for q in qis},
        hierarchies_from_config(anonymity),
        staged.column(sensitive).to_numpy() if l_diverse and sensitive else None,
    )
    try:
        decision = search_levels(table, k, max_suppression, l_diverse)
    except NoFeasibleRelease as err:
        return Release(
            staged.slice(0, 0), suppressed=staged.num_rows, information_loss=None,
            status=NOT_RELEASED,
            reason=f"k-anonymity: {err}; raise max_suppression or add hierarchy levels", **base,
        )  # fmt: skip
    generalized, suppressed = apply_levels(table, decision, k, l_diverse)
    for q in qis:
        index = staged.schema.get_field_index(q)
        staged = staged.set_column(index, q, pa.array(generalized[q], pa.string()))
    # Sorted by date: each date partition is then written as one file, not one per batch.
    released = staged.filter(pa.array(~suppressed)).sort_by(date_column)
    return Release(
        released, suppressed=int(suppressed.sum()), levels=decision.levels,
        information_loss=round(decision.loss, 6), lattice_nodes_checked=decision.nodes_checked,
        **base,
    )  # fmt: skip
