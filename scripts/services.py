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
from connectors.settings import (  # noqa: E402
    LOCAL_PASSFILE,
    RUN_DIR,
    DatabaseSettings,
    FlinkSettings,
    passfile_line,
)
from udfs.protect.native import DEFAULT_PATH as NATIVE_LIB  # noqa: E402

SERVICES = ("kafka", "postgres", "flink")
SECURE_SERVICES = ("kafka-secure", "postgres-secure")  # up --secure: TLS and SASL only
CDC_SERVICES = ("connect",)  # up --cdc (or up connect): Kafka Connect with Debezium
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


KAFKA_SECURE_PORTS = (9193, 9194, 9195)  # SASL_SSL for clients, internal, controller
POSTGRES_SECURE_PORT = 5433
CERTS = RUN_DIR / "certs"
SECURE_USER = "compliance"


def tools_certs():
    from tools import certs

    return certs


def secure_env() -> dict[str, str]:
    """The settings that reach the secured local broker and database (scripts/services up
    --secure prints them as exports)."""
    return {
        "COMPLIANCE_KAFKA_BOOTSTRAP": f"127.0.0.1:{KAFKA_SECURE_PORTS[0]}",
        "COMPLIANCE_KAFKA_SECURITY": "SASL_SSL",
        "COMPLIANCE_KAFKA_USER": SECURE_USER,
        "COMPLIANCE_KAFKA_PASSWORD_FILE": str(RUN_DIR / "kafka-secure" / "password"),
        "COMPLIANCE_KAFKA_CA_FILE": str(CERTS / "ca.pem"),
        "COMPLIANCE_DB_HOST": "127.0.0.1",
        "COMPLIANCE_DB_PORT": str(POSTGRES_SECURE_PORT),
        "COMPLIANCE_DB_SSLMODE": "verify-full",
        "COMPLIANCE_DB_SSLROOTCERT": str(CERTS / "ca.pem"),
        "COMPLIANCE_DB_PASSWORD_FILE": str(RUN_DIR / "postgres-secure" / "password"),
        "COMPLIANCE_DB_PASSFILE": str(LOCAL_PASSFILE),
    }


def kafka_secure_properties(run: Path) -> str:
    client, internal, controller = KAFKA_SECURE_PORTS
    certs = tools_certs().ensure(CERTS)
    plain = kafka_properties(run).splitlines()
    keep = [line for line in plain if not line.startswith(
        ("listeners=", "advertised.listeners=", "inter.broker.listener.name=",
         "listener.security.protocol.map=", "controller.quorum.bootstrap.servers="))]  # fmt: skip
    return "\n".join([
        *keep,
        f"listeners=SASL_SSL://127.0.0.1:{client},INTERNAL://127.0.0.1:{internal},"
        f"CONTROLLER://127.0.0.1:{controller}",
        f"advertised.listeners=SASL_SSL://127.0.0.1:{client},INTERNAL://127.0.0.1:{internal}",
        "inter.broker.listener.name=INTERNAL",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,SASL_SSL:SASL_SSL",
        f"controller.quorum.bootstrap.servers=127.0.0.1:{controller}",
        "sasl.enabled.mechanisms=SCRAM-SHA-512",
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config="
        "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        "ssl.keystore.type=PEM",
        f"ssl.keystore.location={certs.bundle}",
        "",
    ])  # fmt: skip


def kafka_secure_answers() -> bool:
    if not port_open(KAFKA_SECURE_PORTS[0]):
        return False
    try:
        from confluent_kafka.admin import AdminClient

        from connectors.settings import KafkaSettings

        config = KafkaSettings.from_env(secure_env()).client_config()
        AdminClient(config).list_topics(timeout=5)
        return True
    except Exception:
        return False


