"""Key rotation end to end: a partition released under key a, re-tokenized to key b, is the
partition a run under key b releases — token for token, every other column untouched."""

import json
import shutil

import pytest
import yaml

from connectors.lake import read_parquet_dir
from jobs import retokenize
from jobs.batch_compliance import run
from tests.jobs.conftest import AS_OF, make_job
from tools.synthetic.generator import write_dataset
from udfs.protect.tokenize import TokenKey

SECRETS = {"a": "rotation-secret-a-0123456789", "b": "rotation-secret-b-0123456789"}
pytestmark = pytest.mark.jvm


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("rotation")
    write_dataset("healthcare", 1200, base / "data", seed=41, as_of=AS_OF, jsonl=False,
                  span_seconds=3 * 86400)  # fmt: skip
    source = base / "data" / "records.csv"
    outs = {}
    for kid in ("a", "b"):
        outs[kid] = base / f"out-{kid}"
        run(make_job(source, outs[kid], key_secret=SECRETS[kid].encode(), token_key_id=kid,
                     quality=False))  # fmt: skip
    return base, source, outs


def keyring(path, current):
    path.write_text(yaml.safe_dump({"current": current, "keys": SECRETS}))
    return path


def partitions(out):
    return sorted(p for p in (out / "lake").iterdir() if p.name.startswith("date="))


def by_id(table):
    return {r["record_id"]: r for r in table.to_pylist()}


def test_each_run_carries_its_key_id_in_every_token(runs):
    _, _, outs = runs
    for kid, out in outs.items():
        lake = read_parquet_dir(out / "lake").to_pylist()
        ssns = [r["ssn"] for r in lake if r["ssn"]]
        # (the generator's input holds some tokens already: they pass through as they are)
        made = [s for s in ssns if s.startswith(f"tok_ssn_{kid}_")]
        assert ssns and all(s.startswith("tok_ssn_") for s in ssns) and len(made) > len(ssns) / 2
        assert json.loads((out / "summary.json").read_text())["reconciled"]


def test_a_partition_retokenized_from_a_to_b_is_run_bs_partition(runs, monkeypatch, capsys):
    base, source, outs = runs
    monkeypatch.delenv("COMPLIANCE_TOKEN_KEY", raising=False)
    monkeypatch.setenv("COMPLIANCE_TOKEN_KEYS_FILE", str(keyring(base / "keys.yaml", "b")))
    partition = partitions(outs["a"])[0]
    target = base / "rewritten"
    code = retokenize.main([str(partition), "--source", str(source), "--domain", "healthcare",
                            "--from", "a", "--to", str(target)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    got = by_id(read_parquet_dir(target))
    want = by_id(read_parquet_dir(outs["b"] / "lake" / partition.name))
    assert got and got == want
    before = by_id(read_parquet_dir(partition))
    assert any(before[i]["ssn"] != got[i]["ssn"] for i in got if got[i]["ssn"])
    # in place: the folder swapped for the rewritten one, nothing left beside it
    copy = base / "in-place" / partition.name
    shutil.copytree(partition, copy)
    assert retokenize.main([str(copy), "--source", str(source), "--domain", "healthcare",
                            "--from", "a"]) == 0  # fmt: skip
    assert by_id(read_parquet_dir(copy)) == want
    assert [p.name for p in copy.parent.iterdir()] == [partition.name]


def test_a_wrong_source_or_key_is_refused_and_nothing_is_written(runs, monkeypatch, capsys):
    base, source, outs = runs
    monkeypatch.delenv("COMPLIANCE_TOKEN_KEY", raising=False)
    monkeypatch.setenv("COMPLIANCE_TOKEN_KEYS_FILE", str(keyring(base / "keys-a.yaml", "a")))
    partition = partitions(outs["b"])[0]
    before = sorted(p.name for p in partition.iterdir())
    # run b's partition said to be under a's key... with the current key a: refused up front
    args = [str(partition), "--source", str(source), "--domain", "healthcare"]
    assert retokenize.main([*args, "--from", "a"]) == 2
    assert "is the current key" in capsys.readouterr().err
    # ...and claimed to be of key b while it is re-tokenized in place from a's run: a mismatch
    monkeypatch.setenv("COMPLIANCE_TOKEN_KEYS_FILE", str(keyring(base / "keys-b.yaml", "b")))
    wrong = partitions(outs["b"])[0]
    assert retokenize.main([str(wrong), "--source", str(source), "--domain", "healthcare",
                            "--from", "a"]) == 2  # fmt: skip
    assert "not what the old key gives" in capsys.readouterr().err
    assert sorted(p.name for p in partition.iterdir()) == before


def test_retokenizing_needs_the_keyring(runs, monkeypatch, capsys):
    _, source, outs = runs
    monkeypatch.delenv("COMPLIANCE_TOKEN_KEYS_FILE", raising=False)
    monkeypatch.setenv("COMPLIANCE_TOKEN_KEY", SECRETS["a"])
    partition = partitions(outs["a"])[0]
    assert retokenize.main([str(partition), "--source", str(source), "--domain", "healthcare",
                            "--from", "a"]) == 2  # fmt: skip
    assert "needs the keyring: set COMPLIANCE_TOKEN_KEYS_FILE" in capsys.readouterr().err


def test_the_legacy_key_as_unlabeled_makes_the_same_tokens_as_before():
    legacy, unlabeled = (
        TokenKey(SECRETS["a"].encode()),
        TokenKey(SECRETS["a"].encode(), key_id=None),
    )
    assert legacy.prefix == unlabeled.prefix == ""
