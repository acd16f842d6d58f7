"""No raw identifier of the input in anything the product writes, after a full run: a batch
job with the audit trail on the cluster, a Kafka stream with alerts and the audit trail, the
report. Scanned: both jobs' outputs (lake, violations, quarantine, summary, lineage, …), every
topic the stream wrote, the metrics and the plans over REST, every table of the audit database,
the report (text, JSON, HTML), and the services' and clients' logs (Flink's JobManager and
TaskManager with its Python workers, the Flink client, Kafka, PostgreSQL). The input topic and
the broker's data folder hold the input itself and are not scanned."""

import contextlib
import json
import time

import psycopg2
import pytest

from connectors import kafka
from connectors.settings import PROJECT_ROOT, RUN_DIR, DatabaseSettings
from jobs import report
from tests.integration.cluster import QUARANTINE_KEY, job_keys, pipeline_config
from tests.jobs.conftest import AS_OF
from tests.jobs.test_stream_compliance import stream_data
from tests.pii import candidates, file_texts, identifiers, leaks
from tools.flink_cluster import flink_home, rest_get, submit_python, wait_for_state
from tools.ingest import ingest
from tools.synthetic.generator import write_dataset
from udfs.protect.seal import SealKey

pytestmark = pytest.mark.services
KEY = "pii-scan-token-key-0123456789"
LOG_SUFFIXES = (".log", ".out")


def metrics(job_id: str) -> list[tuple[str, str]]:
    """Every metric of every vertex of a job, with its value, and the TaskManagers' own."""
    found = []
    for vertex in rest_get(f"/jobs/{job_id}")["vertices"]:
        path = f"/jobs/{job_id}/vertices/{vertex['id']}/metrics"
        names = [m["id"] for m in rest_get(path)]
        for i in range(0, len(names), 40):
            values = rest_get(f"{path}?get={','.join(names[i : i + 40])}")
            found.append((f"rest {path}", json.dumps(values)))
    for tm in rest_get("/taskmanagers")["taskmanagers"]:
        path = f"/taskmanagers/{tm['id']}/metrics"
        names = [m["id"] for m in rest_get(path)]
        found.append((f"rest {path}", json.dumps(rest_get(f"{path}?get={','.join(names)}"))))
    return found


def job_documents(job_id: str) -> list[tuple[str, str]]:
    paths = [f"/jobs/{job_id}", f"/jobs/{job_id}/config", f"/jobs/{job_id}/plan",
             f"/jobs/{job_id}/exceptions", f"/jobs/{job_id}/accumulators"]  # fmt: skip
    return [(f"rest {p}", json.dumps(rest_get(p))) for p in paths]


def database_tables() -> list[tuple[str, str]]:
    settings = DatabaseSettings.from_env()
    found = []
    with psycopg2.connect(**settings.connect_kwargs()) as conn, conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'public' ORDER BY 1")  # fmt: skip
        for (table,) in cur.fetchall():
            cur.execute(f'SELECT t::text FROM "{table}" t')
            found.append((f"database table {table}", "\n".join(r[0] for r in cur.fetchall())))
    return found


def logs() -> list[tuple[str, str]]:
    folders = [RUN_DIR / "flink" / "log", RUN_DIR / "log", RUN_DIR / "kafka", RUN_DIR / "postgres",
               flink_home() / "log"]  # fmt: skip
    found = []
    for folder in folders:
        for path in sorted(folder.glob("*")):
            if path.is_file() and path.suffix in LOG_SUFFIXES:
                found.append((str(path), path.read_bytes().decode("utf-8", "replace")))
    return found


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("pii-scan")
    write_dataset("financial", 1200, base / "financial", seed=53, as_of=AS_OF, jsonl=False)
    health = stream_data(base / "healthcare", rows=2000, seed=53)
    texts: list[tuple[str, str]] = []
    with job_keys(KEY):
        batch_id, _ = submit_python(
            PROJECT_ROOT / "jobs" / "batch_compliance.py",
            ["--input", str(base / "financial" / "records.csv"), "--domain", "financial",
             "--output", str(base / "batch-out"), "--as-of", AS_OF.isoformat(), "--audit"],
        )  # fmt: skip
        config, topics = pipeline_config(base, checkpoint_interval_ms=1000)
        ingest(topics["healthcare"], health / "records.jsonl", rate=None, progress=False)
        stream_id, _ = submit_python(
            PROJECT_ROOT / "jobs" / "stream_compliance.py",
            ["--domain", "healthcare", "--output", str(base / "stream-out"), "--config",
             str(config), "--bounded", "--audit", "--detached"],
            detached=True,
        )  # fmt: skip
    assert wait_for_state(stream_id, {"RUNNING"}, timeout=120) == "RUNNING"
    # the metrics while the stream runs (a finished job's vertices report none)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, KeyError):  # the job finished between two calls
            texts += metrics(stream_id)
        if rest_get(f"/jobs/{stream_id}")["state"] != "RUNNING":
            break
        time.sleep(2)
    assert wait_for_state(stream_id, {"FINISHED"}, timeout=300) == "FINISHED"
    for job_id in (batch_id, stream_id):
        texts += job_documents(job_id)
    for role, topic in topics.items():
        if role in ("healthcare", "financial"):
            continue  # the input itself
        try:
            values = list(kafka.read_topic(topic))
        except KeyError:
            continue  # a topic the job never made
        texts.append((f"topic {topic}", "\n".join(v.decode("utf-8", "replace") for v in values)))
    texts += list(file_texts(base / "batch-out")) + list(file_texts(base / "stream-out"))
    page = base / "report.html"
    assert report.main(["--since", "1d", "--html", str(page)]) == 0
    assert report.main(["--since", "1d", "--format", "json"]) == 0
    texts.append(("report.html", page.read_text()))
    texts += database_tables()
    texts += logs()
    wanted = {}
    for source in (base / "financial" / "records.csv", health / "records.csv"):
        wanted.update(identifiers(source))
    return base, health, topics, texts, wanted


def test_the_scan_finds_the_inputs_identifiers_in_the_input_itself(run):
    base, health, _, _, wanted = run
    found = candidates((base / "financial" / "records.csv").read_text())
    found |= candidates((health / "records.jsonl").read_text())
    assert len(wanted) > 3000
    missed = [k for k, forms in wanted.items() if not forms & found]
    assert not missed, f"the scan would not see {len(missed)} of them: {missed[:5]}"


def test_no_raw_identifier_anywhere_the_product_writes(run, capsys):
    _, _, _, texts, wanted = run
    capsys.readouterr()  # the report's own output was printed: scanned as well
    places = {where.split(" ")[0] for where, _ in texts}
    assert {"rest", "topic", "database", "report.html"} <= places
    assert any("taskexecutor" in w for w, _ in texts) and any("lake" in w for w, _ in texts)
    assert sum(1 for w, _ in texts if w.startswith("rest /jobs/") and "/metrics" in w) > 5
    needles = set().union(*wanted.values())
    assert leaks(texts, needles) == {}


def test_the_quarantine_holds_ciphertext_only(run):
    _, _, topics, texts, _ = run
    sealing = SealKey(QUARANTINE_KEY.encode())
    (quarantine,) = [t for w, t in texts if w == f"topic {topics['quarantine']}"]
    messages = [json.loads(line) for line in quarantine.splitlines()]
    assert messages and all(m["raw"].startswith(f"gcm1:{sealing.key_id}:") for m in messages)
    batch = [t for w, t in texts if "batch-out/quarantine" in w]
    assert batch and all(
        r["raw"].startswith(f"gcm1:{sealing.key_id}:") for t in batch for r in json.loads(t)
    )