def kafka_secure_up() -> None:
    """A second broker that takes clients over SASL_SSL (SCRAM-SHA-512) only, its server
    certificate signed by the local CA; the user and its password are made at format time."""
    run = RUN_DIR / "kafka-secure"
    run.mkdir(parents=True, exist_ok=True)
    password_file = run / "password"
    if not password_file.exists():
        write_secret(password_file)
    scram = f"SCRAM-SHA-512=[name={SECURE_USER},password={password_file.read_text()}]"
    kafka_start(run, kafka_secure_properties(run), ["--add-scram", scram],
                kafka_secure_answers, "kafka-secure")  # fmt: skip


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
    kafka_start(run, kafka_properties(run), [], kafka_answers, "kafka")


def log4j_file(run: Path) -> Path:
    """A log4j2 configuration writing the service's log to run/<service>/server.log."""
    log4j = run / "log4j2.properties"
    log4j.write_text(
        "rootLogger.level=INFO\nrootLogger.appenderRef.f.ref=F\nappender.f.type=File\n"
        f"appender.f.name=F\nappender.f.fileName={run / 'server.log'}\n"
        "appender.f.layout.type=PatternLayout\nappender.f.layout.pattern=%d %p %c{1} %m%n\n",
        encoding="utf-8",
    )
    return log4j


