"""Bad input gets a clear answer and loses nothing."""

import json
import os

import pytest

from connectors.lake import read_parquet_dir
from jobs.batch_compliance import JobFailed, main, run
from tests.jobs.conftest import QUARANTINE_KEY, make_job
from udfs.protect.seal import SealKey
from udfs.schema import load_schema

HEADER = ",".join(load_schema("healthcare").names)


def good_line(i: int) -> str:
    return (
        f"g{i},Ada Abbott,,1980-01-01,F,94110,,E11.9,,,fine,true,40.71,-74.00,2025-06-01T00:00:00Z"
    )


def test_missing_input_path(tmp_path):
    with pytest.raises(JobFailed, match="input not found"):
        run(make_job(tmp_path / "nope.csv", tmp_path / "out"))


def test_empty_file(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(JobFailed, match="empty: expected a header row"):
        run(make_job(empty, tmp_path / "out"))


def test_missing_required_columns_are_named(tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("patient_name,ssn\nAda,123-45-6789\n")
    with pytest.raises(JobFailed, match="missing required column\\(s\\): record_id, created_at"):
        run(make_job(path, tmp_path / "out"))


def test_unwritable_output(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(HEADER + "\n" + good_line(1) + "\n")
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    with pytest.raises(JobFailed, match="not writable"):
        run(make_job(path, blocker / "out"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_output(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(HEADER + "\n" + good_line(1) + "\n")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(JobFailed, match="not writable"):
        run(make_job(path, locked / "out"))


@pytest.mark.parametrize(
    ("missing", "present", "message"),
    [
        ("COMPLIANCE_TOKEN_KEY", "COMPLIANCE_QUARANTINE_KEY", "no token key"),
        ("COMPLIANCE_QUARANTINE_KEY", "COMPLIANCE_TOKEN_KEY",
         "no quarantine key: set COMPLIANCE_QUARANTINE_KEY"),
    ],
)  # fmt: skip
def test_a_missing_key_is_refused(tmp_path, monkeypatch, capsys, missing, present, message):
    monkeypatch.setenv(present, "the-other-key-0123456789abcdef")
    monkeypatch.delenv(missing, raising=False)
    monkeypatch.delenv(f"{missing}_FILE", raising=False)
    code = main(
        ["--input", str(tmp_path), "--domain", "healthcare", "--output", str(tmp_path / "o")]
    )
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_database_down_is_a_clear_error_before_any_work(tmp_path, monkeypatch):
    path = tmp_path / "in.csv"
    path.write_text(HEADER + "\n" + good_line(1) + "\n")
    monkeypatch.setenv("COMPLIANCE_DB_PORT", "1")  # nothing listens there
    monkeypatch.setenv("COMPLIANCE_DB_PASSWORD", "x")
    with pytest.raises(JobFailed, match=r"audit database .* is unavailable"):
        run(make_job(path, tmp_path / "out", audit=True))
    assert not (tmp_path / "out" / "summary.json").exists()


@pytest.mark.jvm
def test_bad_lines_go_to_quarantine_with_reasons(tmp_path):
    path = tmp_path / "bad.csv"
    lines = [HEADER.encode()]
    lines += [good_line(i).encode() for i in range(12)]
    lines.append(
        b"b1,Ada,\xff\xfe,1980-01-01,F,94110,,E11.9,,,x,true,40.71,-74.00,2025-06-01T00:00:00Z"
    )
    lines.append(b'b2,"unterminated,,,,,,,,,,,,,,')
    lines.append(b"b3,too,few,columns")
    lines.append(
        (
            "b4,Ada,,1980-01-01,F,94110,,E11.9,,,"
            + "x" * 20_000
            + ",true,40.71,-74.00,2025-06-01T00:00:00Z"
        ).encode()
    )
    lines.append(b"b5,Ada,,1980-01-01,F,94110,,E11.9,,,x,true,40.71,-74.00,not-a-time")
    lines.append(b"")  # blank line: not a record
    path.write_bytes(b"\n".join(lines) + b"\n")
    summary = run(make_job(path, tmp_path / "out"))
    quarantined = read_parquet_dir(tmp_path / "out" / "quarantine").to_pylist()
    reasons = {r["record_id"]: r["reason"] for r in quarantined}
    # The raw lines are sealed under the job's quarantine key (named in the summary), in no
    # file in clear, and open to the very lines.
    key = SealKey(QUARANTINE_KEY)
    assert summary["quarantine_key_id"] == key.key_id
    assert all(r["raw"].startswith(f"gcm1:{key.key_id}:") for r in quarantined)
    opened = {r["record_id"]: key.open(r["raw"]) for r in quarantined}
    assert opened["b3"] == "b3,too,few,columns" and opened["b5"].endswith(",not-a-time")
    for part in (tmp_path / "out" / "quarantine").rglob("*.parquet"):
        assert b"too,few" not in part.read_bytes()
    assert summary["records_in"] == 17 and summary["quarantined"] == 5
    assert reasons.get(None) == "not UTF-8" or "not UTF-8" in reasons.values()
    assert "columns" in reasons["b3"]
    assert reasons["b4"] == "field notes longer than 10000 characters"
    assert reasons["b5"] == "invalid created_at: not an ISO-8601 timestamp"
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["reconciled"] is True


@pytest.mark.jvm
def test_directory_of_files_with_own_column_order_and_extras(tmp_path):
    names = load_schema("healthcare").names
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_text(HEADER + "\n" + "\n".join(good_line(i) for i in range(6)) + "\n")
    reordered = [*reversed(names), "source_system"]
    cells = dict(zip(names, good_line(0).split(","), strict=True))
    rows = [
        ",".join([*(cells[n] if n != "record_id" else f"r{i}" for n in reversed(names)), "ehr-7"])
        for i in range(6)
    ]
    (folder / "b.csv").write_text(",".join(reordered) + "\n" + "\n".join(rows) + "\n")
    summary = run(make_job(folder, tmp_path / "out"))
    assert summary["records_in"] == 12 and summary["quarantined"] == 0
    from connectors.lake import read_lake

    lake = read_lake(tmp_path / "out" / "lake").to_pylist()
    extras = [json.loads(r["extra"]) for r in lake if r["extra"]]
    assert extras == [{"source_system": "ehr-7"}] * 6


@pytest.mark.jvm
def test_a_file_smaller_than_k_finishes_its_scan_and_says_why(tmp_path, monkeypatch, capsys):
    path = tmp_path / "tiny.csv"
    with_ssn = good_line(2).replace(",Ada Abbott,,", ",Ada Abbott,123-45-6789,")
    path.write_text(HEADER + "\n" + good_line(1) + "\n" + with_ssn + "\nb1,too,few\n")
    monkeypatch.setenv("COMPLIANCE_TOKEN_KEY", "tiny-file-test-key-0123456789")
    monkeypatch.setenv("COMPLIANCE_QUARANTINE_KEY", "tiny-file-quarantine-key-0123456789")
    out = tmp_path / "out"
    # (a third of it quarantined is below the quality thresholds too: measured apart)
    code = main(["--input", str(path), "--domain", "healthcare", "--output", str(out),
                 "--no-quality"])  # fmt: skip
    assert code == 3
    assert "not released: k-anonymity: no generalization reaches k=5" in capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "NOT_RELEASED" and summary["reconciled"] is True
    assert (summary["published"], summary["suppressed"], summary["quarantined"]) == (0, 2, 1)
    assert not (out / "_staging").exists()
    assert read_parquet_dir(out / "quarantine").num_rows == 1
    assert read_parquet_dir(out / "violations").num_rows > 0


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB file system (tmpfs), or a skip where this user may not mount one."""
    import subprocess

    mount = tmp_path / "small-disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.jvm
def test_a_full_output_disk_is_a_clear_error(tmp_path, small_disk, monkeypatch, capsys):
    from tools.synthetic.generator import write_dataset

    write_dataset("healthcare", 4000, tmp_path / "data", seed=3, jsonl=False)  # ~0.8 MiB
    monkeypatch.setenv("COMPLIANCE_TOKEN_KEY", "full-disk-token-key-0123456789")
    monkeypatch.setenv("COMPLIANCE_QUARANTINE_KEY", "full-disk-quarantine-key-0123456789")
    out = small_disk / "out"
    code = main(["--input", str(tmp_path / "data" / "records.csv"), "--domain", "healthcare",
                 "--output", str(out), "--no-quality"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert f"error: no space left on the output's device ({out}): OSError: [Errno 28]" in err
    assert "Py4JJavaError" not in err and "\tat org.apache" not in err  # one line, no Java
    assert not (out / "_staging").exists() and not (out / "summary.json").exists()
