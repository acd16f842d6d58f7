"""Keyed, deterministic tokenization: HMAC-SHA256 with domain separation per field.

The same value in the same field always gives the same token (joins still work); the same
value in two fields gives two tokens. Tokens use letters only, so no detector ever mistakes a
token for an identifier. The key never leaves this object: it is not in repr, logs or outputs.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from udfs.protect import native

NATIVE_FROM = 8  # fewer messages than this: the hashlib loop costs less than packing them
TOKEN_CHARS = 16  # 80 bits: base32 of the digest's first 10 bytes, letters only
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEF"
# Two base32 letters per 10 bits: 8 table lookups per token instead of the stdlib's loop.
_PAIRS = tuple(_LETTERS[i >> 5] + _LETTERS[i & 31] for i in range(1024))
_SEPARATORS = str.maketrans("", "", " -.()")
COMPACT_FIELDS = {"ssn", "card_number", "phone", "account_number", "iban"}


class KeyMissing(RuntimeError):
    """A key the job needs is not configured (the message says which, and how)."""


class TokenKeyMissing(KeyMissing):
    pass


class TokenKey:
    """The secret key. From COMPLIANCE_TOKEN_KEY, COMPLIANCE_TOKEN_KEY_FILE, or a throwaway."""

    __slots__ = ("_block", "_inner", "_outer", "throwaway")

    def __init__(self, secret: bytes, throwaway: bool = False):
        if len(secret) < 16:
            raise ValueError("the token key must be at least 16 bytes")
        # HMAC (RFC 2104) with its two keyed SHA-256 states computed once; the padded key
        # block is kept for the native path (udfs.protect.native), never shown or serialized.
        block = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
        block = block.ljust(64, b"\0")
        self._block = block
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        self.throwaway = throwaway

    def __repr__(self) -> str:
        return f"TokenKey({'throwaway' if self.throwaway else 'from environment'})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TokenKey:
        return cls(key_secret_from_env(env))

    @classmethod
    def throwaway_key(cls) -> TokenKey:
        return cls(secrets.token_bytes(32), throwaway=True)

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def digests(self, messages: list[bytes]) -> bytes:
        """The digests of many messages, joined (32 bytes each): in C where the native library
        is built (udfs.protect.native), else `digest` without a call per message, its keyed
        states copied in a plain loop."""
        if len(messages) >= NATIVE_FROM and native.available():
            return native.hmac_sha256_many(self._block, messages)
        inner_copy, outer_copy = self._inner.copy, self._outer.copy
        out = []
        append = out.append
        for message in messages:
            inner = inner_copy()
            inner.update(message)
            outer = outer_copy()
            outer.update(inner.digest())
            append(outer.digest())
        return b"".join(out)

    def digests_of_binary(self, messages) -> bytes:
        """`digests` of an Arrow binary array without nulls, read in place where the native
        library is built."""
        if len(messages) >= NATIVE_FROM and native.available():
            return native.hmac_sha256_binary(self._block, messages)
        return self.digests(messages.to_pylist())

    def __getstate__(self):
        raise TypeError("a TokenKey is not serialized; build it where it is used")


def key_secret_from_env(env: Mapping[str, str] | None = None) -> bytes:
    """The key bytes from COMPLIANCE_TOKEN_KEY or COMPLIANCE_TOKEN_KEY_FILE; refuses without."""
    env = os.environ if env is None else env
    if env.get("COMPLIANCE_TOKEN_KEY"):
        return env["COMPLIANCE_TOKEN_KEY"].encode()
    path = env.get("COMPLIANCE_TOKEN_KEY_FILE")
    if path:
        try:
            return Path(path).read_bytes().strip()
        except OSError as err:
            raise TokenKeyMissing(
                f"cannot read COMPLIANCE_TOKEN_KEY_FILE: {err.strerror}"
            ) from None
    raise TokenKeyMissing(
        "no token key: set COMPLIANCE_TOKEN_KEY (at least 16 characters) or "
        "COMPLIANCE_TOKEN_KEY_FILE; e.g. `export COMPLIANCE_TOKEN_KEY=$(openssl rand -hex 32)`"
    )


def normalize(field: str, value: str) -> str:
    """The form tokenized: separators removed for numbers, e-mail lower-cased."""
    value = value.strip()
    if field in COMPACT_FIELDS:
        return value.translate(_SEPARATORS).upper()
    if field == "email" or "@" in value:
        return value.lower()
    return value


def _letters(digest: bytes) -> str:
    """The first 80 bits of the digest as 16 letters (base32 order, letters-only alphabet)."""
    n = int.from_bytes(digest[:10], "big")
    p = _PAIRS
    return (
        p[n >> 70] + p[(n >> 60) & 1023] + p[(n >> 50) & 1023] + p[(n >> 40) & 1023]
        + p[(n >> 30) & 1023] + p[(n >> 20) & 1023] + p[(n >> 10) & 1023] + p[n & 1023]
    )  # fmt: skip


def tokenize_identifier(key: TokenKey, field: str, value: str, keep_last4: bool = False) -> str:
    """`tok_<field>_<16 letters>`, plus `_<last four digits>` for cards when asked."""
    digest = key.digest(f"{field}\x00{normalize(field, value)}".encode())
    token = f"tok_{field}_{_letters(digest)}"
    if keep_last4:
        digits = [c for c in value if c.isdigit()]
        if len(digits) >= 4:
            token += "_" + "".join(digits[-4:])
    return token
