"""One attempt per task is committed; other attempts' files, finished or not, disappear."""

import pyarrow as pa
import pyarrow.parquet as pq

from connectors.staging import AttemptFiles, commit


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
