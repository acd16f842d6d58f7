"""Output files written by the workers of a batch run, exactly once however tasks are retried.

Each task attempt writes its own files, `<staging>/<kind>/<task>-<attempt>.parquet` (named
`.inprogress` until the attempt closes them), and reports their names in its result. When the
job is done the driver commits one attempt per task (`commit`): its files move to the output,
every other attempt's files are deleted. A failed attempt leaves only `.inprogress` files or
files nobody chose; a retried one writes under a new attempt id. Nothing is lost or doubled.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from udfs.engine.schemas import VIOLATION_ROWS

IN_PROGRESS = ".inprogress"
# Staged records are written and read back once, by the job itself: Arrow IPC (ArrowFile).
RECORD_OPTIONS = {"format": "arrow"}
# The violations files (~4 rows per record): a dictionary for the text columns whose values
# repeat (all but the record id), and min/max statistics only on the record id and the date,
# which a reader prunes by. Same values, smaller files; 30-50% less of the worker's time writing
# them than pyarrow's defaults (docs/performance.md, session 27). The names come from the
# schema: pyarrow ignores a name it does not know.
VIOLATION_OPTIONS = {
    "use_dictionary": [
        f.name for f in VIOLATION_ROWS if f.type == pa.string() and f.name != "record_id"
    ],
    "write_statistics": [VIOLATION_ROWS.field(n).name for n in ("record_id", "event_date")],
}


def new_attempt() -> str:
    return uuid.uuid4().hex[:12]


class AttemptFiles:
    """The files of one task attempt, one per kind of output, opened on first write: Parquet,
    or Arrow IPC where the write's options say `format="arrow"`."""

    def __init__(self, staging: Path, task: int, attempt: str):
        self.staging = staging
        self.name = f"{task:05d}-{attempt}.parquet"
        self.writers: dict[str, pq.ParquetWriter | ArrowFile] = {}
        self.rows: dict[str, int] = {}
        self.options: dict[str, dict] = {}

    def write(self, kind: str, table: pa.Table, **options) -> None:
        if table.num_rows == 0:
            return
        self.options.setdefault(kind, options)
        writer = self.writers.get(kind)
        if writer is None:
            folder = self.staging / kind
            folder.mkdir(parents=True, exist_ok=True)
            options = dict(self.options[kind])
            path = folder / (self.file_name(kind) + IN_PROGRESS)
            if options.pop("format", "parquet") == "arrow":
                writer = ArrowFile(path, table.schema)
            else:
                writer = pq.ParquetWriter(path, table.schema, **options)
            self.writers[kind] = writer
            self.rows[kind] = 0
        writer.write_table(table)
        self.rows[kind] += table.num_rows

    def close(self) -> dict[str, str]:
        """Finish every file; returns kind → file name (kinds with no rows have no file)."""
        for kind, writer in self.writers.items():
            writer.close()
            folder, name = self.staging / kind, self.file_name(kind)
            (folder / (name + IN_PROGRESS)).rename(folder / name)
        return {kind: self.file_name(kind) for kind in self.writers}

    def abort(self) -> None:
        for kind, writer in self.writers.items():
            writer.close()
            (self.staging / kind / (self.file_name(kind) + IN_PROGRESS)).unlink(missing_ok=True)

    def file_name(self, kind: str) -> str:
        if self.options.get(kind, {}).get("format") == "arrow":
            return self.name.removesuffix(".parquet") + ".arrow"
        return self.name


