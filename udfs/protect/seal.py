"""Quarantine payloads sealed at rest: AES-256-GCM (authenticated) over each raw line or
message, under a key from COMPLIANCE_QUARANTINE_KEY or COMPLIANCE_QUARANTINE_KEY_FILE.

A sealed value is one string, `gcm1:<key id>:<base64url of nonce + ciphertext + tag>`: the key
id is readable beside the ciphertext (8 hex characters derived from the key, so two keys never
need naming by hand), and is bound into the tag, so a value cannot be moved under another id.
The secret is stretched with HKDF-SHA256; each value gets a fresh random 96-bit nonce (under
one key, keep it below 2^32 values: rotate long before). Like the token key, the secret is not
in repr, logs or outputs, and a SealKey refuses to be pickled.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from base64 import urlsafe_b64encode as b64encode
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from udfs.protect.tokenize import KeyMissing

PREFIX = "gcm1"
NONCE_BYTES = 12
ENV = "COMPLIANCE_QUARANTINE_KEY"
ENV_FILE = "COMPLIANCE_QUARANTINE_KEY_FILE"


class QuarantineKeyMissing(KeyMissing):
    pass


class SealError(ValueError):
    """A sealed value that cannot be opened: unknown key id, wrong key, or altered."""


class SealKey:
    """One AES-256-GCM key and its id. Built where it is used, from the secret bytes."""

    __slots__ = ("_aad", "_aead", "_prefix", "key_id", "throwaway")

    def __init__(self, secret: bytes, throwaway: bool = False):
        if len(secret) < 16:
            raise ValueError("the quarantine key must be at least 16 bytes")
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"flink-compliance quarantine v1"
        ).derive(secret)
        self.key_id = hmac.new(derived, b"key id", hashlib.sha256).hexdigest()[:8]
        self._aead = AESGCM(derived)
        self._aad = f"{PREFIX}:{self.key_id}".encode()
        self._prefix = f"{PREFIX}:{self.key_id}:"
        self.throwaway = throwaway

    def __repr__(self) -> str:
        return f"SealKey({self.key_id}{', throwaway' if self.throwaway else ''})"

    def __getstate__(self):
        raise TypeError("a SealKey is not serialized; build it where it is used")

    def seal(self, text: str, nonce: bytes | None = None) -> str:
        nonce = nonce or os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, text.encode(), self._aad)
        return self._prefix + b64encode(nonce + sealed).rstrip(b"=").decode()

    def open(self, sealed: str) -> str:
        kid, body = _split(sealed)
        if kid != self.key_id:
            raise SealError(f"sealed under key {kid}, not {self.key_id}")
        blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        try:
            plain = self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], self._aad)
        except InvalidTag:
            raise SealError(f"a value sealed under key {kid} fails its check (altered?)") from None
        return plain.decode()

    def seal_array(self, values: pa.Array | pa.ChunkedArray) -> pa.Array:
        """Each value sealed (the nonces drawn in one call); nulls stay null."""
        texts = values.to_pylist()
        nonces = os.urandom(NONCE_BYTES * len(texts))
        seal = self.seal
        return pa.array(
            [
                None
                if text is None
                else seal(text, nonces[i * NONCE_BYTES : (i + 1) * NONCE_BYTES])
                for i, text in enumerate(texts)
            ],
            pa.string(),
        )


def _split(sealed: str) -> tuple[str, str]:
    parts = sealed.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise SealError("not a sealed value (expected gcm1:<key id>:<data>)")
    return parts[1], parts[2]


def is_sealed(value: str | None) -> bool:
    return value is not None and value.startswith(PREFIX + ":")


def key_id_of(sealed: str) -> str:
    return _split(sealed)[0]


class KeyRing:
    """The keys a reader holds, by id: opens values sealed under any of them."""

    def __init__(self, keys: Iterable[SealKey]):
        self.keys = {k.key_id: k for k in keys}
        if not self.keys:
            raise QuarantineKeyMissing("no quarantine key given")

    def open(self, sealed: str) -> str:
        kid = key_id_of(sealed)
        key = self.keys.get(kid)
        if key is None:
            known = ", ".join(sorted(self.keys))
            raise SealError(f"sealed under key {kid}; the keys given are {known}")
        return key.open(sealed)


def quarantine_secret(given: bytes | None, throwaway: bool) -> bytes:
    """The secret a job seals with: the one given, a random one for a throwaway run, else
    refused (the command line reads it from the environment: `secret_from_env`)."""
    if given is not None:
        return given
    if throwaway:
        return secrets.token_bytes(32)
    raise QuarantineKeyMissing(
        f"no quarantine key given to the job: pass quarantine_secret, or run from the command "
        f"line with {ENV} or {ENV_FILE} set"
    )


def secret_from_env(env: Mapping[str, str] | None = None) -> bytes:
    """The key bytes from COMPLIANCE_QUARANTINE_KEY or COMPLIANCE_QUARANTINE_KEY_FILE."""
    env = os.environ if env is None else env
    if env.get(ENV):
        return env[ENV].encode()
    path = env.get(ENV_FILE)
    if path:
        try:
            return Path(path).read_bytes().strip()
        except OSError as err:
            raise QuarantineKeyMissing(f"cannot read {ENV_FILE}: {err.strerror}") from None
    raise QuarantineKeyMissing(
        f"no quarantine key: set {ENV} (at least 16 characters) or {ENV_FILE}; quarantined "
        f"lines are stored encrypted under it, e.g. `export {ENV}=$(openssl rand -hex 32)`"
    )
