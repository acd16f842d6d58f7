"""The column-wise timestamp and date parsers answer as udfs.validation does, value by value."""

import random
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest

from udfs.engine.timestamps import (
    EPOCH,
    MICROSECOND,
    dates_valid,
    event_dates,
    event_ms,
    parse_timestamps,
)
from udfs.validation import _is_valid, parse_timestamp


def _random_timestamps(count: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    values = []
    for _ in range(count):
        year = rng.choice([rng.randint(1, 9999), rng.randint(1990, 2030), 1, 9999, 0])
        text = (
            f"{year:04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}T"
            f"{rng.randint(0, 25):02d}:{rng.randint(0, 61):02d}:{rng.randint(0, 61):02d}"
        )
        if rng.random() < 0.5:
            text += "." + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 7)))
        zone = rng.random()
        if zone < 0.3:
            text += "Z"
        elif zone < 0.6:
            text += f"{rng.choice('+-')}{rng.randint(0, 25):02d}:{rng.randint(0, 99):02d}"
        elif zone < 0.65:
            text += " "
        values.append(text)
    return values


def _expected(text: str) -> tuple[bool, int]:
    try:
        return True, (parse_timestamp(text) - EPOCH) // MICROSECOND
    except (ValueError, OverflowError):
        return False, 0


ODD = [
    "2025-06-01T00:00:00.000Z", "2025-06-01", "2025-06-01 00:00:00", " 2025-06-01T00:00:00Z",
    "2025-06-01t00:00:00", "2025-06-01T00:00", "2025-06-01T00:00:00,5", "20250601T000000",
    "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "0001-01-01T00:00:00+00:01", "",
    "9999-12-31T23:59:59.999999-00:01", "２０２５-06-01T00:00:00", "yesterday", "12/31/2024",
]  # fmt: skip


def test_timestamps_match_the_per_record_parser():
    values = _random_timestamps(100_000) + ODD
    valid, micros = parse_timestamps(pa.array(values))
    got = [(bool(ok), int(us) if ok else 0) for ok, us in zip(valid, micros, strict=True)]
    assert got == [_expected(v) for v in values]
    assert 0.3 < valid.mean() < 0.7  # both kinds well represented


@pytest.mark.parametrize("seed", [2, 3])
def test_event_time_columns_match_the_per_record_arithmetic(seed):
    rng = random.Random(seed)
    moments = [
        datetime.fromtimestamp(rng.uniform(-6e10, 2.5e11), UTC).replace(
            microsecond=rng.choice([0, 1, 123000, 999999, rng.randint(0, 999999)])
        )
        for _ in range(20_000)
    ]
    micros = np.array([(m - EPOCH) // MICROSECOND for m in moments], dtype=np.int64)
    assert event_ms(micros).tolist() == [int(m.timestamp() * 1000) for m in moments]
    assert event_dates(micros).to_pylist() == [m.date().isoformat() for m in moments]


def test_dates_match_the_per_record_check():
    rng = random.Random(4)
    values = [
        f"{rng.randint(0, 9999):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}"
        for _ in range(20_000)
    ] + ["2024-02-29", "2023-02-29", " 2024-01-01", "2024-1-01", "", "٢٠٢٤-01-01"]
    for column in (pa.array(values), pa.array([None, *values]).slice(1)):  # offset buffers too
        assert dates_valid(column).tolist() == [_is_valid("date", v) for v in values]
