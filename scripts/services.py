"""Start, stop and check the real local services: a KRaft Kafka broker, PostgreSQL and a Flink
standalone cluster. `up` is idempotent and waits until each service answers; `down` stops only
what `up` started (a marker file under run/<service>/ records that)."""

from __future__ import annotations

import argparse
import base64
import glob
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.jars import flink_jars  # noqa: E402
from connectors.settings import RUN_DIR, DatabaseSettings, FlinkSettings  # noqa: E402
from udfs.protect.native import DEFAULT_PATH as NATIVE_LIB  # noqa: E402

SERVICES = ("kafka", "postgres", "flink")
KAFKA_PORT, KAFKA_CONTROLLER_PORT = 9092, 9093


class ServiceError(RuntimeError):
    pass


def say(message: str) -> None:
    print(f"services: {message}", flush=True)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise ServiceError(f"{what} did not answer within {timeout:.0f}s")


def run_checked(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise ServiceError(
            f"{' '.join(cmd[:3])} ... failed (exit {result.returncode}):\n"
            f"{(result.stdout + result.stderr).strip()[-2000:]}"
        )
    return result


def marker(service: str) -> Path:
    return RUN_DIR / service / "started-by-services"


# --- Kafka -----------------------------------------------------------------------------


def kafka_cluster_id() -> str:
    # base64url of a UUID, as Kafka's own tool makes; never starting with '-' (read as a flag).
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if cid[0].isalnum():
            return cid


def kafka_properties(run: Path) -> str:
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"listeners=PLAINTEXT://127.0.0.1:{KAFKA_PORT},CONTROLLER://127.0.0.1:{KAFKA_CONTROLLER_PORT}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{KAFKA_PORT}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            f"controller.quorum.bootstrap.servers=127.0.0.1:{KAFKA_CONTROLLER_PORT}",
            f"log.dirs={run / 'data'}",
            "num.partitions=3",
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=false",
            "",
        ]
    )


def kafka_answers() -> bool:
    if not port_open(KAFKA_PORT):
        return False
    try:
        from confluent_kafka.admin import AdminClient

        AdminClient({"bootstrap.servers": f"127.0.0.1:{KAFKA_PORT}"}).list_topics(timeout=2)
        return True
    except Exception:
        return False


