from datetime import UTC, datetime

from udfs.protect import ProtectionPolicy, Protector, TokenKey
from udfs.rules import load_rule_set
from udfs.schema import load_schema

KEY = TokenKey(b"unit-test-key-0123456789")
SCHEMA = load_schema("healthcare")
POLICY = ProtectionPolicy.from_config(SCHEMA.protection)
RULES = load_rule_set("healthcare", datetime(2026, 1, 1, tzinfo=UTC), extra_kinds=POLICY.mask_kinds)


def protect(record, policy=POLICY):
    return Protector(policy, KEY).protect(RULES.view(record))


def test_identifiers_tokenized_text_masked_nothing_raw_left():
    record = {
        "record_id": "r1",
        "patient_name": "Ada Abbott",
        "ssn": "123-45-6789",
        "email": "ada@example.com",
        "notes": "ssn 123-45-6789 card 4111 1111 1111 1111 CVV 123 mail ada@example.com",
        "created_at": "2025-01-01T00:00:00Z",
    }
    out = protect(record)
    assert out["record_id"] == "r1"
    assert out["ssn"].startswith("tok_ssn_")
    assert out["patient_name"].startswith("tok_patient_name_")
    # The same SSN in its field and in notes gets the same token only within one field kind.
    assert "123-45-6789" not in out["notes"] and "4111" not in out["notes"]
    assert "ada@example.com" not in out["notes"]
    assert "[CVV]" in out["notes"]  # security codes are never tokenized
    # Nothing left to find but the lack of consent (pseudonymized data is still personal data).
    assert [v.rule_id for v in RULES.evaluate(out)] == ["gdpr.consent"]
    assert record["ssn"] == "123-45-6789"  # input untouched


def test_placeholder_mode():
    policy = ProtectionPolicy.from_config(
        {**SCHEMA.protection, "mask_text": {"notes": "placeholder"}}
    )
    out = protect({"record_id": "r", "notes": "call 415-555-2671 now"}, policy)
    assert out["notes"] == "call [PHONE] now"


def test_existing_tokens_kept():
    out = protect({"record_id": "r", "ssn": "tok_ssn_abcdefghijklmnop"})
    assert out["ssn"] == "tok_ssn_abcdefghijklmnop"


def test_bad_mode_is_a_clear_error():
    import pytest

    with pytest.raises(ValueError, match="token or placeholder"):
        ProtectionPolicy.from_config({"mask_text": {"notes": "blur"}})
