"""The streaming floor benchmark: its arithmetic and lines (plain Python), and one variant run on
the real cluster and broker (services)."""

import pytest

from scripts.benchmarks.stream_floor import IDLE, KEEP_UP_S, show, summary


def test_cpu_is_per_thousand_records_sent_and_kept_up_means_drained_in_time(capsys):
    used = {"taskmanager": 3.0, "python_workers": 1.5, "broker": 0.6}
    result = summary("step", 3000, {"sent": 30_000, "rate": 2998.0}, 2.5, used)
    show(result)
    assert result["cpu_per_1000"] == {"taskmanager": 0.1, "python_workers": 0.05, "broker": 0.02}
    assert result["kept_up"] and result["drain_s"] == 2.5
    line = capsys.readouterr().out
    assert "job 0.150 CPU-s per 1,000" in line and "kept up" in line
    late = summary("step", 3000, {"sent": 30_000, "rate": 2998.0}, KEEP_UP_S + 1, used)
    missing = summary("step", 3000, {"sent": 30_000, "rate": 2998.0}, None, used)
    show(late)
    assert not late["kept_up"] and not missing["kept_up"] and missing["drain_s"] is None
    assert "fell behind" in capsys.readouterr().out


def test_idle_is_per_thousand_records_the_rate_would_have_sent(capsys):
    result = summary(IDLE, 5000, {"sent": 300_000, "rate": 0}, 0.0, {"taskmanager": 6.0})
    show(result)
    assert result["cpu_per_1000"]["taskmanager"] == 0.02
    assert capsys.readouterr().out.rstrip().endswith("no input")


@pytest.mark.services
def test_the_step_variant_runs_on_the_cluster_and_writes_one_message_per_input(tmp_path):
    from jobs.config import PipelineConfig
    from scripts.benchmarks.stream_floor import one_variant

    result = one_variant("step", 200, 5, tmp_path, PipelineConfig.load(None))
    assert result["kept_up"], result
    assert result["timed"] == 200 * 5 and 0 < result["p50_ms"] <= result["p99_ms"]  # by record id
    assert (
        result["cpu_per_1000"]["taskmanager"] > 0 and result["cpu_per_1000"]["python_workers"] > 0
    )


def test_each_stage_variant_picks_inserts_the_job_makes():
    from scripts.benchmarks.stream_floor_job import STAGES
    from udfs.flink.stream_sql import inserts

    targets = [insert.split()[2] for insert in inserts("healthcare", "j", ["record_id", "ssn"])]
    for sinks in STAGES.values():
        assert sinks and set(sinks) <= set(targets)
