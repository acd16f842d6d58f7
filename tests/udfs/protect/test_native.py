"""The native HMAC gives hashlib's digests, byte for byte; without it tokens are the same."""

import hmac
import random
import shutil

import pyarrow as pa
import pytest

from udfs.protect import native, tokenize
from udfs.protect.tokenize import TokenKey, tokenize_identifier


def test_setup_builds_it_where_gcc_is():
    if shutil.which("gcc") is None:
        pytest.skip("no gcc: the native HMAC is not built here (tokens use hashlib)")
    assert native.available(), "scripts/setup should have built lib/native/libcompliance_hmac.so"


@pytest.mark.skipif(not native.available(), reason="native HMAC not built")
@pytest.mark.parametrize("secret", [b"k" * 16, b"a-32-byte-secret-0123456789abcdef", b"x" * 100])
def test_native_digests_equal_the_standard_library(secret):
    rng = random.Random(3)
    messages = [b"", b"a", b"x" * 55, b"y" * 56, b"z" * 64, b"w" * 200]
    messages += [rng.randbytes(rng.randint(0, 120)) for _ in range(3000)]
    messages += [b"ssn\x00123456789", "notes\x00José ✓".encode()]
    expected = b"".join(hmac.digest(secret, m, "sha256") for m in messages)
    assert native.hmac_sha256_many(TokenKey(secret)._block, messages) == expected
    assert TokenKey(secret).digests(messages) == expected
    column = pa.array(messages, pa.binary())
    assert TokenKey(secret).digests_of_binary(column) == expected
    assert TokenKey(secret).digests_of_binary(column.slice(7, 100)) == expected[7 * 32 : 107 * 32]
    assert TokenKey(secret).digests_of_binary(pa.array([b""] * 9, pa.binary())) == b"".join(
        hmac.digest(secret, b"", "sha256") for _ in range(9)
    )


def test_tokens_are_the_same_with_and_without_it(monkeypatch):
    key = TokenKey(b"token-key-0123456789abcdef")
    values = [f"{i:03d}-45-{i:04d}" for i in range(500)]
    messages = [f"ssn\x00{tokenize.normalize('ssn', v)}".encode() for v in values]
    with_native = key.digests(messages)
    monkeypatch.setattr(native, "available", lambda: False)
    assert key.digests(messages) == with_native
    assert [tokenize_identifier(key, "ssn", v) for v in values[:3]] == [
        f"tok_ssn_{tokenize._letters(with_native[32 * i : 32 * i + 32])}" for i in range(3)
    ]
