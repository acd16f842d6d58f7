"""Protection: keyed tokenization, masking of free text, and the per-record policy."""

from udfs.protect.mask import mask_text, placeholder
from udfs.protect.record import ProtectionPolicy, Protector, is_token
from udfs.protect.tokenize import TokenKey, TokenKeyMissing, tokenize_identifier

__all__ = [
    "ProtectionPolicy", "Protector", "TokenKey", "TokenKeyMissing", "is_token", "mask_text",
    "placeholder", "tokenize_identifier",
]  # fmt: skip
