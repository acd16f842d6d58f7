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
