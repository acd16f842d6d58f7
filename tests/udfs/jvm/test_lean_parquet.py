"""udfs/jvm LeanParquetFormatFactory (`'format' = 'parquet-lean'`): Flink's Parquet files with
min/max statistics for the named columns only, the same rows as Flink's own format."""

from __future__ import annotations

import pyarrow.parquet as pq

from connectors.lake import parquet_sink_ddl

ROWS = [("r1", "same text", "2024-01-01"), ("r2", "same text", "2024-01-02"),
        ("r3", None, "2024-01-01"), ("r4", "é ☕", None)]  # fmt: skip
COLUMNS = [("record_id", "STRING"), ("description", "STRING"), ("event_date", "STRING")]


def _write(t_env, name, path, **options):
    from pyflink.table import DataTypes

    t_env.execute_sql(parquet_sink_ddl(name, path, COLUMNS, **options))
    row_type = DataTypes.ROW([DataTypes.FIELD(n, DataTypes.STRING()) for n, _ in COLUMNS])
    t_env.from_elements(ROWS, row_type).execute_insert(name).wait()
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    assert files, f"no file in {path}"
    return files


def test_statistics_for_the_named_columns_only_and_the_same_rows(tmp_path):
    from jobs.runtime import stream_table_env

    _env, t_env = stream_table_env(batch=True, settings={"parallelism.default": "1"})
    lean = _write(t_env, "lean", tmp_path / "lean", dictionary=False, statistics=("event_date",))
    full = _write(t_env, "flink_own", tmp_path / "full", dictionary=False)
    read = [pq.read_table(files).to_pylist() for files in (lean, full)]
    assert read[0] == read[1] and len(read[0]) == len(ROWS)
    for files, kept in ((lean, {"event_date"}), (full, {"record_id", "description", "event_date"})):
        group = pq.ParquetFile(files[0]).metadata.row_group(0)
        with_statistics = {
            group.column(i).path_in_schema
            for i in range(group.num_columns)
            if group.column(i).statistics is not None and group.column(i).statistics.has_min_max
        }
        assert with_statistics == kept
        encodings = {e for i in range(group.num_columns) for e in group.column(i).encodings}
        assert "RLE_DICTIONARY" not in encodings and "PLAIN_DICTIONARY" not in encodings
