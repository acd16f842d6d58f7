"""Column-wise protection helpers against their per-value definitions."""

import random

import pyarrow as pa

from udfs.protect.columns import _last4


def _last4_of(value):
    if value is None:
        return None
    digits = [c for c in value if c.isdigit()]
    return "_" + "".join(digits[-4:]) if len(digits) >= 4 else None


def test_last4_reads_the_last_four_digits_of_every_value():
    rng = random.Random(2)
    values = [
        None
        if rng.random() < 0.05
        else "".join(rng.choices("0123456789 -ab", k=rng.randint(0, 12)))
        for _ in range(3_000)
    ] + ["ü1234", "12ü345", "٣1234", None]
    for column in (pa.array(values), pa.array(values).slice(13), pa.array(values[:100])):
        assert _last4(column).to_pylist() == [_last4_of(v) for v in column.to_pylist()]
