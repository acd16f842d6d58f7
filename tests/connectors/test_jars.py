import pytest

from connectors.jars import JarsMissing, flink_jars


@pytest.fixture
def lib(tmp_path):
    (tmp_path / "flink").mkdir()
    (tmp_path / "jvm").mkdir()
    for name in ("flink/flink-sql-connector-kafka.jar", "flink/hadoop-client-api.jar",
                 "jvm/flink-compliance-udfs.jar"):  # fmt: skip
        (tmp_path / name).write_bytes(b"")
    return tmp_path


def test_the_connectors_and_the_projects_operators_or_the_operators_alone(lib):
    every = flink_jars(lib / "flink", lib / "jvm")
    assert [p.name for p in every] == [
        "flink-sql-connector-kafka.jar", "hadoop-client-api.jar", "flink-compliance-udfs.jar"
    ]  # fmt: skip
    alone = flink_jars(lib / "flink", lib / "jvm", connectors=False)
    assert [p.name for p in alone] == ["flink-compliance-udfs.jar"]


def test_missing_jars_say_to_run_setup(lib, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(JarsMissing, match="scripts/setup"):
        flink_jars(empty, lib / "jvm")
    flink_jars(empty, lib / "jvm", connectors=False)  # not needed, not missing
    with pytest.raises(JarsMissing, match="scripts/setup"):
        flink_jars(lib / "flink", empty, connectors=False)
