"""The class-data-sharing archive of a local job's JVM (jobs/jvm_archive.py)."""

import pytest

from jobs.jvm_archive import build


@pytest.mark.jvm
def test_the_archive_is_written_by_a_local_jobs_jvm_and_put_in_place_whole(tmp_path):
    path = tmp_path / "cds" / "local.jsa"
    build(path, rows=200)
    assert path.stat().st_size > 20 * 2**20  # Flink's runtime, the planner, Beam's runner
    assert sorted(p.name for p in path.parent.iterdir()) == ["local.jsa"]  # no partial left
