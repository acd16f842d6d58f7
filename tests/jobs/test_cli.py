import pytest

from jobs import batch_compliance, cli, stream_compliance
from udfs.schema import DOMAINS


def keys(monkeypatch):
    monkeypatch.setenv("COMPLIANCE_TOKEN_KEY", "k" * 32)
    monkeypatch.setenv("COMPLIANCE_QUARANTINE_KEY", "q" * 32)


def parser():
    return cli.job_parser("jobs.x", "A job.\n\nMore.", "input", input_required=False)


def test_the_domains_come_from_the_schema_list(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["--domain", "retail", "--output", "o"])
    assert "{" + ",".join(DOMAINS) + "}" in capsys.readouterr().err


def test_a_parallelism_below_one_is_refused(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["--domain", "healthcare", "--output", "o", "--parallelism", "0"])
    assert "expected a whole number ≥ 1, not 0" in capsys.readouterr().err


def test_the_shared_flags_resolve_once(tmp_path, monkeypatch):
    keys(monkeypatch)
    args = cli.parse(parser(), ["--domain", "financial", "--output", str(tmp_path / "o"),
                                "--as-of", "2026-01-02", "--rules", "r.yaml",
                                "--flink-flag-passes"])  # fmt: skip
    common = cli.resolve(args)
    assert common.as_of.isoformat() == "2026-01-02T00:00:00+00:00"
    assert common.output.is_absolute() and common.input is None and not common.throwaway_key
    assert str(common.rules_path) == "r.yaml"
    assert common.quarantine_secret == b"q" * 32 and "q" * 8 not in repr(common)
    assert set(common.kwargs()) == {f for f in common.__dataclass_fields__}


def test_both_jobs_take_the_same_flags_into_their_dataclasses(tmp_path, monkeypatch):
    keys(monkeypatch)
    common = cli.resolve(cli.parse(parser(), ["--domain", "healthcare", "--input", "x.csv",
                                              "--output", str(tmp_path)]))  # fmt: skip
    batch = batch_compliance.BatchJob(**common.kwargs())
    stream = stream_compliance.StreamJob(**common.kwargs())
    assert batch.input == stream.input == common.input and stream.batch


def test_a_bad_as_of_is_a_clear_error(capsys):
    code = stream_compliance.main(["--domain", "healthcare", "--output", "o", "--as-of", "soon",
                                   "--throwaway-key"])  # fmt: skip
    assert code == 2 and "Invalid isoformat string: 'soon'" in capsys.readouterr().err


def test_dp_takes_the_domains_settings_or_a_file(tmp_path, monkeypatch):
    keys(monkeypatch)
    base = ["--domain", "financial", "--output", str(tmp_path)]
    off = cli.resolve(cli.parse(parser(), base))
    default = cli.resolve(cli.parse(parser(), [*base, "--dp"]))
    given = cli.resolve(cli.parse(parser(), [*base, "--dp", "mine.yaml"]))
    assert off.dp_path is None
    assert default.dp_path.parts[-2:] == ("dp", "financial.yaml") and default.dp_path.is_file()
    assert given.dp_path.name == "mine.yaml" and given.dp_path.is_absolute()


def test_a_keyring_gives_the_jobs_its_current_key_and_id(tmp_path, monkeypatch):
    keys = tmp_path / "keys.yaml"
    keys.write_text(
        "current: b\nkeys:\n  a: secret-a-0123456789abcdef\n  b: secret-b-0123456789abcdef\n"
    )
    monkeypatch.delenv("COMPLIANCE_TOKEN_KEY", raising=False)
    monkeypatch.setenv("COMPLIANCE_TOKEN_KEYS_FILE", str(keys))
    monkeypatch.setenv("COMPLIANCE_QUARANTINE_KEY", "q" * 32)
    common = cli.resolve(cli.parse(parser(), ["--domain", "healthcare", "--output", str(tmp_path)]))
    assert (common.key_secret, common.token_key_id) == (b"secret-b-0123456789abcdef", "b")
    assert batch_compliance.BatchJob(**common.kwargs()).token_key_id == "b"
