"""udfs/jvm ParquetBlocksFormatFactory (`'format' = 'parquet-blocks'`): a filesystem sink whose
rows are whole Parquet files writes their row groups, as they are, into its part files — what
pyarrow reads back is every file's rows, in order, whatever the text holds."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from connectors.lake import PARQUET_BLOCKS, parquet_sink_ddl, read_parquet_dir
from udfs.flink.functions import parquet_file

pytestmark = pytest.mark.jvm
ODD = ['quote " \\ /', "tab\tnew\nline\x00\x1f\x7f", "café ☕ 😀 𝕏", "", None, "x" * 3000]


def _table(start: int, n: int) -> pa.Table:
    return pa.table(
        {
            "record_id": [f"r{start + i}" for i in range(n)],
            "description": [ODD[(start + i) % len(ODD)] for i in range(n)],
            "severity": ["high" if i % 3 else "low" for i in range(n)],
        }
    )


def _sink(tmp_path, files: list[bytes | None]) -> None:
    from pyflink.table import DataTypes

    from jobs.runtime import stream_table_env

    _env, t_env = stream_table_env(batch=True, settings={"parallelism.default": "1"})
    row_type = DataTypes.ROW([DataTypes.FIELD("file", DataTypes.BYTES())])
    t_env.create_temporary_view(
        "files",
        t_env.from_elements([(None if f is None else bytearray(f),) for f in files], row_type),
    )
    t_env.execute_sql(parquet_sink_ddl("blocks_sink", tmp_path / "out", [("file", "BYTES")],
                                       fmt=PARQUET_BLOCKS))  # fmt: skip
    t_env.execute_sql("INSERT INTO blocks_sink SELECT file FROM files").wait()


def test_the_sink_writes_every_files_rows_in_order(tmp_path):
    tables = [_table(0, 7), _table(7, 40), _table(47, 1)]
    files = [
        parquet_file(tables[0]),
        None,  # a batch without violations
        # two row groups, dictionaries on one column only, statistics on none
        pq_bytes(tables[1], row_group_size=25, use_dictionary=["severity"], write_statistics=False),
        parquet_file(tables[2], compression="zstd"),
    ]
    _sink(tmp_path, files)
    written = [
        p for p in (tmp_path / "out").rglob("*") if p.is_file() and not p.name.startswith(".")
    ]
    assert len(written) == 1  # one part file of a bounded run at parallelism 1
    assert pq.ParquetFile(written[0]).num_row_groups == 4
    got = read_parquet_dir(tmp_path / "out")
    assert got.to_pylist() == pa.concat_tables(tables).to_pylist()


def test_a_file_of_another_schema_fails_the_job(tmp_path):
    other = pa.table({"record_id": ["a"], "severity": [1]})
    with pytest.raises(Exception, match="after files of schema"):
        _sink(tmp_path, [parquet_file(_table(0, 3)), parquet_file(other)])


def pq_bytes(table: pa.Table, **options) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **options)
    return sink.getvalue().to_pybytes()
