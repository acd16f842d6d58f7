"""The TaskManager's threads by kind (scripts/benchmarks/threads.py), from their JVM names."""

from scripts.benchmarks.threads import by_kind, thread_kind

CHAIN = "Source: input_rows[1] -> Calc[2] -> PythonCalc[3] -> Calc[4] -> TableToDataStream"


def test_threads_are_named_by_kind_and_tasks_by_their_chains_first_operator():
    assert thread_kind("C2 CompilerThread0") == "jit"
    assert thread_kind("G1 Conc#0") == thread_kind("GC Thread#1") == "gc"
    assert thread_kind(f"Source Data Fetcher for {CHAIN}") == "kafka_fetch"
    assert thread_kind("kafka-producer-network-thread | producer-3") == "kafka_produce"
    assert thread_kind(f"{CHAIN} (1/1)#0") == "task: Source: input_rows"
    assert thread_kind("k-anonymity windows -> Calc[10] (1/2)#3") == "task: k-anonymity windows"
    assert thread_kind(f"Time Trigger for {CHAIN} (1/1)#0") == "other"  # not the task's thread
    assert thread_kind(f"System Time Trigger for {CHAIN} (1/1)#0") == "other"
    assert thread_kind("flink-scheduler-1") == thread_kind("") == "other"


def test_cpu_is_summed_per_kind_between_two_readings():
    names = {1: "C2 CompilerThread0", 2: "C1 CompilerThread0", 3: f"{CHAIN} (1/1)#0"}
    before = {1: 10.0, 2: 1.0, 3: 5.0}
    after = {1: 12.5, 2: 1.5, 3: 9.0, 4: 0.25}  # 4 started since, and the dump missed it
    assert by_kind(before, after, names) == {
        "task: Source: input_rows": 4.0, "jit": 3.0, "other": 0.25,
    }  # fmt: skip