def kafka_up() -> None:
    run = RUN_DIR / "kafka"
    jars = ROOT / "lib" / "kafka"
    if not jars.is_dir():
        raise ServiceError("lib/kafka is missing: run scripts/setup")
    run.mkdir(parents=True, exist_ok=True)
    props = run / "server.properties"
    props.write_text(kafka_properties(run), encoding="utf-8")
    log4j = run / "log4j2.properties"
    log4j.write_text(
        "rootLogger.level=INFO\nrootLogger.appenderRef.f.ref=F\nappender.f.type=File\n"
        f"appender.f.name=F\nappender.f.fileName={run / 'server.log'}\n"
        "appender.f.layout.type=PatternLayout\nappender.f.layout.pattern=%d %p %c{1} %m%n\n",
        encoding="utf-8",
    )
    java = shutil.which("java") or "java"
    classpath = f"{jars}/*"
    if not (run / "data" / "meta.properties").exists():
        run_checked(
            [java, "-cp", classpath, "kafka.tools.StorageTool", "format", "--standalone",
             f"--cluster-id={kafka_cluster_id()}", "-c", str(props)]
        )  # fmt: skip
    with open(run / "stdout.log", "ab") as out:
        proc = subprocess.Popen(
            [java, "-Xms256m", "-Xmx1g", f"-Dlog4j2.configurationFile={log4j}",
             "-cp", classpath, "kafka.Kafka", str(props)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    (run / "pid").write_text(str(proc.pid))
    marker("kafka").touch()
    try:
        wait_until(lambda: proc.poll() is None and kafka_answers(), 60, "kafka")
    except ServiceError as err:
        raise ServiceError(f"{err}; exit={proc.poll()}; see {run / 'server.log'}") from None


def stop_pid(pid_file: Path) -> None:
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return
    stop_pid_value(pid)
    pid_file.unlink(missing_ok=True)


def stop_pid_value(pid: int, timeout: float = 20) -> None:
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(pid, 9)


def kafka_down() -> None:
    stop_pid(RUN_DIR / "kafka" / "pid")


# --- PostgreSQL ------------------------------------------------------------------------


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise ServiceError("PostgreSQL server not installed: run scripts/setup --services")
    return found[-1]


def as_postgres_user(cmd: list[str]) -> list[str]:
    # The server refuses to run as root; run it as Debian's `postgres` account then.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def postgres_answers(settings: DatabaseSettings, dbname: str | None = None) -> bool:
    if not port_open(settings.port):
        return False
    try:
        import psycopg2

        psycopg2.connect(**{**settings.connect_kwargs(), "dbname": dbname or settings.name}).close()
        return True
    except Exception:
        return False


def postgres_up() -> None:
    run = RUN_DIR / "postgres"
    data = run / "data"
    run.mkdir(parents=True, exist_ok=True)
    password_file = run / "password"
    if not password_file.exists() and not os.environ.get("COMPLIANCE_DB_PASSWORD"):
        password_file.write_text(secrets.token_urlsafe(18))
        password_file.chmod(0o600)
    settings = DatabaseSettings.from_env()
    owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    if owner:
        for path in (RUN_DIR, run):
            path.chmod(path.stat().st_mode | 0o011)  # let the postgres account pass through
        os.chown(run, owner.pw_uid, owner.pw_gid)
    if not (data / "PG_VERSION").exists():
        pwfile = run / "initdb-password"
        pwfile.write_text(settings.password or "")
        if owner:
            os.chown(pwfile, owner.pw_uid, owner.pw_gid)
        try:
            run_checked(
                as_postgres_user([pg_bin("initdb"), "-D", str(data), "-U", settings.user,
                                  f"--pwfile={pwfile}", "-A", "scram-sha-256", "-E", "UTF8",
                                  "--locale=C.UTF-8"])
            )  # fmt: skip
        finally:
            pwfile.unlink(missing_ok=True)
    options = f"-p {settings.port} -k {run} -c listen_addresses=127.0.0.1"
    run_checked(
        as_postgres_user([pg_bin("pg_ctl"), "-D", str(data), "-l", str(run / "server.log"),
                          "-o", options, "-w", "-t", "60", "start"])
    )  # fmt: skip
    marker("postgres").touch()
    wait_until(lambda: postgres_answers(settings, "postgres"), 30, "postgres")
    import psycopg2

    conn = psycopg2.connect(**{**settings.connect_kwargs(), "dbname": "postgres"})
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (settings.name,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{settings.name}"')
    conn.close()


def postgres_down() -> None:
    data = RUN_DIR / "postgres" / "data"
    if (data / "postmaster.pid").exists():
        subprocess.run(
            as_postgres_user([pg_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
        )


# --- Flink -----------------------------------------------------------------------------


def flink_home() -> Path:
    import pyflink

    return Path(pyflink.__file__).resolve().parent


def flink_lib_dir() -> Path:
    """Flink's own lib/ plus the project's connector jars: loaded once by the cluster's parent
    class loader instead of once per job (which exhausts metaspace after a few jobs)."""
    lib = RUN_DIR / "flink" / "lib"
    if lib.exists():
        shutil.rmtree(lib)
    lib.mkdir(parents=True)
    jars = [
        *(flink_home() / "lib").glob("*.jar"),
        *(flink_home() / "opt").glob("flink-python-*.jar"),
    ]
    for jar in [*jars, *flink_jars()]:
        (lib / jar.name).symlink_to(jar)
    return lib


def flink_env() -> dict[str, str]:
    run = RUN_DIR / "flink"
    if not (run / "lib").is_dir():
        flink_lib_dir()
    return {
        **os.environ,
        "FLINK_LIB_DIR": str(run / "lib"),
        "FLINK_CONF_DIR": str(run / "conf"),
        "FLINK_LOG_DIR": str(run / "log"),
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        # The job's package reaches the workers as a zip: they find the native HMAC here.
        **({"COMPLIANCE_NATIVE_LIB": str(NATIVE_LIB)} if NATIVE_LIB.is_file() else {}),
    }


def flink_overview() -> dict | None:
    try:
        url = f"{FlinkSettings.from_env().rest_url}/overview"
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.load(response)
    except Exception:
        return None


def taskmanager_count() -> int:
    """COMPLIANCE_TASKMANAGERS (default 1): TaskManagers of 2 slots each, separate JVMs."""
    text = os.environ.get("COMPLIANCE_TASKMANAGERS", "1")
    if not text.isdigit() or int(text) < 1:
        raise ServiceError(f"COMPLIANCE_TASKMANAGERS={text!r}: expected a whole number ≥ 1")
    return int(text)


def flink_ready(count: int = 1) -> bool:
    overview = flink_overview()
    return bool(
        overview
        and overview.get("taskmanagers", 0) >= count
        and overview["slots-total"] >= 2 * count
    )


def deep_merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def render_flink_conf() -> None:
    run = RUN_DIR / "flink"
    (run / "conf").mkdir(parents=True, exist_ok=True)
    (run / "log").mkdir(parents=True, exist_ok=True)
    import yaml

    text = (ROOT / "conf" / "flink" / "config.yaml").read_text(encoding="utf-8")
    text = text.replace("@RUN_DIR@", str(run)).replace("@PYTHON@", sys.executable)
    home_conf = flink_home() / "conf"
    # Start from the distribution's defaults (JVM --add-opens and the like), ours on top.
    base = yaml.safe_load((home_conf / "config.yaml").read_text(encoding="utf-8")) or {}
    merged = deep_merge(base, yaml.safe_load(text))
    (run / "conf" / "config.yaml").write_text(yaml.safe_dump(merged), encoding="utf-8")
    for name in ("log4j.properties", "log4j-cli.properties", "log4j-console.properties"):
        if (home_conf / name).exists():
            shutil.copy(home_conf / name, run / "conf" / name)


def flink_up() -> None:
    render_flink_conf()
    flink_lib_dir()
    bin_dir = flink_home() / "bin"
    env = flink_env()
    count = taskmanager_count()
    for script in ("jobmanager.sh", *["taskmanager.sh"] * count):
        run_checked(["bash", str(bin_dir / script), "start"], env=env)
    marker("flink").touch()
    wait_until(lambda: flink_ready(count), 90, f"flink ({count} TaskManager(s) with 2 slots each)")


def flink_down() -> None:
    bin_dir = flink_home() / "bin"
    env = flink_env()
    for script in ("taskmanager.sh", "jobmanager.sh"):  # stop-all: every TaskManager started
        subprocess.run(["bash", str(bin_dir / script), "stop-all"], env=env, capture_output=True)
    try:
        wait_until(lambda: not port_open(8081), 30, "flink shutdown")
    except ServiceError:  # the scripts could not stop it: stop the processes they started
        for pid_file in (RUN_DIR / "flink" / "pid").glob("*.pid"):
            for line in pid_file.read_text().split():
                stop_pid_value(int(line))
        wait_until(lambda: not port_open(8081), 30, "flink shutdown")


# --- commands --------------------------------------------------------------------------


def is_running(service: str) -> bool:
    if service == "kafka":
        return kafka_answers()
    if service == "postgres":
        return port_open(DatabaseSettings.from_env().port)
    return flink_overview() is not None


def describe(service: str) -> str:
    if service == "kafka":
        return f"127.0.0.1:{KAFKA_PORT} (KRaft)"
    if service == "postgres":
        s = DatabaseSettings.from_env()
        return f"{s.host}:{s.port}/{s.name}"
    overview = flink_overview() or {}
    return (
        f"Web UI {FlinkSettings.from_env().rest_url}, {overview.get('taskmanagers', 0)} "
        f"TaskManager(s), {overview.get('slots-total', 0)} slots"
    )


STARTERS = {"kafka": kafka_up, "postgres": postgres_up, "flink": flink_up}
STOPPERS = {"kafka": kafka_down, "postgres": postgres_down, "flink": flink_down}


def up(services: list[str]) -> int:
    failed = 0
    for service in services:
        if is_running(service):
            say(f"{service} already running: {describe(service)}")
            continue
        say(f"starting {service} ...")
        started = time.monotonic()
        try:
            STARTERS[service]()
        except ServiceError as err:
            failed += 1
            say(f"{service} FAILED: {err}")
            continue
        say(f"{service} up in {time.monotonic() - started:.1f}s: {describe(service)}")
    return 1 if failed else 0


def down(services: list[str]) -> int:
    for service in services:
        if not marker(service).exists():
            state = (
                "running, not started by scripts/services" if is_running(service) else "not running"
            )
            say(f"{service} {state}; leaving it")
            continue
        say(f"stopping {service} ...")
        try:
            STOPPERS[service]()
        except ServiceError as err:
            say(f"{service}: {err}")
            return 1
        marker(service).unlink(missing_ok=True)
    return 0


def status(services: list[str], as_json: bool) -> int:
    states = {service: is_running(service) for service in services}
    if as_json:
        print(json.dumps(states))
        return 0
    for service, running in states.items():
        print(f"{service:9} {'up    ' + describe(service) if running else 'down'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/services", description=__doc__)
    parser.add_argument("command", choices=("up", "down", "status"))
    parser.add_argument("services", nargs="*", choices=(*SERVICES, []), metavar="SERVICE")
    parser.add_argument("--json", action="store_true", help="status as JSON {service: running}")
    args = parser.parse_args(argv)
    services = args.services or list(SERVICES)
    if args.command == "up":
        return up(services)
    if args.command == "down":
        return down(services)
    return status(services, args.json)


if __name__ == "__main__":
    sys.exit(main())
