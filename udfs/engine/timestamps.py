"""ISO-8601 timestamps and YYYY-MM-DD dates over a column, as `udfs.validation` reads them one at a
time: the common shapes are parsed with one RE2 pass and integer arithmetic in numpy, anything
else (whitespace, week dates, a space for the `T`, …) by the per-record parser itself, so every
value gets exactly the answer it gets there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udfs.arrow import small, strings_at
from udfs.validation import _is_valid, parse_timestamp

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
_US_PER_DAY = 86_400_000_000
# What datetime can hold once converted to UTC (astimezone overflows past these).
MIN_US = (datetime(1, 1, 1, tzinfo=UTC) - EPOCH) // MICROSECOND
MAX_US = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - EPOCH) // MICROSECOND

_TIMESTAMP = (
    r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})T(?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})"
    r"(?:\.(?P<f>\d{1,6}))?(?P<z>Z|[+-]\d{2}:\d{2})?$"
)
_DATE = r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})$"
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _calendar_ok(y: np.ndarray, mo: np.ndarray, d: np.ndarray) -> np.ndarray:
    month = np.clip(mo, 0, 12)
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    days = _DAYS_IN_MONTH[month] + ((month == 2) & leap)
    return (y >= 1) & (mo >= 1) & (mo <= 12) & (d >= 1) & (d <= days)


def days_from_civil(y: np.ndarray, mo: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y = y - (mo <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (mo + np.where(mo > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def _digits(data: np.ndarray, at: np.ndarray, width: int) -> np.ndarray:
    """The number written by `width` ASCII digits starting at each byte offset `at`."""
    value = np.zeros(len(at), dtype=np.int64)
    for k in range(width):
        value = value * 10 + (data[at + k].astype(np.int64) - 48)
    return value


def _fast_timestamps(column: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shape matched, valid, µs since the epoch) for the values of the common shape: one RE2
    pass finds them, their digits are read at fixed offsets of the UTF-8 buffer."""
    n = len(column)
    valid = np.zeros(n, dtype=bool)
    micros = np.zeros(n, dtype=np.int64)
    if small(column):
        return np.zeros(n, dtype=bool), valid, micros
    matched = pc.match_substring_regex(column, _TIMESTAMP).fill_null(False).to_numpy(False)
    rows = np.flatnonzero(matched)
    if not len(rows):
        return matched, valid, micros
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[column.offset :]
    data = np.frombuffer(column.buffers()[2], dtype=np.uint8)
    begin = offsets[rows].astype(np.int64)
    end = offsets[rows + 1].astype(np.int64)
    y, mo, d = _digits(data, begin, 4), _digits(data, begin + 5, 2), _digits(data, begin + 8, 2)
    h, mi = _digits(data, begin + 11, 2), _digits(data, begin + 14, 2)
    s = _digits(data, begin + 17, 2)
    # After the seconds: [.fraction of 1-6 digits][Z | ±HH:MM]
    last = data[end - 1]
    zone_len = np.where(last == ord("Z"), 1, 0)
    signed = (end - begin >= 25) & np.isin(data[np.maximum(end - 6, begin)], (ord("+"), ord("-")))
    zone_len = np.where(signed & (last != ord("Z")), 6, zone_len)
    fraction_end = end - zone_len
    has_fraction = (end - begin > 19) & (data[np.minimum(begin + 19, end - 1)] == ord("."))
    fraction_len = np.where(has_fraction, fraction_end - begin - 20, 0)
    f = np.zeros(len(rows), dtype=np.int64)
    for k in range(6):
        digit = data[np.minimum(begin + 20 + k, len(data) - 1)].astype(np.int64) - 48
        f = f * 10 + np.where(k < fraction_len, digit, 0)
    offset = np.zeros(len(rows), dtype=np.int64)
    zone_ok = np.ones(len(rows), dtype=bool)
    with_offset = np.flatnonzero(zone_len == 6)
    if len(with_offset):
        at = end[with_offset] - 6
        sign = np.where(data[at] == ord("-"), -1, 1)
        oh, om = _digits(data, at + 1, 2), _digits(data, at + 4, 2)
        offset[with_offset] = sign * (oh * 60 + om)
        zone_ok[with_offset] = oh * 60 + om < 24 * 60  # timezone(): strictly within a day
    ok = _calendar_ok(y, mo, d) & (h <= 23) & (mi <= 59) & (s <= 59) & zone_ok
    days = days_from_civil(y, mo, d)
    us = (days * 86_400 + h * 3_600 + mi * 60 + s) * 1_000_000 + f - offset * 60_000_000
    ok &= (us >= MIN_US) & (us <= MAX_US)
    valid[rows] = ok
    micros[rows] = np.where(ok, us, 0)
    return matched, valid, micros


def parse_timestamps(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(valid, µs since the epoch in UTC) per value, as `parse_timestamp` reads it; a value it
    refuses is not valid (its µs are 0). Nulls are not valid."""
    matched, valid, micros = _fast_timestamps(column)
    rest = np.flatnonzero(~matched & ~column.is_null().to_numpy(False))
    for row, text in zip(rest, strings_at(column, rest), strict=True):
        try:
            moment = parse_timestamp(text)
        except (ValueError, OverflowError):
            continue
        valid[row] = True
        micros[row] = (moment - EPOCH) // MICROSECOND
    return valid, micros


def dates_valid(column: pa.Array) -> np.ndarray:
    """Per value: is it a YYYY-MM-DD date `udfs.validation` accepts (nulls: False)."""
    valid = np.zeros(len(column), dtype=bool)
    if small(column):
        matched = valid.copy()
    else:
        matched = pc.match_substring_regex(column, _DATE).fill_null(False).to_numpy(False)
    rows = np.flatnonzero(matched)
    if len(rows):
        # The digits at fixed places of each matched value's UTF-8 (the shape is all ASCII).
        offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[column.offset :]
        data = np.frombuffer(column.buffers()[2], dtype=np.uint8)
        begin = offsets[rows].astype(np.int64)
        y, mo, d = _digits(data, begin, 4), _digits(data, begin + 5, 2), _digits(data, begin + 8, 2)
        valid[rows] = _calendar_ok(y, mo, d)
    rest = np.flatnonzero(~matched & ~column.is_null().to_numpy(False))
    for row, text in zip(rest, strings_at(column, rest), strict=True):
        valid[row] = _is_valid("date", text)
    return valid


def event_ms(micros: np.ndarray) -> np.ndarray:
    """`int(created.timestamp() * 1000)` per value, with the same float arithmetic (timestamp()
    divides the exact integer µs; past 2**53 µs, about the year 2255, numpy's float of the
    integer would round first, so those few go through Python ints)."""
    ms = ((micros / 1e6) * 1000.0).astype(np.int64)
    far = np.flatnonzero(np.abs(micros) >= 2**53)
    for row in far:
        ms[row] = int((int(micros[row]) / 10**6) * 1000)
    return ms


def event_dates(micros: np.ndarray) -> pa.Array:
    """The UTC date of each instant as YYYY-MM-DD."""
    days = np.floor_divide(micros, _US_PER_DAY).astype("datetime64[D]")
    return pc.cast(pa.array(days, pa.date32()), pa.string())


def micros_of(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND
