"""CPU accounting of the stream bench: processes sorted into parts, this process counted."""

from scripts.benchmarks.cpu import part_of, snapshot, used_since


def test_parts_by_command_line():
    assert part_of("java ... org.apache.flink.runtime.taskexecutor.TaskManagerRunner --x") == (
        "taskmanager"
    )
    assert part_of("python -m pyflink.fn_execution.beam.beam_boot --id=1") == "python_workers"
    assert part_of("/usr/bin/java -cp lib/kafka/* kafka.Kafka run/kafka.properties") == "broker"
    assert part_of("bash scripts/demo") is None


def test_this_process_burns_measurable_cpu():
    before = snapshot()
    total = 0
    for i in range(3_000_000):
        total += i
    assert used_since(before)["load_generator"] > 0.05
