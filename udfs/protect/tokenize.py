"""Keyed, deterministic tokenization: HMAC-SHA256 with domain separation per field.

The same value in the same field always gives the same token (joins still work); the same
value in two fields gives two tokens. Tokens use letters only, so no detector ever mistakes a
token for an identifier. The key never leaves this object: it is not in repr, logs or outputs.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from udfs.protect import native

NATIVE_FROM = 8  # fewer messages than this: the hashlib loop costs less than packing them
TOKEN_CHARS = 16  # 80 bits: base32 of the digest's first 10 bytes, letters only
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEF"
# Two base32 letters per 10 bits: 8 table lookups per token instead of the stdlib's loop.
_PAIRS = tuple(_LETTERS[i >> 5] + _LETTERS[i & 31] for i in range(1024))
_SEPARATORS = str.maketrans("", "", " -.()")
COMPACT_FIELDS = {"ssn", "card_number", "phone", "account_number", "iban"}
KEY_ID = re.compile(r"[a-z]{1,8}")  # letters: a token holds no digit a detector could read


class KeyMissing(RuntimeError):
    """A key the job needs is not configured (the message says which, and how)."""


class TokenKeyMissing(KeyMissing):
    pass


class TokenKey:
    """The secret key. From COMPLIANCE_TOKEN_KEY, COMPLIANCE_TOKEN_KEY_FILE, or a throwaway."""

    __slots__ = ("_block", "_inner", "_outer", "key_id", "prefix", "throwaway")

    def __init__(self, secret: bytes, throwaway: bool = False, key_id: str | None = None):
        if len(secret) < 16:
            raise ValueError("the token key must be at least 16 bytes")
        if key_id is not None and not KEY_ID.fullmatch(key_id):
            raise ValueError(f"token key id {key_id!r}: expected 1-8 lower-case letters")
        # Tokens of a key with an id carry it (tok_<field>_<id>_<letters>): two keys can be live
        # at once; a key without one makes the tokens of before ids (tok_<field>_<letters>).
        self.key_id = key_id
        self.prefix = f"{key_id}_" if key_id else ""
        # HMAC (RFC 2104) with its two keyed SHA-256 states computed once; the padded key
        # block is kept for the native path (udfs.protect.native), never shown or serialized.
        block = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
        block = block.ljust(64, b"\0")
        self._block = block
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        self.throwaway = throwaway

    def __repr__(self) -> str:
        kid = f", id {self.key_id}" if self.key_id else ""
        return f"TokenKey({'throwaway' if self.throwaway else 'from environment'}{kid})"

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


@dataclass(frozen=True)
class TokenKeyring:
    """Token keys by id (COMPLIANCE_TOKEN_KEYS_FILE): `current` tokenizes; the others still read
    (verify, re-tokenize). `unlabeled` names the key whose tokens carry no id — the tokens made
    before key ids — so adopting a keyring need not change a token."""

    keys: dict[str, bytes] = field(repr=False)
    current: str
    unlabeled: str | None = None

    def token_key(self, key_id: str | None = None) -> TokenKey:
        kid = self.current if key_id is None else key_id
        return TokenKey(self.keys[kid], key_id=self.carried_id(kid))

    def carried_id(self, key_id: str) -> str | None:
        """The id the tokens of this key carry (None: the unlabeled key's carry none)."""
        return None if key_id == self.unlabeled else key_id

    @property
    def current_id(self) -> str | None:
        """The id new tokens carry (None: they carry none)."""
        return self.carried_id(self.current)


def load_keyring(path: Path) -> TokenKeyring:
    """The keyring file: `current: ID`, `keys: {ID: SECRET, ...}`, optionally `unlabeled: ID`."""
    import yaml

    where = f"COMPLIANCE_TOKEN_KEYS_FILE {path}"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise TokenKeyMissing(f"cannot read {where}: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise ValueError(f"{where}: not YAML ({err})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("keys"), dict) or not raw["keys"]:
        raise ValueError(f"{where}: expected `current: ID` and `keys: {{ID: SECRET, ...}}`")
    unknown = set(raw) - {"current", "keys", "unlabeled"}
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    keys = {}
    for kid, secret in raw["keys"].items():
        if not isinstance(kid, str) or not KEY_ID.fullmatch(kid):
            raise ValueError(f"{where}: key id {kid!r}: expected 1-8 lower-case letters")
        if not isinstance(secret, str) or len(secret.encode()) < 16:
            raise ValueError(f"{where}: key {kid}: the secret must be at least 16 characters")
        keys[kid] = secret.encode()
    for name in ("current", "unlabeled"):
        if raw.get(name) is not None and raw[name] not in keys:
            raise ValueError(
                f"{where}: {name}: {raw[name]!r} is not one of keys ({', '.join(keys)})"
            )
    if raw.get("current") is None:
        raise ValueError(f"{where}: say which key tokenizes: current: ID")
    return TokenKeyring(keys, raw["current"], raw.get("unlabeled"))


def token_key_from_env(env: Mapping[str, str] | None = None) -> tuple[bytes, str | None]:
    """The secret that tokenizes and the id its tokens carry: the keyring's current key
    (COMPLIANCE_TOKEN_KEYS_FILE), or the one key of COMPLIANCE_TOKEN_KEY / _FILE (no id)."""
    env = os.environ if env is None else env
    ring = keyring_from_env(env)
    if ring is None:
        return key_secret_from_env(env), None
    return ring.keys[ring.current], ring.current_id


def keyring_from_env(env: Mapping[str, str] | None = None) -> TokenKeyring | None:
    env = os.environ if env is None else env
    path = env.get("COMPLIANCE_TOKEN_KEYS_FILE")
    if not path:
        return None
    if env.get("COMPLIANCE_TOKEN_KEY") or env.get("COMPLIANCE_TOKEN_KEY_FILE"):
        raise ValueError(
            "set either COMPLIANCE_TOKEN_KEYS_FILE (a keyring) or COMPLIANCE_TOKEN_KEY / "
            "COMPLIANCE_TOKEN_KEY_FILE (one key), not both"
        )
    return load_keyring(Path(path))


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
        "no token key: set COMPLIANCE_TOKEN_KEY (at least 16 characters), "
        "COMPLIANCE_TOKEN_KEY_FILE or COMPLIANCE_TOKEN_KEYS_FILE (a keyring); e.g. `export COMPLIANCE_TOKEN_KEY=$(openssl rand -hex 32)`"
    )


def token_key_id(token: str, key_ids: frozenset[str] | set[str]) -> str | None:
    """The id of the key that made a token (`tok_<field>_<id>_<letters>[_<last 4>]`), or None
    for a token of before key ids (`tok_<field>_<letters>[_<last 4>]`); `key_ids` are the ids
    a keyring knows (a field's name may hold underscores: the id is told apart by them)."""
    body = token[4:] if token.startswith("tok_") else token
    parts = body.split("_")
    if parts and len(parts[-1]) == 4 and parts[-1].isdigit():
        parts = parts[:-1]
    if len(parts) >= 3 and parts[-2] in key_ids:
        return parts[-2]
    return None


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
    """`tok_<field>_<16 letters>` (`tok_<field>_<key id>_<16 letters>` under a key with an id),
    plus `_<last four digits>` for cards when asked."""
    digest = key.digest(f"{field}\x00{normalize(field, value)}".encode())
    token = f"tok_{field}_{key.prefix}{_letters(digest)}"
    if keep_last4:
        digits = [c for c in value if c.isdigit()]
        if len(digits) >= 4:
            token += "_" + "".join(digits[-4:])
    return token
