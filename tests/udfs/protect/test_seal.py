import pickle

import pyarrow as pa
import pytest

from udfs.protect.seal import (
    KeyRing,
    QuarantineKeyMissing,
    SealError,
    SealKey,
    is_sealed,
    key_id_of,
    quarantine_secret,
    secret_from_env,
)

KEY = SealKey(b"unit-test-quarantine-key-0123456789")
OTHER = SealKey(b"another-quarantine-key-0123456789")


def test_a_sealed_value_opens_to_its_text_and_shows_no_part_of_it():
    line = "r1,Ada Abbott,123-45-6789,4111 1111 1111 1111"
    sealed = KEY.seal(line)
    assert sealed.startswith(f"gcm1:{KEY.key_id}:") and is_sealed(sealed)
    assert "123-45-6789" not in sealed and "Ada" not in sealed and "4111" not in sealed
    assert KEY.open(sealed) == line


def test_the_same_text_seals_differently_each_time():
    assert KEY.seal("same") != KEY.seal("same")


def test_key_ids_are_stable_per_secret_and_differ_between_secrets():
    assert SealKey(b"unit-test-quarantine-key-0123456789").key_id == KEY.key_id
    assert OTHER.key_id != KEY.key_id and len(KEY.key_id) == 8


def test_an_altered_value_or_a_swapped_key_id_is_refused():
    sealed = KEY.seal("r1,payload")
    body = sealed.rsplit(":", 1)[1]
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(SealError, match="fails its check"):
        KEY.open(sealed.rsplit(":", 1)[0] + ":" + flipped)
    with pytest.raises(SealError, match=f"sealed under key {KEY.key_id}, not {OTHER.key_id}"):
        OTHER.open(sealed)
    with pytest.raises(SealError, match="not a sealed value"):
        KEY.open("r1,plain,text")


def test_a_key_ring_opens_values_of_any_of_its_keys_and_names_a_missing_one():
    ring = KeyRing([KEY, OTHER])
    assert ring.open(KEY.seal("a")) == "a" and ring.open(OTHER.seal("b")) == "b"
    lone = SealKey(b"a-third-quarantine-key-0123456789")
    with pytest.raises(SealError, match=f"sealed under key {lone.key_id}; the keys given are"):
        ring.open(lone.seal("c"))
    assert key_id_of(lone.seal("c")) == lone.key_id


def test_an_array_is_sealed_value_by_value_and_keeps_its_nulls():
    sealed = KEY.seal_array(pa.array(["x", None, "yy"]))
    assert sealed.null_count == 1 and sealed[1].as_py() is None
    assert [KEY.open(v) for v in sealed.to_pylist() if v] == ["x", "yy"]


def test_the_key_is_neither_shown_nor_pickled():
    assert "unit-test" not in repr(KEY)
    with pytest.raises(TypeError, match="not serialized"):
        pickle.dumps(KEY)


def test_the_secret_comes_from_the_environment_or_a_file(tmp_path):
    assert secret_from_env({"COMPLIANCE_QUARANTINE_KEY": "s" * 20}) == b"s" * 20
    path = tmp_path / "key"
    path.write_text("from-a-file-0123456789\n")
    assert (
        secret_from_env({"COMPLIANCE_QUARANTINE_KEY_FILE": str(path)}) == b"from-a-file-0123456789"
    )
    with pytest.raises(QuarantineKeyMissing, match="cannot read COMPLIANCE_QUARANTINE_KEY_FILE"):
        secret_from_env({"COMPLIANCE_QUARANTINE_KEY_FILE": str(tmp_path / "none")})
    with pytest.raises(QuarantineKeyMissing, match="no quarantine key: set"):
        secret_from_env({})
    with pytest.raises(ValueError, match="at least 16 bytes"):
        SealKey(b"short")


def test_a_job_without_a_secret_is_refused_unless_it_is_a_throwaway_run():
    assert quarantine_secret(b"given-secret-0123456789", False) == b"given-secret-0123456789"
    assert len(quarantine_secret(None, True)) == 32
    with pytest.raises(QuarantineKeyMissing, match="no quarantine key given to the job"):
        quarantine_secret(None, False)
