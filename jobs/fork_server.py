"""A Python that imports PyFlink's UDF worker and the project's functions once, then forks a
worker for each one Flink starts — PySpark's `daemon.py` idea, for a local MiniCluster.

A Python worker's start is ~1 s of imports (Apache Beam's harness ~0.75 s, pandas, pyarrow, the
engine), on the critical path of every local batch job (docs/performance.md, session 35). Flink
starts a worker by running `python.executable -m pyflink.fn_execution.beam.beam_boot …`; with
`forks_workers` (below) that executable is a small launcher (`jobs/fork_launcher.py`)
which hands this server its arguments, environment, working directory and standard streams. The
server forks; the child takes them over and runs the module as `python -m` would. Run as

    python -m jobs.fork_server PARENT_PID SOCKET [MODULE ...]   (the modules to import first)

The server binds its socket before importing, so a worker started meanwhile waits rather than
missing it, and exits when its parent (the process that started it, PARENT_PID) is gone.
"""

from __future__ import annotations

import array
import atexit
import importlib
import json
import os
import runpy
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# Imported before the first fork: Beam's harness as PyFlink runs it, and the data libraries.
PRELOAD = (
    "pandas",
    "pyarrow.compute",
    "pyarrow.csv",
    "pyarrow.parquet",
    "grpc",
    "google.protobuf.json_format",
    "google.protobuf.text_format",
    "apache_beam.portability.api.org.apache.beam.model.fn_execution.v1.beam_provision_api_pb2_grpc",
    "pyflink.fn_execution.beam.beam_sdk_worker_main",
)
HEADER = struct.Struct("!q")  # a request's body length; then the child's pid and exit code
STREAMS = 3  # stdin, stdout, stderr
POLL_S = 1.0  # how often the server checks that its parent is still there


def preload(modules: list[str]) -> list[str]:
    """Import each module; returns the failures (`name: error`), which are logged, not fatal:
    a child imports what the server could not, as a fresh Python would."""
    failed = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as error:  # any import error: the child imports it, as Python would
            failed.append(f"{name}: {type(error).__name__}: {error}")
    return failed


def read_exactly(conn: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise EOFError("the launcher closed the connection")
        data += chunk
    return bytes(data)


def receive_request(conn: socket.socket) -> tuple[dict, list[int]]:
    """The launcher's request (argv, env, cwd) and its standard streams' descriptors."""
    fds = array.array("i")
    header, ancillary, _, _ = conn.recvmsg(HEADER.size, socket.CMSG_LEN(STREAMS * fds.itemsize))
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    if len(header) < HEADER.size:
        header += read_exactly(conn, HEADER.size - len(header))
    (size,) = HEADER.unpack(header)
    return json.loads(read_exactly(conn, size)), list(fds)


def exit_code(error: SystemExit) -> int:
    if error.code is None:
        return 0
    return error.code if isinstance(error.code, int) else 1


def _watch_launcher(conn: socket.socket) -> None:
    """The launcher gone (killed: the connection closes) means this worker goes too."""
    try:
        conn.recv(1)
    finally:
        os._exit(1)


def serve_child(conn: socket.socket, server: socket.socket) -> None:
    """In the forked child: become the process the launcher would have started; never returns."""
    code = 1
    try:
        server.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        request, fds = receive_request(conn)
        if len(fds) != STREAMS:
            raise ValueError(f"expected {STREAMS} descriptors, got {len(fds)}")
        for target, fd in enumerate(fds):
            if fd != target:
                os.dup2(fd, target)
                os.close(fd)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        extra = [p for p in request["env"].get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[:1] = [request["cwd"], *(p for p in extra if p not in sys.path)]
        conn.sendall(HEADER.pack(os.getpid()))
        threading.Thread(target=_watch_launcher, args=(conn,), daemon=True).start()
        option, module, *args = request["argv"]
        if option != "-m":
            raise ValueError(f"only `-m MODULE` runs in a fork, not {option!r}")
        sys.argv = [module, *args]
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as error:
            code = exit_code(error)
    except BaseException:  # reported on the worker's stderr, as Python would
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            conn.sendall(HEADER.pack(code))
        finally:
            os._exit(code)


def serve(parent: int, path: str, modules: list[str]) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    started = time.perf_counter()
    failed = preload(modules)
    print(
        f"fork server: {len(modules) - len(failed)} of {len(modules)} modules imported in "
        f"{time.perf_counter() - started:.2f}s" + "".join(f"\n  not imported: {f}" for f in failed),
        file=sys.stderr,
        flush=True,
    )
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the system
    server.settimeout(POLL_S)
    forked = 0
    while os.getppid() == parent:
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        conn.settimeout(None)
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:
            serve_child(conn, server)
        conn.close()
        forked += 1
        print(f"fork server: worker {forked} forked", file=sys.stderr, flush=True)


# -- the driver's side -------------------------------------------------------------------

# "0": a local MiniCluster starts each Python worker afresh instead of forking it.
FORK_WORKERS_ENV = "COMPLIANCE_FORK_WORKERS"
# What the workers of the project's jobs import, besides PyFlink's harness (PRELOAD).
WORKER_MODULES = (
    "udfs.flink.functions", "udfs.flink.quality", "udfs.flink.release", "udfs.flink.scan",
    "udfs.flink.tasks", "udfs.flink.windows",
)  # fmt: skip


class ForkServer:
    """This driver's fork server (a child process) and the launcher script that Flink runs as
    `python.executable`; stopped when the driver exits."""

    def __init__(self, python: str):
        self.folder = Path(tempfile.mkdtemp(prefix="fc-workers-"))
        socket_path = self.folder / "socket"
        self.launcher = self.folder / "python"
        launcher = Path(__file__).with_name("fork_launcher.py")
        command = [python, "-I", "-S", str(launcher), str(socket_path)]
        self.launcher.write_text(f'#!/bin/sh\nexec {shlex.join(command)} "$@"\n')
        self.launcher.chmod(0o755)
        from connectors.settings import RUN_DIR

        log_dir = RUN_DIR / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        with open(log_dir / "fork-server.log", "ab") as log:
            self.process = subprocess.Popen(
                [python, "-m", "jobs.fork_server", str(os.getpid()), str(socket_path),
                 *WORKER_MODULES],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip
        atexit.register(self.stop)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


_fork_server: ForkServer | None = None


def forks_workers(settings: dict[str, str]) -> bool:
    """Whether Python workers are forked from a pre-imported server: on Linux, for process-mode
    workers running this Python, not under `flink run` (its workers start on the cluster),
    unless COMPLIANCE_FORK_WORKERS is 0. Whether the job runs locally is known only once its
    environment exists (`jobs.runtime.runs_locally`)."""
    return (
        os.environ.get(FORK_WORKERS_ENV, "1") != "0"
        and sys.platform.startswith("linux")  # fork after imports: not on macOS, not Windows
        and "PYFLINK_GATEWAY_PORT" not in os.environ
        and settings.get("python.execution-mode", "process") == "process"
        and settings.get("python.executable") == sys.executable
    )


def fork_server() -> ForkServer:
    """This driver's fork server, started on first use (again if it has died)."""
    global _fork_server
    if _fork_server is None or _fork_server.process.poll() is not None:
        _fork_server = ForkServer(sys.executable)
    return _fork_server


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2 or not args[0].isdigit():
        print("usage: python -m jobs.fork_server PARENT_PID SOCKET [MODULE ...]", file=sys.stderr)
        return 2
    parent, path, modules = int(args[0]), args[1], [*PRELOAD, *args[2:]]
    try:
        serve(parent, path, modules)
    finally:
        if os.path.exists(path):
            os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
