"""Protecting one record: tokenize direct identifiers, mask free text, drop what must go."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from udfs.anonymity.hierarchies import truncate_decimals
from udfs.detectors.gps import coordinate_is_precise
from udfs.protect.mask import NEVER_TOKENIZED, mask_text, placeholder
from udfs.protect.tokenize import TokenKey, tokenize_identifier
from udfs.rules.base import RecordView

DEFAULT_MASK_KINDS = ("ssn", "mrn", "card", "cvv", "track", "iban", "email", "phone", "ip", "url",
                      "mbi", "dob")  # fmt: skip


@dataclass
class ProtectionPolicy:
    tokenize: tuple[str, ...] = ()
    mask_text: dict[str, str] = field(default_factory=dict)  # field -> "token" | "placeholder"
    keep_last4: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    mask_kinds: tuple[str, ...] = DEFAULT_MASK_KINDS
    coarsen: dict[str, int] = field(default_factory=dict)  # field -> decimals kept (GPS)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ProtectionPolicy:
        modes = dict(config.get("mask_text") or {})
        for name, mode in modes.items():
            if mode not in ("token", "placeholder"):
                raise ValueError(f"mask_text.{name}: expected token or placeholder, got {mode!r}")
        return cls(
            tokenize=tuple(config.get("tokenize") or ()),
            mask_text=modes,
            keep_last4=tuple(config.get("keep_last4") or ()),
            drop=tuple(config.get("drop") or ()),
            mask_kinds=tuple(config.get("mask_kinds") or DEFAULT_MASK_KINDS),
            coarsen={k: int(v) for k, v in (config.get("coarsen") or {}).items()},
        )


def is_token(value: str) -> bool:
    return value.startswith("tok_")


class Protector:
    def __init__(self, policy: ProtectionPolicy, key: TokenKey):
        self.policy = policy
        self.key = key
        self.mask_kinds = frozenset(policy.mask_kinds)

    def _replacement(self, mode: str):
        def replace(kind: str, text: str) -> str:
            if mode == "placeholder" or kind in NEVER_TOKENIZED:
                return placeholder(kind)
            return tokenize_identifier(self.key, kind, text)

        return replace

    def protect(self, view: RecordView) -> dict[str, str | None]:
        """A copy of the record's values with identifiers replaced; the input is untouched."""
        out = dict(view.values)
        policy = self.policy
        for name in policy.tokenize:
            value = out.get(name)
            if value and not is_token(value):
                out[name] = tokenize_identifier(self.key, name, value, name in policy.keep_last4)
        for name, mode in policy.mask_text.items():
            value = out.get(name)
            if value:
                spans = [s for s in view.spans(name) if s.kind in self.mask_kinds]
                out[name] = mask_text(value, spans, self._replacement(mode))
        for name, decimals in policy.coarsen.items():
            value = out.get(name)
            if value and coordinate_is_precise(value, decimals):
                out[name] = truncate_decimals(value, decimals)
        for name in policy.drop:
            out[name] = None
        return out
