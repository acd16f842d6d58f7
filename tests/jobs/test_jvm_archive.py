"""The class-data-sharing archive of a local job's JVM (jobs/jvm_archive.py)."""

import os

import pytest

import jobs.jvm_archive
from jobs.jvm_archive import build, share_jvm_classes


@pytest.mark.jvm
def test_the_archive_is_written_by_a_local_jobs_jvm_and_put_in_place_whole(tmp_path):
    path = tmp_path / "cds" / "local.jsa"
    build(path, rows=200)
    assert path.stat().st_size > 20 * 2**20  # Flink's runtime, the planner, Beam's runner
    assert sorted(p.name for p in path.parent.iterdir()) == ["local.jsa"]  # no partial left


def test_a_local_jvm_maps_the_class_archive_only_when_there_is_one_and_none_is_chosen(
    monkeypatch, tmp_path
):
    archive = tmp_path / "local.jsa"
    monkeypatch.setattr(jobs.jvm_archive, "DEFAULT_PATH", archive)
    for name in ("JVM_ARGS", "COMPLIANCE_JVM_ARCHIVE", "PYFLINK_GATEWAY_PORT"):
        monkeypatch.delenv(name, raising=False)
    share_jvm_classes()
    assert "JVM_ARGS" not in os.environ  # no archive built
    archive.write_bytes(b"x")
    monkeypatch.setenv("JVM_ARGS", "-XX:TieredStopAtLevel=1")
    share_jvm_classes()
    args = os.environ["JVM_ARGS"].split()
    assert args[0] == "-XX:TieredStopAtLevel=1" and f"-XX:SharedArchiveFile={archive}" in args
    share_jvm_classes()
    assert os.environ["JVM_ARGS"].split() == args  # named once
    for chosen in ({"JVM_ARGS": "-XX:ArchiveClassesAtExit=/x.jsa"},
                   {"COMPLIANCE_JVM_ARCHIVE": "0", "JVM_ARGS": ""},
                   {"PYFLINK_GATEWAY_PORT": "25333", "JVM_ARGS": ""}):  # fmt: skip
        for name, value in chosen.items():
            monkeypatch.setenv(name, value)
        share_jvm_classes()
        assert "SharedArchiveFile" not in os.environ["JVM_ARGS"]
        for name in chosen:
            monkeypatch.delenv(name, raising=False)
