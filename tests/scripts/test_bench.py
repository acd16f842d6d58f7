import pytest

from scripts import bench


def test_a_benchmark_on_the_services_says_which_are_not_running(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr("scripts.services.is_running", lambda service: service != "kafka")
    with pytest.raises(SystemExit) as stopped:
        bench.main(["stream", "--out", str(tmp_path / "out")])
    assert stopped.value.code == 2
    said = capsys.readouterr().err
    assert "not running: kafka" in said and "scripts/services up kafka" in said
    assert not (tmp_path / "out").exists()


def test_the_benchmarks_without_services_ask_for_none():
    assert bench.missing_services("batch") == []
    assert bench.missing_services("engine") == []
