import re

import pytest

from udfs.detectors import BUILTIN, TextScanner
from udfs.protect import TokenKey, TokenKeyMissing, tokenize_identifier

KEY = TokenKey(b"unit-test-key-0123456789")


def test_deterministic_and_separator_blind():
    a = tokenize_identifier(KEY, "ssn", "123-45-6789")
    assert (
        a
        == tokenize_identifier(KEY, "ssn", "123 45 6789")
        == tokenize_identifier(KEY, "ssn", "123456789")
    )
    assert re.fullmatch(r"tok_ssn_[A-Za-z]{16}", a)


def test_domain_separation_per_field_and_key():
    assert tokenize_identifier(KEY, "ssn", "123456789") != tokenize_identifier(
        KEY, "phone", "123456789"
    )
    other = TokenKey(b"another-key-0123456789")
    assert tokenize_identifier(KEY, "ssn", "123456789") != tokenize_identifier(
        other, "ssn", "123456789"
    )


def test_matches_rfc2104_hmac():
    import hashlib
    import hmac

    assert (
        KEY.digest(b"abc") == hmac.new(b"unit-test-key-0123456789", b"abc", hashlib.sha256).digest()
    )
    long_key = b"k" * 100
    assert TokenKey(long_key).digest(b"x") == hmac.new(long_key, b"x", hashlib.sha256).digest()


def test_keep_last4_for_cards():
    token = tokenize_identifier(KEY, "card_number", "4111 1111 1111 1234", keep_last4=True)
    assert token.endswith("_1234") and token.startswith("tok_card_number_")


def test_tokens_are_never_detected_as_identifiers():
    scanner = TextScanner(BUILTIN.values())
    for i in range(2000):
        token = tokenize_identifier(KEY, "card_number", f"4111111111{i:06d}", keep_last4=True)
        assert scanner.scan(f"see {token} here") == []


def test_key_from_env_and_file(tmp_path):
    env_key = TokenKey.from_env({"COMPLIANCE_TOKEN_KEY": "unit-test-key-0123456789"})
    assert env_key.digest(b"x") == KEY.digest(b"x")
    path = tmp_path / "key"
    path.write_text("unit-test-key-0123456789\n")
    assert TokenKey.from_env({"COMPLIANCE_TOKEN_KEY_FILE": str(path)}).digest(b"x") == KEY.digest(
        b"x"
    )


def test_missing_key_is_refused_with_a_hint():
    with pytest.raises(TokenKeyMissing, match="COMPLIANCE_TOKEN_KEY"):
        TokenKey.from_env({})
    with pytest.raises(TokenKeyMissing, match="cannot read"):
        TokenKey.from_env({"COMPLIANCE_TOKEN_KEY_FILE": "/nonexistent/key"})
    with pytest.raises(ValueError, match="16 bytes"):
        TokenKey(b"short")


def test_key_never_shows():
    assert "unit-test" not in repr(KEY)
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(KEY)


def test_token_is_hmac_sha256_in_base32_letters():
    """The token format is a contract (tokens join across runs and versions): 16 base32 letters
    of HMAC-SHA256(key, field NUL normalized value), alphabet A-Z2-7 mapped to a-zA-F."""
    import base64
    import hashlib
    import hmac

    secret = b"unit-test-key-0123456789"
    letters = bytes.maketrans(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"abcdefghijklmnopqrstuvwxyzABCDEF"
    )
    for value in ("123456789", "a@b.org", "x" * 200, "Ünïcode"):
        normalized = value.lower()  # e-mail addresses are tokenized lower-cased
        digest = hmac.digest(secret, f"email\x00{normalized}".encode(), hashlib.sha256)
        body = base64.b32encode(digest[:10]).translate(letters).decode()
        assert tokenize_identifier(KEY, "email", value) == f"tok_email_{body}"
