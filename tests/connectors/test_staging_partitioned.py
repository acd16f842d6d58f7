import pyarrow as pa
import pyarrow.dataset as ds

from connectors.staging import commit_partitioned, write_partitioned


def part(ids: list[str], dates: list[str]) -> pa.Table:
    return pa.table({"record_id": ids, "event_date": dates})


def test_one_attempt_per_task_is_committed_into_date_partitions(tmp_path):
    staging, lake = tmp_path / "staging", tmp_path / "lake"
    first = write_partitioned(part(["a", "b"], ["2025-01-01", "2025-01-02"]), staging, 0, "x1")
    write_partitioned(part(["a", "b"], ["2025-01-01", "2025-01-02"]), staging, 0, "x2")  # retry
    second = write_partitioned(part(["c"], ["2025-01-01"]), staging, 1, "y1")
    empty = write_partitioned(part([], []), staging, 2, "z1")
    (staging / "00003-w1.inprogress").mkdir()  # an attempt that died mid-write
    assert commit_partitioned(staging, [first, second, empty], lake) == 3
    table = ds.dataset(lake, format="parquet", partitioning="hive").to_table()
    assert sorted(zip(table["record_id"].to_pylist(), table["date"].to_pylist(), strict=True)) == [
        ("a", "2025-01-01"), ("b", "2025-01-02"), ("c", "2025-01-01")
    ]  # fmt: skip
    assert sorted(p.name for p in (lake / "date=2025-01-01").iterdir()) == [
        "part-00000-0.parquet", "part-00001-0.parquet"
    ]  # fmt: skip
    assert list(staging.iterdir()) == []


def test_partitions_move_file_by_file_where_a_folder_cannot_be_renamed(tmp_path, monkeypatch):
    import os

    staging, lake = tmp_path / "staging", tmp_path / "lake"
    first = write_partitioned(part(["a", "b"], ["2025-01-01", "2025-01-02"]), staging, 0, "x1")
    rename = os.rename

    def files_only(src, dst):  # a folder rename across file systems fails
        if os.path.isdir(src):
            raise OSError(18, "Invalid cross-device link")
        rename(src, dst)

    monkeypatch.setattr(os, "rename", files_only)
    assert commit_partitioned(staging, [first], lake) == 2
    assert sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*.parquet")) == [
        "date=2025-01-01/part-00000-0.parquet", "date=2025-01-02/part-00000-0.parquet"
    ]  # fmt: skip
    assert list(staging.iterdir()) == []
