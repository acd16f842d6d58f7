"""The fork server and its launcher (jobs/fork_server.py, jobs/fork_launcher.py), without Flink:
a module run through them behaves as `python -m` would have run it."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import jobs
from jobs.fork_server import forks_workers

LAUNCHER = Path(jobs.__file__).with_name("fork_launcher.py")
PROBE = """
import json, os, sys, time
print(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "probe": os.environ.get("PROBE"),
                  "parent": os.getppid(), "pid": os.getpid(), "name": __name__,
                  "grpc_already": "grpc" in sys.modules}), flush=True)
print("to stderr", file=sys.stderr, flush=True)
if "--wait" in sys.argv:
    time.sleep(60)
sys.exit(int(sys.argv[-1]) if sys.argv[-1].isdigit() else 0)
"""


def _gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fork")
    socket_path = folder / "socket"
    process = subprocess.Popen(
        [sys.executable, "-m", "jobs.fork_server", str(os.getpid()), str(socket_path)],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not socket_path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield process, socket_path
    process.terminate()
    process.wait(timeout=10)


def _launch(socket_path: Path, cwd: Path, *args: str, **kwargs) -> subprocess.Popen:
    (cwd / "probe_module.py").write_text(PROBE)
    env = {**os.environ, "PYTHONPATH": str(cwd), "PROBE": "from the launcher"}
    command = [sys.executable, "-I", "-S", str(LAUNCHER), str(socket_path), *args]
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)  # fmt: skip


def test_a_module_runs_forked_from_the_server_as_python_m_would_run_it(server, tmp_path):
    process, socket_path = server
    forked = _launch(socket_path, tmp_path, "-m", "probe_module", "--flag", "3")
    out, err = forked.communicate(timeout=30)
    seen = json.loads(out)
    assert forked.returncode == 3
    assert seen["parent"] == process.pid  # forked by the server, not started by the launcher
    assert seen["grpc_already"]  # the server's imports are there
    assert seen["argv"] == ["--flag", "3"] and seen["name"] == "__main__"
    assert seen["cwd"] == str(tmp_path) and seen["probe"] == "from the launcher"
    assert err.strip() == "to stderr"

    fresh = _launch(tmp_path / "no-server", tmp_path, "-m", "probe_module", "--flag", "3")
    out, err = fresh.communicate(timeout=30)
    alone = json.loads(out)
    assert fresh.returncode == 3 and err.strip() == "to stderr"
    assert alone["pid"] == fresh.pid  # the launcher became that Python (exec)
    assert not alone["grpc_already"]
    for key in ("argv", "cwd", "probe", "name"):
        assert alone[key] == seen[key]


def test_any_other_command_runs_in_the_launchers_python(server, tmp_path):
    _, socket_path = server
    other = _launch(socket_path, tmp_path, "-c", "import sys; print(sys.flags.isolated)")
    out, _ = other.communicate(timeout=30)
    assert other.returncode == 0 and out.strip() == "0"  # a plain Python, not the launcher's -I


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_worker_ends_with_its_launcher(server, tmp_path, how):
    _, socket_path = server
    forked = _launch(socket_path, tmp_path, "-m", "probe_module", "--wait")
    worker = json.loads(forked.stdout.readline())["pid"]
    forked.send_signal(how)
    forked.wait(timeout=10)
    assert forked.returncode != 0
    assert _gone(worker)


def test_the_server_ends_when_the_process_that_started_it_ends(tmp_path):
    starter = (
        "import os, subprocess, sys\n"
        "p = subprocess.Popen([sys.executable, '-m', 'jobs.fork_server', str(os.getpid()),"
        f" {str(tmp_path / 's')!r}], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(p.pid)\n"
    )
    started = subprocess.run([sys.executable, "-c", starter], capture_output=True, text=True,
                             check=True, cwd=Path(jobs.__file__).parent.parent)  # fmt: skip
    assert _gone(int(started.stdout), seconds=30)
    assert not (tmp_path / "s").exists()


def test_workers_are_forked_only_for_process_mode_workers_running_this_python(monkeypatch):
    this = {"python.executable": sys.executable, "python.execution-mode": "process"}
    monkeypatch.delenv("PYFLINK_GATEWAY_PORT", raising=False)
    monkeypatch.delenv("COMPLIANCE_FORK_WORKERS", raising=False)
    assert forks_workers(this)
    assert not forks_workers({**this, "python.executable": "/other/python"})
    assert not forks_workers({**this, "python.execution-mode": "thread"})
    assert not forks_workers({})
    monkeypatch.setenv("COMPLIANCE_FORK_WORKERS", "0")
    assert not forks_workers(this)
    monkeypatch.delenv("COMPLIANCE_FORK_WORKERS")
    monkeypatch.setenv("PYFLINK_GATEWAY_PORT", "25333")  # under `flink run`
    assert not forks_workers(this)
