"""Input splits: byte ranges of the CSV files that the batch job's workers read on their own.

A split [start, end) of a file owns the lines whose first byte lies in it, so consecutive
splits read every line exactly once wherever the cut falls: a reader starting inside a line
skips to the next one, and reads past `end` to finish its last line. A record is a line (a
quoted field holding a newline gives two broken lines, both quarantined, as in the rest of the
project), so no split ever cuts a record.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

NEWLINE = 10
SEEK_BYTES = 1 << 20  # read this much at a time to find a split's first line
# ASCII bytes str.isspace() is true for: a line of only these (and \r) is blank, not a record.
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True


@dataclass(frozen=True)
class Split:
    index: int
    path: str
    start: int
    end: int


def plan_splits(paths: list[str], split_bytes: int) -> list[Split]:
    """Byte ranges of at most `split_bytes` covering every file (an empty file: one split)."""
    splits: list[Split] = []
    for path in paths:
        size = os.path.getsize(path)
        for start in range(0, max(size, 1), split_bytes):
            splits.append(Split(len(splits), path, start, min(start + split_bytes, size)))
    return splits


def plan_for_workers(paths: list[str], max_split_bytes: int, workers: int) -> list[Split]:
    """Splits small enough to keep every worker busy: four per worker at least, at most
    `max_split_bytes` (at least 1 MiB) each, and of one size whose count is a multiple of the
    workers — the last worker to finish is the scan's end, and 13 splits of 16 MiB on two
    workers leave one with 7 of them."""
    total = sum(os.path.getsize(path) for path in paths)
    count = max(4 * workers, -(-total // max_split_bytes))
    count = -(-count // workers) * workers
    return plan_splits(paths, max(-(-total // count), 1 << 20))


@dataclass
class LineBatch:
    lines: pa.BinaryArray  # each line without its newline (a trailing \r stays, as Flink reads it)
    records: int  # the lines that are records: neither blank nor the header itself


def _owned_start(handle, start: int) -> int:
    """The offset of the first line that starts at or after `start`."""
    if start == 0:
        return 0
    handle.seek(start - 1)
    if handle.read(1) == b"\n":
        return start
    position = start
    while chunk := handle.read(SEEK_BYTES):
        at = chunk.find(b"\n")
        if at >= 0:
            return position + at + 1
        position += len(chunk)
    return position


def _batch(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, header: bytes) -> LineBatch:
    """Lines data[starts[i]:ends[i]] as one binary array (the newlines between them dropped),
    and how many are records: the line is not blank as str.strip() sees it and not the header
    (what the engine skips)."""
    first, last = int(starts[0]), int(ends[-1])
    keep = np.ones(last - first, dtype=bool)
    keep[ends[:-1] - first] = False  # the newline after each line but the last
    values = data[first:last][keep]
    lengths = ends - starts
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    lines = pa.BinaryArray.from_buffers(
        pa.binary(), len(starts), [None, pa.py_buffer(offsets), pa.py_buffer(values)]
    )
    # A line whose first byte is ASCII and not blank is a record; only the others (empty, or
    # starting with a blank or a byte past ASCII, which may be Unicode whitespace: \xa0,
    # \u3000, …) are decoded and stripped, as per record.
    records = lengths > 0
    first_bytes = values[offsets[:-1][records]]
    records[records] = ~_SPACE[first_bytes] & (first_bytes < 128)
    for i in np.flatnonzero(~records):
        text = bytes(values[offsets[i] : offsets[i + 1]]).decode("utf-8", "replace")
        records[i] = bool(text.strip())
    header = header.rstrip(b"\r\n")
    for extra in (0, 1):  # the header again (with its \r in a CRLF file) is no record
        same = np.flatnonzero(records & (lengths == len(header) + extra))
        if len(same) and len(header):
            rows = values[offsets[same][:, None] + np.arange(len(header))]
            match = (rows == np.frombuffer(header, dtype=np.uint8)).all(axis=1)
            if extra:
                match &= values[offsets[same] + len(header)] == 13
            records[same[match]] = False
    return LineBatch(lines, int(records.sum()))


def read_split(split: Split, header: bytes, batch_bytes: int) -> Iterator[LineBatch]:
    """The lines the split owns, in batches of about `batch_bytes`; the file's first line (its
    header) is neither read nor counted."""
    skip_header = split.start == 0
    for batch in _read(split, header, batch_bytes):
        if skip_header:
            skip_header = False
            batch = _without_first(batch, header)
            if not len(batch.lines):
                continue
        yield batch


def _without_first(batch: LineBatch, header: bytes) -> LineBatch:
    first = batch.lines[0].as_py()
    counted = first.rstrip(b"\r") != header.rstrip(b"\r\n") and bool(
        first.decode("utf-8", "replace").strip()
    )
    return LineBatch(batch.lines.slice(1), batch.records - int(counted))


def _read(split: Split, header: bytes, batch_bytes: int) -> Iterator[LineBatch]:
    with open(split.path, "rb") as handle:
        base = _owned_start(handle, split.start)  # the file offset of data[0] below
        if split.start > 0 and base >= split.end:
            return
        handle.seek(base)
        carry = b""
        while True:
            chunk = handle.read(batch_bytes)
            data = carry + chunk
            if not data:
                return
            buffer = np.frombuffer(data, dtype=np.uint8)
            newlines = np.flatnonzero(buffer == NEWLINE)
            if chunk and not len(newlines):
                carry = data  # one line longer than a read: read on
                continue
            starts = np.concatenate([[0], newlines + 1])
            ends = np.concatenate([newlines, [len(buffer)]])
            if chunk:  # the last piece is an unfinished line: it goes with the next read
                carry = data[newlines[-1] + 1 :]
                starts, ends = starts[:-1], ends[:-1]
            elif data.endswith(b"\n"):  # the end of the file: no line after the last newline
                starts, ends = starts[:-1], ends[:-1]
            owned = base + starts < split.end
            if owned.any():
                yield _batch(buffer, starts[owned], ends[owned], header)
            if not chunk or not owned.all():
                return
            base += len(data) - len(carry)
            if base >= split.end:
                return