def kafka_start(run: Path, properties: str, format_extra: list[str], answers, service: str) -> None:
    jars = ROOT / "lib" / "kafka"
    if not jars.is_dir():
        raise ServiceError("lib/kafka is missing: run scripts/setup")
    run.mkdir(parents=True, exist_ok=True)
    props = run / "server.properties"
    props.write_text(properties, encoding="utf-8")
    log4j = log4j_file(run)
    java = shutil.which("java") or "java"
    classpath = f"{jars}/*"
    if not (run / "data" / "meta.properties").exists():
        run_checked(
            [java, "-cp", classpath, "kafka.tools.StorageTool", "format", "--standalone",
             f"--cluster-id={kafka_cluster_id()}", "-c", str(props), *format_extra]
        )  # fmt: skip
    with open(run / "stdout.log", "ab") as out:
        proc = subprocess.Popen(
            [java, "-Xms256m", "-Xmx1g", f"-Dlog4j2.configurationFile={log4j}",
             "-cp", classpath, "kafka.Kafka", str(props)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    (run / "pid").write_text(str(proc.pid))
    marker(service).touch()
    try:
        wait_until(lambda: proc.poll() is None and answers(), 60, service)
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


def kafka_down(folder: str = "kafka") -> None:
    stop_pid(RUN_DIR / folder / "pid")


# --- Kafka Connect (change data capture) -----------------------------------------------

CONNECT_PORT = 8083


def connect_properties(run: Path) -> str:
    """A one-worker distributed Kafka Connect: connectors, their offsets and states kept in
    Kafka topics (they survive a restart of the worker), exactly-once source delivery (KIP-618),
    secrets read from files (`${dir:DIR:FILE}`)."""
    return "\n".join(
        [
            f"bootstrap.servers=127.0.0.1:{KAFKA_PORT}",
            "group.id=compliance-connect",
            "key.converter=org.apache.kafka.connect.json.JsonConverter",
            "value.converter=org.apache.kafka.connect.json.JsonConverter",
            "key.converter.schemas.enable=false",
            "value.converter.schemas.enable=false",
            "config.storage.topic=compliance-connect-configs",
            "offset.storage.topic=compliance-connect-offsets",
            "status.storage.topic=compliance-connect-status",
            *(f"{t}.storage.replication.factor=1" for t in ("config", "offset", "status")),
            "offset.flush.interval.ms=1000",
            "exactly.once.source.support=enabled",
            f"listeners=http://127.0.0.1:{CONNECT_PORT}",
            "config.providers=dir",
            "config.providers.dir.class="
            "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
            "plugin.discovery=only_scan",
            "",
        ]
    )


def connect_answers() -> bool:
    if not port_open(CONNECT_PORT):
        return False
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{CONNECT_PORT}/connectors", timeout=2):
            return True
    except OSError:
        return False


def connect_up() -> None:
    jars = ROOT / "lib" / "connect"
    if not jars.is_dir():
        raise ServiceError("lib/connect is missing: run scripts/setup")
    if not kafka_answers():
        raise ServiceError("Kafka Connect needs the broker: scripts/services up kafka")
    run = RUN_DIR / "connect"
    run.mkdir(parents=True, exist_ok=True)
    props = run / "worker.properties"
    props.write_text(connect_properties(run), encoding="utf-8")
    java = shutil.which("java") or "java"
    with open(run / "stdout.log", "ab") as out:
        proc = subprocess.Popen(
            [java, "-Xms128m", "-Xmx512m", f"-Dlog4j2.configurationFile={log4j_file(run)}",
             "-cp", f"{jars}/*", "org.apache.kafka.connect.cli.ConnectDistributed", str(props)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    (run / "pid").write_text(str(proc.pid))
    marker("connect").touch()
    try:
        wait_until(lambda: proc.poll() is None and connect_answers(), 120, "connect")
    except ServiceError as err:
        raise ServiceError(f"{err}; exit={proc.poll()}; see {run / 'server.log'}") from None


def connect_down() -> None:
    """The worker stopped, then the project's replication slots dropped (a slot nobody reads
    keeps every WAL segment from its position on)."""
    stop_pid(RUN_DIR / "connect" / "pid")
    drop_local_slots()


def drop_local_slots() -> None:
    settings = DatabaseSettings.from_env()
    if not postgres_answers(settings, "postgres"):
        return
    from connectors.cdc import CaptureError, drop_slots

    try:
        dropped = drop_slots(settings)
    except CaptureError as err:
        raise ServiceError(f"replication slots not dropped: {err}") from None
    if dropped:
        say(f"dropped replication slot(s) {', '.join(dropped)}")


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
    run.mkdir(parents=True, exist_ok=True)
    password_file = run / "password"
    if not password_file.exists() and not os.environ.get("COMPLIANCE_DB_PASSWORD"):
        write_secret(password_file)
    # wal_level=logical: change data capture (connectors.cdc) reads this server's changes.
    postgres_start(run, DatabaseSettings.from_env(), "postgres", "-c wal_level=logical")


def postgres_secure_up() -> None:
    """A second server that takes TLS connections only (hostssl, verify-full against the local
    CA) on its own port, for the secured setup's test."""
    run = RUN_DIR / "postgres-secure"
    run.mkdir(parents=True, exist_ok=True)
    if not (run / "password").exists():
        write_secret(run / "password")
    certs = tools_certs().ensure(CERTS)
    settings = DatabaseSettings.from_env(secure_env())
    owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    for name, source in (("server.pem", certs.cert), ("server.key", certs.key)):
        target = run / name
        target.write_bytes(source.read_bytes())
        target.chmod(0o600)
        if owner:
            os.chown(target, owner.pw_uid, owner.pw_gid)
    hba = (
        "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n"
        "hostssl all all ::1/128 scram-sha-256\n"
    )  # no plain `host` line: TLS or nothing
    options = (f"-c ssl=on -c ssl_cert_file={run / 'server.pem'} "
               f"-c ssl_key_file={run / 'server.key'}")  # fmt: skip
    postgres_start(run, settings, "postgres-secure", options, hba)


def write_secret(path: Path) -> None:
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(secrets.token_hex(18))  # no newline: read as it is by config providers


def postgres_start(
    run: Path, settings: DatabaseSettings, service: str, options: str = "", hba: str | None = None
) -> None:
    data = run / "data"
    write_passfile(settings)
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
        if hba is not None:
            (data / "pg_hba.conf").write_text(hba, encoding="utf-8")
            if owner:
                os.chown(data / "pg_hba.conf", owner.pw_uid, owner.pw_gid)
    options = f"-p {settings.port} -k {run} -c listen_addresses=127.0.0.1 {options}".strip()
    run_checked(
        as_postgres_user([pg_bin("pg_ctl"), "-D", str(data), "-l", str(run / "server.log"),
                          "-o", options, "-w", "-t", "60", "start"])
    )  # fmt: skip
    marker(service).touch()
    wait_until(lambda: postgres_answers(settings, "postgres"), 30, service)
    import psycopg2

    conn = psycopg2.connect(**{**settings.connect_kwargs(), "dbname": "postgres"})
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (settings.name,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{settings.name}"')
    conn.close()


def write_passfile(settings: DatabaseSettings) -> None:
    """run/pgpass, a line per local server: the local cluster's TaskManagers read it."""
    passfile_line(settings, LOCAL_PASSFILE)


def postgres_down(folder: str = "postgres") -> None:
    data = RUN_DIR / folder / "data"
    if folder == "postgres":
        drop_local_slots()
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
        # the streaming job's JDBC sink finds the audit database's password there
        "PGPASSFILE": os.environ.get("PGPASSFILE", str(LOCAL_PASSFILE)),
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
    if service == "kafka-secure":
        return kafka_secure_answers()
    if service == "postgres-secure":
        return port_open(POSTGRES_SECURE_PORT)
    if service == "postgres":
        return port_open(DatabaseSettings.from_env().port)
    if service == "connect":
        return connect_answers()
    return flink_overview() is not None


def describe(service: str) -> str:
    if service == "kafka":
        return f"127.0.0.1:{KAFKA_PORT} (KRaft)"
    if service == "kafka-secure":
        return f"127.0.0.1:{KAFKA_SECURE_PORTS[0]} (KRaft, SASL_SSL SCRAM-SHA-512, CA {CERTS / 'ca.pem'})"
    if service == "postgres-secure":
        return f"127.0.0.1:{POSTGRES_SECURE_PORT}/compliance (TLS only, verify-full)"
    if service == "postgres":
        s = DatabaseSettings.from_env()
        return f"{s.host}:{s.port}/{s.name}"
    if service == "connect":
        return f"Kafka Connect REST http://127.0.0.1:{CONNECT_PORT} (Debezium PostgreSQL)"
    overview = flink_overview() or {}
    return (
        f"Web UI {FlinkSettings.from_env().rest_url}, {overview.get('taskmanagers', 0)} "
        f"TaskManager(s), {overview.get('slots-total', 0)} slots"
    )


STARTERS = {"kafka": kafka_up, "postgres": postgres_up, "flink": flink_up,
            "kafka-secure": kafka_secure_up, "postgres-secure": postgres_secure_up,
            "connect": connect_up}  # fmt: skip
STOPPERS = {"kafka": kafka_down, "postgres": postgres_down, "flink": flink_down,
            "kafka-secure": lambda: kafka_down("kafka-secure"),
            "postgres-secure": lambda: postgres_down("postgres-secure"),
            "connect": connect_down}  # fmt: skip


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
        print(f"{service:15} {'up    ' + describe(service) if running else 'down'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/services", description=__doc__)
    parser.add_argument("command", choices=("up", "down", "status"))
    parser.add_argument("services", nargs="*",
                        choices=(*SERVICES, *SECURE_SERVICES, *CDC_SERVICES, []),
                        metavar="SERVICE")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="status as JSON {service: running}")
    parser.add_argument(
        "--secure", action="store_true",
        help="also a broker over SASL_SSL (SCRAM) and a database over TLS only (verify-full), "
        "with a local CA made under run/certs; prints the settings that reach them",
    )  # fmt: skip
    parser.add_argument(
        "--cdc", action="store_true",
        help="also Kafka Connect with Debezium's PostgreSQL connector (change data capture)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    services = args.services or [*SERVICES, *(SECURE_SERVICES if args.secure else ()),
                                 *(CDC_SERVICES if args.cdc else ())]  # fmt: skip
    if args.command == "up":
        code = up(services)
        if args.secure and code == 0:
            say("the secured services are reached with these settings:")
            for name, value in secure_env().items():
                print(f"export {name}={value}")
        return code
    if args.command == "down":
        return down(args.services or [*CDC_SERVICES, *SECURE_SERVICES, *SERVICES])
    return status(args.services or [*SERVICES, *SECURE_SERVICES, *CDC_SERVICES], args.json)


if __name__ == "__main__":
    sys.exit(main())
