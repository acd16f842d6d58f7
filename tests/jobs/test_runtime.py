from jobs.runtime import ship_plugins


class Recorder:
    def __init__(self):
        self.files = []

    def add_python_file(self, path):
        self.files.append(path)


def test_plugin_files_are_shipped_and_the_workers_import_them_by_module(tmp_path):
    plugin = str(tmp_path / "plugins" / "badge_rule.py")
    t_env = Recorder()
    shipped = ship_plugins(t_env, {"plugins": ["tests.plugins.employee_id", plugin], "rules": {}})
    assert t_env.files == [plugin]
    assert shipped["plugins"] == ["tests.plugins.employee_id", "badge_rule"]
    assert ship_plugins(Recorder(), {"rules": {}})["plugins"] == []


def test_a_flink_failure_is_told_by_its_python_cause_else_its_deepest_java_one():
    from jobs.runtime import flink_failure

    text = (
        "py4j.protocol.Py4JJavaError: An error occurred while calling o209.hasNext.\n"
        ": java.lang.RuntimeException: Failed to fetch next result\n"
        "Caused by: java.io.IOException: Failed to fetch job execution result\n"
        '  File "/x/udfs/flink/scan.py", line 76, in eval\n'
        "OSError: [Errno 28] Error writing bytes to file. Detail: [errno 28] No space left on device\n"
        "\tat org.apache.beam.Foo.bar(Foo.java:1)\n"
    )
    assert flink_failure(text) == (
        "OSError: [Errno 28] Error writing bytes to file. Detail: [errno 28] No space left on device"
    )
    java = ("py4j.protocol.Py4JJavaError: An error occurred\njava.lang.RuntimeException: outer\n"
            "Caused by: java.lang.IllegalStateException: slot lost\n\tat a.b(C.java:1)\n")  # fmt: skip
    assert flink_failure(java) == "IllegalStateException: slot lost"
    assert flink_failure("") == "unknown failure"
