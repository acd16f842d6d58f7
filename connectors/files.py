"""CSV inputs: find the files, read their headers, count their records; the raw-lines source."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from udfs.pipeline import Layout, LayoutError, normalize_path
from udfs.schema import DomainSchema


class InputError(ValueError):
    """The input cannot be read as asked; the message says what and where."""


@dataclass(frozen=True)
class InputFile:
    path: Path
    header: str


def list_input_files(path: Path) -> list[Path]:
    """The file itself, or the visible regular files under a directory (what Flink reads)."""
    if not path.exists():
        raise InputError(f"input not found: {path}")
    if path.is_file():
        return [path]
    files = sorted(
        p for p in path.rglob("*")
        if p.is_file() and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
    )  # fmt: skip
    if not files:
        raise InputError(f"input directory has no files: {path}")
    return files


def read_header(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            first = handle.readline()
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror}") from None
    if not first.strip():
        raise InputError(f"{path} is empty: expected a header row naming the columns")
    try:
        return first.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
    except UnicodeDecodeError:
        raise InputError(f"{path}: the header row is not UTF-8") from None


def count_records(path: Path) -> int:
    """Non-blank lines after the header: what the job must account for."""
    count = 0
    with open(path, "rb") as handle:
        header = handle.readline().strip()
        for line in handle:
            stripped = line.strip()
            if stripped and stripped != header:  # a repeated header is not a record either
                count += 1
    return count


def raw_lines_ddl(table: str, path: Path) -> str:
    """One row per line (bytes, so non-UTF-8 input reaches the quarantine) and its file."""
    return f"""CREATE TEMPORARY TABLE {table} (
        line BYTES,
        path STRING NOT NULL METADATA FROM 'file.path' VIRTUAL
    ) WITH ('connector' = 'filesystem', 'path' = '{path.resolve().as_uri()}', 'format' = 'raw')"""


def read_layouts(path: Path, schema: DomainSchema) -> dict[str, str]:
    """The header of every input file, keyed by its normalized path; a header that misses
    required columns is an InputError naming the file."""
    layouts = {}
    for file in list_input_files(path):
        header = read_header(file)
        try:
            Layout.from_header(header, schema)
        except LayoutError as err:
            raise InputError(f"{file}: {err}") from None
        layouts[normalize_path(str(file.resolve()))] = header
    return layouts