class ArrowFile:
    """An Arrow IPC file, uncompressed: for files written once and read back once by the job
    itself (staged records) — 3-4x cheaper than Parquet both ways, for ~2.5x the disk."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.sink = pa.OSFile(str(path), "wb")
        self.writer = pa.ipc.new_file(self.sink, schema)

    def write_table(self, table: pa.Table) -> None:
        self.writer.write_table(table)

    def close(self) -> None:
        self.writer.close()
        self.sink.close()


def read_staged(folder: str | Path) -> pa.Table:
    """Every file of a staging folder (Arrow IPC or Parquet) as one table."""
    parts = []
    for path in sorted(Path(folder).iterdir()):
        if path.suffix == ".arrow":
            with pa.OSFile(str(path), "rb") as source:
                parts.append(pa.ipc.open_file(source).read_all())
        elif path.suffix == ".parquet":
            parts.append(pq.read_table(path))
    return pa.concat_tables(parts) if parts else pa.table({})


def commit(staging: Path, kind: str, chosen: list[str], target: Path | None) -> list[Path]:
    """Keep the chosen files of `kind`: moved into `target` as part-NNNNN.parquet (or left in
    staging when `target` is None); every other file of that kind is deleted. Returns the
    kept files."""
    folder = staging / kind
    kept: list[Path] = []
    wanted = set(chosen)
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
    for path in sorted(folder.iterdir()) if folder.exists() else []:
        if path.name not in wanted:
            path.unlink()
            continue
        if target is None:
            kept.append(path)
        else:
            moved = target / f"part-{path.name.split('-', 1)[0]}.parquet"
            shutil.move(str(path), moved)
            kept.append(moved)
    return kept


def write_partitioned(table, staging: str | Path, task: int, attempt: str,
                      date_column: str = "event_date", ordered: bool = False) -> str:  # fmt: skip
    """One attempt's part of a date-partitioned output: `<staging>/<task>-<attempt>/date=D/
    part.parquet` (the folder named `.inprogress` until it is complete; `ordered`: the rows
    come sorted by date). Returns its name."""
    from connectors.lake import write_dated

    name = f"{task:05d}-{attempt}"
    folder = Path(staging) / (name + IN_PROGRESS)
    folder.mkdir(parents=True, exist_ok=True)
    write_dated(table, folder, date_column, ordered)
    folder.rename(Path(staging) / name)
    return name


def commit_partitioned(staging: Path, chosen: list[str], target: Path) -> int:
    """Move the chosen attempts' partition files into `target/date=D/part-<task>-<i>.parquet`;
    delete every other attempt. Returns the number of files committed. A partition that is not
    in `target` yet moves as a whole folder (its files renamed in place first): a date belongs
    to one task, so with thousands of dates this is two renames per date, not a mkdir, a move
    and an rmdir."""
    target.mkdir(parents=True, exist_ok=True)
    wanted, files = set(chosen), 0
    for folder in sorted(staging.iterdir()) if staging.exists() else []:
        if folder.name not in wanted:
            shutil.rmtree(folder, ignore_errors=True)
            continue
        task = folder.name.split("-", 1)[0]
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            files += _commit_entry(Path(entry.path), folder, task, target)
        shutil.rmtree(folder)
    return files


def _part_name(task: str, path: Path) -> str:
    return f"part-{task}-{path.stem.split('-')[-1]}.parquet"


def _commit_entry(entry: Path, folder: Path, task: str, target: Path) -> int:
    """One top-level entry of an attempt's folder (a `date=D` partition) into `target`."""
    destination = target / entry.name
    if entry.is_dir() and not destination.exists():
        inside = list(os.scandir(entry))
        if all(e.is_file() and e.name.endswith(".parquet") for e in inside):
            for e in inside:
                os.rename(e.path, entry / _part_name(task, Path(e.path)))
            try:
                os.rename(entry, destination)
                return len(inside)
            except OSError:  # e.g. the lake on another file system: file by file below
                pass
    paths = [entry] if entry.is_file() else sorted(entry.rglob("*.parquet"))
    for path in paths:
        if path.suffix != ".parquet":
            continue
        partition = target / path.parent.relative_to(folder)
        partition.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), partition / _part_name(task, path))
    return sum(1 for path in paths if path.suffix == ".parquet")


def date_buckets(table: pa.Table, buckets: int, date_column: str = "event_date"):
    """The table's rows by bucket of their date (days since 1970 modulo `buckets`; a row
    without a date in bucket 0), as (bucket, rows) pairs: every row of one date in one bucket,
    so that one writer per bucket writes each date partition once."""
    if table.num_rows == 0:
        return
    days = pc.cast(pc.strptime(table.column(date_column), "%Y-%m-%d", "s", error_is_null=True),
                   pa.int64()).to_numpy(zero_copy_only=False)  # fmt: skip
    bucket = np.where(np.isnan(days.astype(float)), 0, (days // 86400) % buckets).astype(np.int64)
    sizes = np.bincount(bucket, minlength=buckets)
    if np.count_nonzero(sizes) == 1:
        yield int(np.argmax(sizes)), table
        return
    ordered = table.take(pa.array(np.argsort(bucket, kind="stable")))
    start = 0
    for b, size in enumerate(sizes):
        if size:
            yield b, ordered.slice(start, int(size))
            start += int(size)


class BucketedRecords:
    """A task's staged records by date bucket (`date_buckets`), each bucket one Arrow file of
    the attempt: records are gathered up to `buffer_bytes` and split into buckets once per
    flush, so that a bucket's writes are thousands of rows, not a batch's few hundred (with
    60 buckets, writing each batch's share cost more than the rest of the staging)."""

    def __init__(
        self, files: AttemptFiles, prefix: str, buckets: int, buffer_bytes: int = 64 << 20
    ):
        self.files, self.prefix, self.buckets = files, prefix, buckets
        self.buffer_bytes = buffer_bytes
        self.pending: list[pa.Table] = []
        self.size = 0

    def add(self, records: pa.Table) -> None:
        if records.num_rows == 0:
            return
        self.pending.append(records)
        self.size += records.nbytes
        if self.size >= self.buffer_bytes:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        records = pa.concat_tables(self.pending)
        self.pending, self.size = [], 0
        for bucket, rows in date_buckets(records, self.buckets):
            self.files.write(f"{self.prefix}{bucket:04d}", rows, **RECORD_OPTIONS)
