"""Token key ids: two keys live at once, the tokens of before ids still made and read."""

import re

import pyarrow as pa
import pytest
import yaml

from udfs.detectors import BUILTIN, TextScanner
from udfs.protect import TokenKey, TokenKeyMissing, tokenize_identifier
from udfs.protect.columns import tokenize_values
from udfs.protect.tokenize import load_keyring, token_key_from_env, token_key_id

SECRET_A = "keyring-secret-a-0123456789"
SECRET_B = "keyring-secret-b-0123456789"


def keyring(tmp_path, **raw):
    path = tmp_path / "keys.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_a_key_with_an_id_writes_it_into_its_tokens_and_both_paths_agree():
    key = TokenKey(SECRET_B.encode(), key_id="b")
    token = tokenize_identifier(key, "card_number", "4111 1111 1111 1111", keep_last4=True)
    assert re.fullmatch(r"tok_card_number_b_[a-zA-F]{16}_1111", token)
    column = tokenize_values(key, "card_number", pa.array(["4111111111111111"]), keep_last4=True)
    assert column.to_pylist() == [token]


def test_the_letters_are_the_keys_own_and_the_id_changes_only_the_prefix():
    plain = tokenize_identifier(TokenKey(SECRET_A.encode()), "ssn", "123-45-6789")
    labeled = tokenize_identifier(TokenKey(SECRET_A.encode(), key_id="a"), "ssn", "123-45-6789")
    assert labeled == plain.replace("tok_ssn_", "tok_ssn_a_")
    other = tokenize_identifier(TokenKey(SECRET_B.encode(), key_id="b"), "ssn", "123-45-6789")
    assert other[len("tok_ssn_b_") :] != plain[len("tok_ssn_") :]


def test_tokens_with_an_id_are_still_never_detected_as_identifiers():
    key = TokenKey(SECRET_B.encode(), key_id="jan")
    scanner = TextScanner(BUILTIN.values())
    for i in range(2000):
        token = tokenize_identifier(key, "card_number", f"4111111111{i:06d}", keep_last4=True)
        assert scanner.scan(f"see {token} here") == []


def test_the_key_that_made_a_token_is_read_from_it():
    ids = {"a", "b"}
    assert token_key_id("tok_ssn_b_ABCDEFGHabcdefgh", ids) == "b"
    assert token_key_id("tok_card_number_a_ABCDEFGHabcdefgh_1111", ids) == "a"
    assert token_key_id("tok_card_number_ABCDEFGHabcdefgh_1111", ids) is None  # before ids
    assert token_key_id("tok_medical_record_number_ABCDEFGHabcdefgh", ids) is None


def test_a_keyring_tokenizes_with_its_current_key_and_unlabeled_keeps_old_tokens(tmp_path):
    path = keyring(tmp_path, current="b", unlabeled="a", keys={"a": SECRET_A, "b": SECRET_B})
    secret, kid = token_key_from_env({"COMPLIANCE_TOKEN_KEYS_FILE": str(path)})
    assert (secret, kid) == (SECRET_B.encode(), "b")
    ring = load_keyring(path)
    old = tokenize_identifier(TokenKey(SECRET_A.encode()), "ssn", "123456789")
    assert tokenize_identifier(ring.token_key("a"), "ssn", "123456789") == old  # unchanged
    same = keyring(tmp_path, current="a", unlabeled="a", keys={"a": SECRET_A, "b": SECRET_B})
    assert token_key_from_env({"COMPLIANCE_TOKEN_KEYS_FILE": str(same)}) == (
        SECRET_A.encode(),
        None,
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"current": "b", "keys": {"a": SECRET_A}}, "current: 'b' is not one of keys"),
        ({"keys": {"a": SECRET_A}}, "say which key tokenizes"),
        (
            {"current": "A1", "keys": {"A1": SECRET_A}},
            "key id 'A1': expected 1-8 lower-case letters",
        ),
        ({"current": "a", "keys": {"a": "short"}}, "at least 16 characters"),
        ({"current": "a", "keys": {"a": SECRET_A}, "old": "x"}, "unknown key"),
        ({"current": "a"}, "expected `current: ID` and `keys:"),
    ],
)
def test_keyring_mistakes_are_named(tmp_path, raw, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        load_keyring(keyring(tmp_path, **raw))


def test_a_keyring_and_a_single_key_together_are_refused(tmp_path):
    path = keyring(tmp_path, current="a", keys={"a": SECRET_A})
    with pytest.raises(ValueError, match="not both"):
        token_key_from_env(
            {"COMPLIANCE_TOKEN_KEYS_FILE": str(path), "COMPLIANCE_TOKEN_KEY": "x" * 20}
        )
    with pytest.raises(TokenKeyMissing, match="cannot read COMPLIANCE_TOKEN_KEYS_FILE"):
        token_key_from_env({"COMPLIANCE_TOKEN_KEYS_FILE": str(tmp_path / "none.yaml")})
    with pytest.raises(ValueError, match="1-8 lower-case letters"):
        TokenKey(SECRET_A.encode(), key_id="k2")
