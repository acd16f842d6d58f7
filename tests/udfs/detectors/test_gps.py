"""Coordinates column-wise against their per-value definitions, with and without the plain
shapes validation already knows."""

import random

import numpy as np
import pyarrow as pa
import pytest

from udfs.anonymity.hierarchies import truncate_decimals
from udfs.detectors.gps import _significant, plain_mask, significant_decimals
from udfs.protect.columns import coarsen_column


def _coordinates() -> list:
    rng = random.Random(3)
    values = [
        f"{rng.choice(['', '-'])}{rng.randint(0, 180)}.{rng.randint(0, 10 ** rng.randint(0, 7))}"
        for _ in range(2_000)
    ]
    return [*values, "40.7100", "12", "-0.000", " 40.71289", "1e1", "north", "", None, "7.", "+1.5"]


@pytest.mark.parametrize("known", ["none", "all", "some"])
def test_significant_decimals_and_coarsening_are_the_per_value_answers(known):
    column = pa.array(_coordinates())
    plain = {
        "none": None,
        "all": plain_mask(column),
        "some": plain_mask(column) & (np.arange(len(column)) % 3 > 0),  # a subset: still exact
    }[known]
    values = column.to_pylist()
    decimals = significant_decimals(column, plain)
    assert decimals.tolist() == [_significant(v) for v in values]
    out = coarsen_column(column, 2, None if plain is None else decimals, plain)
    expected = [truncate_decimals(v, 2) if _significant(v) > 2 else v for v in values]
    assert out.to_pylist() == expected
