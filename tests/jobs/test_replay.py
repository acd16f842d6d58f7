"""Quarantined lines come back: opened with the key, mended, re-submitted."""

import json
import stat

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jobs import replay
from tests.jobs.conftest import QUARANTINE_KEY
from tests.jobs.test_bad_input import HEADER, good_line
from udfs.engine.schemas import QUARANTINE_ROWS
from udfs.protect.seal import SealKey

OLD = b"an-older-quarantine-key-0123456789"


def quarantine(folder, rows, key=None):
    key = key or SealKey(QUARANTINE_KEY)
    folder.mkdir(parents=True)
    table = pa.table(
        {
            "record_id": [r[0] for r in rows],
            "reason": [r[1] for r in rows],
            "raw": [key.seal(r[2]) for r in rows],
            "domain": ["healthcare"] * len(rows),
            "job_id": ["j1"] * len(rows),
        },
        schema=QUARANTINE_ROWS,
    )
    pq.write_table(table, folder / "part-0.parquet")


@pytest.fixture
def keys(monkeypatch):
    monkeypatch.setenv("COMPLIANCE_QUARANTINE_KEY", QUARANTINE_KEY.decode())
    monkeypatch.delenv("COMPLIANCE_QUARANTINE_KEY_FILE", raising=False)


def test_export_opens_every_payload_under_the_domains_header(tmp_path, keys, capsys):
    quarantine(tmp_path / "q", [("b1", "expected 15 columns, got 3", "b1,too,few"),
                                ("b2", "invalid created_at", "b2,x,y")])  # fmt: skip
    out = tmp_path / "fixed.csv"
    assert replay.main(["export", str(tmp_path / "q"), "--to", str(out)]) == 0
    assert out.read_text().splitlines() == [HEADER, "b1,too,few", "b2,x,y"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # raw personal data: the owner's alone
    err = capsys.readouterr().err
    assert "2 payloads opened" in err and "expected 15 columns, got 3" in err


def test_export_takes_a_reason_filter_and_the_original_header(tmp_path, keys):
    quarantine(tmp_path / "q", [("b1", "expected 15 columns, got 3", "b1,too,few"),
                                ("b2", "invalid created_at", "b2,x,y")])  # fmt: skip
    original = tmp_path / "in.csv"
    original.write_text("record_id,patient_name\nr,x\n")
    out = tmp_path / "fixed.csv"
    args = ["export", str(tmp_path / "q"), "--to", str(out), "--reason", "created_at",
            "--header-from", str(original)]  # fmt: skip
    assert replay.main(args) == 0
    assert out.read_text().splitlines() == ["record_id,patient_name", "b2,x,y"]


def test_values_of_an_older_key_open_with_its_key_file(tmp_path, keys, capsys):
    quarantine(tmp_path / "q", [("b1", "r", "b1,old")], key=SealKey(OLD))
    out = tmp_path / "fixed.csv"
    assert replay.main(["export", str(tmp_path / "q"), "--to", str(out)]) == 2
    assert f"sealed under key {SealKey(OLD).key_id}" in capsys.readouterr().err
    old = tmp_path / "old.key"
    old.write_bytes(OLD)
    assert (
        replay.main(["export", str(tmp_path / "q"), "--to", str(out), "--key-file", str(old)]) == 0
    )
    assert out.read_text().splitlines()[1:] == ["b1,old"]


def test_export_without_the_key_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("COMPLIANCE_QUARANTINE_KEY", raising=False)
    monkeypatch.delenv("COMPLIANCE_QUARANTINE_KEY_FILE", raising=False)
    quarantine(tmp_path / "q", [("b1", "r", "b1,x")])
    assert replay.main(["export", str(tmp_path / "q"), "--to", str(tmp_path / "f.csv")]) == 2
    assert "no quarantine key" in capsys.readouterr().err


def test_the_stream_jobs_folder_is_read_too(tmp_path, keys):
    folder = tmp_path / "q"
    folder.mkdir()
    sealed = SealKey(QUARANTINE_KEY).seal("s1,bad")
    value = json.dumps({"record_id": "s1", "domain": "healthcare", "reason": "r", "raw": sealed})
    pq.write_table(pa.table({"k": ["s1"], "v": [value]}), folder / "part-0.parquet")
    out = tmp_path / "fixed.csv"
    assert replay.main(["export", str(folder), "--to", str(out)]) == 0
    assert out.read_text().splitlines() == [HEADER, "s1,bad"]


@pytest.mark.jvm
def test_quarantined_lines_mended_and_resubmitted_become_records(tmp_path, keys, monkeypatch):
    from jobs.batch_compliance import run
    from tests.jobs.conftest import make_job

    source = tmp_path / "in.csv"
    broken = good_line(90).replace("2025-06-01T00:00:00Z", "June 1st")
    source.write_text("\n".join([HEADER, *(good_line(i) for i in range(8)), broken]) + "\n")
    first = run(make_job(source, tmp_path / "out"))
    assert first["quarantined"] == 1
    fixed = tmp_path / "fixed.csv"
    assert replay.main(["export", str(tmp_path / "out" / "quarantine"), "--to", str(fixed)]) == 0
    lines = fixed.read_text().splitlines()
    assert lines == [HEADER, broken]
    fixed.write_text(lines[0] + "\n" + lines[1].replace("June 1st", "2025-06-01T00:00:00Z") + "\n")
    monkeypatch.setenv("COMPLIANCE_TOKEN_KEY", "replay-token-key-0123456789")
    code = replay.main(["submit", str(fixed), "--", "--domain", "healthcare", "--output",
                        str(tmp_path / "again"), "--no-quality"])  # fmt: skip
    summary = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert code == 3 and summary["records_in"] == 1 and summary["quarantined"] == 0
