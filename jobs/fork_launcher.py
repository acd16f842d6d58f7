"""The Python executable Flink starts for a UDF worker when workers are forked
(`jobs.fork_server.forks_workers`, the server `jobs/fork_server.py`):

    python -I -S jobs/fork_launcher.py SOCKET -m MODULE ARGS...

hands `-m MODULE ARGS`, its environment, working directory and standard streams to the fork
server, forwards the signals it gets to the forked worker and exits with the worker's code. Any
other command (`-c …`: Flink asks the executable where PyFlink is), or no server listening,
runs the Python that runs this file, as if the launcher were not there. Standard library only:
it starts in ~30 ms because it imports nothing else (`-I -S`).
"""

import array
import contextlib
import json
import os
import signal
import socket
import struct
import sys

HEADER = struct.Struct("!q")  # as jobs/fork_server.py


def run_here(args: list[str]) -> None:
    os.execv(sys.executable, [sys.executable, *args])


def read_number(conn: socket.socket) -> int | None:
    data = b""
    while len(data) < HEADER.size:
        chunk = conn.recv(HEADER.size - len(data))
        if not chunk:
            return None
        data += chunk
    return HEADER.unpack(data)[0]


def main(path: str, args: list[str]) -> int:
    if args[:1] != ["-m"] or len(args) < 2:
        run_here(args)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError:
        conn.close()
        run_here(args)
    body = json.dumps({"argv": args, "env": dict(os.environ), "cwd": os.getcwd()}).encode()
    streams = array.array("i", [0, 1, 2])
    conn.sendmsg([HEADER.pack(len(body))], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, streams)])
    conn.sendall(body)
    pid = read_number(conn)
    if pid is None:
        return 1

    def forward(signum: int, _frame) -> None:
        with contextlib.suppress(OSError):
            os.kill(pid, signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    code = read_number(conn)
    return 1 if code is None else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
