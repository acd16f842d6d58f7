"""One attempt per task is committed; other attempts' files, finished or not, disappear."""

import pyarrow as pa
import pyarrow.parquet as pq

from connectors.staging import AttemptFiles, BucketedRecords, commit, date_buckets, read_staged


def test_only_the_chosen_attempt_reaches_the_output(tmp_path):
    staging, out = tmp_path / "_staging", tmp_path / "violations"
    table = pa.table({"x": [1, 2, 3]})
    first = AttemptFiles(staging, 7, "aaaa")
    first.write("violations", table)
    chosen = first.close()["violations"]
    retried = AttemptFiles(staging, 7, "bbbb")  # a second attempt of the same task
    retried.write("violations", table)
    retried.close()
    failed = AttemptFiles(staging, 8, "cccc")
    failed.write("violations", table)
    failed.abort()
    kept = commit(staging, "violations", [chosen], out)
    assert [p.name for p in kept] == ["part-00007.parquet"]
    assert [p.name for p in out.iterdir()] == ["part-00007.parquet"]
    assert list((staging / "violations").iterdir()) == []
    assert pq.read_table(kept[0]).num_rows == 3


def test_an_attempt_without_rows_writes_no_file(tmp_path):
    files = AttemptFiles(tmp_path, 1, "dddd")
    files.write("quarantine", pa.table({"x": pa.array([], pa.int64())}))
    assert files.close() == {}


def test_bucketed_records_are_written_a_flush_at_a_time(tmp_path):
    """Records gathered up to the buffer's size, then split into date buckets once: each
    bucket's file holds its rows in arrival order, one Arrow record batch per flush."""
    days = ["2026-01-01", "2026-01-02", "2026-01-03"]  # buckets 0, 1, 0

    def part(i: int) -> pa.Table:
        ids = list(range(i * 10, i * 10 + 10))
        return pa.table({"event_date": [days[j % 3] for j in ids], "i": ids})

    files = AttemptFiles(tmp_path, 2, "eeee")
    buffer = BucketedRecords(files, "records-", 2, buffer_bytes=4 * part(0).nbytes)
    for i in range(25):  # 25 writes: a flush every 4, the last one by hand
        buffer.add(part(i))
    buffer.flush()
    written = files.close()
    assert set(written) == {"records-0000", "records-0001"}
    odd = read_staged(tmp_path / "records-0001").column("i").to_pylist()
    even = read_staged(tmp_path / "records-0000").column("i").to_pylist()
    assert odd == [i for i in range(250) if i % 3 == 1]
    assert even == [i for i in range(250) if i % 3 != 1]
    name = tmp_path / "records-0000" / written["records-0000"]
    with pa.OSFile(str(name), "rb") as source:
        assert pa.ipc.open_file(source).num_record_batches == 7  # not 25
    assert files.rows == {"records-0000": len(even), "records-0001": len(odd)}


def test_staged_records_as_arrow_files_read_back_in_order(tmp_path):
    first, second = AttemptFiles(tmp_path, 1, "ffff"), AttemptFiles(tmp_path, 2, "gggg")
    first.write("records-0000", pa.table({"x": [1, 2]}), format="arrow")
    second.write("records-0000", pa.table({"x": [3]}), format="arrow")
    assert first.close() == {"records-0000": "00001-ffff.arrow"}
    second.close()
    aborted = AttemptFiles(tmp_path, 3, "hhhh")
    aborted.write("records-0000", pa.table({"x": [9]}), format="arrow")
    aborted.write("records-0000", pa.table({"x": list(range(10_000))}), format="arrow")
    aborted.abort()
    assert sorted(p.name for p in (tmp_path / "records-0000").iterdir()) == [
        "00001-ffff.arrow",
        "00002-gggg.arrow",
    ]
    assert read_staged(tmp_path / "records-0000").column("x").to_pylist() == [1, 2, 3]


def test_date_buckets_keep_each_date_in_one_bucket_and_every_row():
    dates = ["2026-01-01", "2026-01-02", None, "2026-01-01", "not a date", "2026-01-09"]
    table = pa.table({"event_date": dates, "i": list(range(6))})
    buckets = dict(date_buckets(table, 4))
    assert sorted(i for part in buckets.values() for i in part.column("i").to_pylist()) == [
        0, 1, 2, 3, 4, 5,
    ]  # fmt: skip
    assert buckets[0].column("i").to_pylist() == [2, 4]  # no date: bucket 0
    where = {d: b for b, part in buckets.items() for d in part.column("event_date").to_pylist()}
    assert where["2026-01-01"] == where["2026-01-09"] != where["2026-01-02"]  # 8 days apart
    assert [b for b, _ in date_buckets(table.slice(0, 1), 4)] == [where["2026-01-01"]]


def test_violations_files_keep_statistics_and_dictionaries_only_where_they_pay(tmp_path):
    from connectors.staging import VIOLATION_OPTIONS
    from udfs.engine.schemas import VIOLATION_ROWS

    n = 1000
    columns = {f.name: [f"{f.name}-{i % 3}" for i in range(n)] for f in VIOLATION_ROWS}
    columns["record_id"] = [f"r{i:06d}" for i in range(n)]
    columns["detected_at"] = [0] * n
    table = pa.table(columns).cast(VIOLATION_ROWS)
    files = AttemptFiles(tmp_path, 1, "eeee")
    files.write("violations", table, **VIOLATION_OPTIONS)
    path = tmp_path / "violations" / files.close()["violations"]
    assert pq.read_table(path).equals(table)
    chunk = pq.ParquetFile(path).metadata.row_group(0)
    by_name = {chunk.column(i).path_in_schema: chunk.column(i) for i in range(chunk.num_columns)}
    assert by_name["record_id"].statistics.min == "r000000"
    assert by_name["event_date"].is_stats_set
    assert not by_name["description"].is_stats_set
    assert "RLE_DICTIONARY" in by_name["rule_id"].encodings
    assert "RLE_DICTIONARY" not in by_name["record_id"].encodings
