"""HMAC-SHA256 of many messages in C (udfs/native/hmac_sha256.c, OpenSSL's SHA-256), ~5× the
hashlib loop; built by scripts/setup into lib/native/. Where the library is absent (not built,
or the package runs from a zip on a cluster), `available()` is False and tokenization uses
hashlib — the same digests, slower. COMPLIANCE_NATIVE_LIB names the library file explicitly."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import numpy as np

LIBRARY = "libcompliance_hmac.so"
DEFAULT_PATH = Path(__file__).resolve().parent.parent.parent / "lib" / "native" / LIBRARY
_lib: ctypes.CDLL | None = None
_tried = False


def _load() -> ctypes.CDLL | None:
    global _lib, _tried
    if not _tried:
        _tried = True
        path = Path(os.environ.get("COMPLIANCE_NATIVE_LIB") or DEFAULT_PATH)
        if path.is_file():
            try:
                lib = ctypes.CDLL(str(path))
            except OSError:
                return None
            lib.hmac_sha256_many.argtypes = [
                ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_char_p,
            ]  # fmt: skip
            lib.hmac_sha256_many.restype = None
            _lib = lib
    return _lib


def available() -> bool:
    return _load() is not None


def hmac_sha256_many(key_block: bytes, messages: list[bytes]) -> bytes:
    """The 32-byte digests of `messages`, joined; `key_block` is the 64-byte padded key."""
    import pyarrow as pa

    return hmac_sha256_binary(key_block, pa.array(messages, pa.binary()))


def hmac_sha256_binary(key_block: bytes, messages) -> bytes:
    """The digests of an Arrow binary array's values (no nulls), read in place from its buffers."""
    lib = _load()
    if lib is None:
        raise RuntimeError(f"the native HMAC library is not built ({DEFAULT_PATH})")
    n = len(messages)
    _, offsets_buffer, data_buffer = messages.buffers()
    offsets = np.frombuffer(offsets_buffer, np.int32)[messages.offset : messages.offset + n + 1]
    offsets = offsets.astype(np.int64)
    out = ctypes.create_string_buffer(32 * n)
    data = ctypes.c_char_p(data_buffer.address) if data_buffer is not None else b""
    lib.hmac_sha256_many(key_block, data, offsets.ctypes.data, n, out)
    return out.raw
