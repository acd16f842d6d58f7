from dataclasses import astuple
from datetime import UTC, datetime

import pytest

from udfs.rules import REGISTRY, Rule, Violation, build_rule_set, load_rule_set, register
from udfs.schema import SchemaError, load_schema

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def healthcare():
    return load_rule_set("healthcare", AS_OF)


@pytest.fixture(scope="module")
def financial():
    return load_rule_set("financial", AS_OF)


def clean_record(**overrides):
    record = {
        "record_id": "r1",
        "patient_name": "tok_patient_name_x",
        "ssn": "tok_ssn_abc",
        "medical_record_number": "",
        "email": "",
        "phone": "",
        "notes": "patient reports mild pain",
        "consent_given": "true",
        "latitude": "40.71",
        "longitude": "-74.01",
        "created_at": "2025-06-01T10:00:00Z",
    }
    record.update(overrides)
    return record


def found(rules, record):
    return {(v.regulation, v.field) for v in rules.evaluate(record)}


def test_clean_record_has_no_violation(healthcare):
    assert healthcare.evaluate(clean_record()) == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"ssn": "123-45-6789"}, {("HIPAA", "ssn")}),
        ({"ssn": "666-45-6789"}, set()),
        ({"medical_record_number": "MRN-12345678"}, {("HIPAA", "medical_record_number")}),
        ({"email": "jo@example.com"}, {("HIPAA", "email")}),
        ({"phone": "(415) 555-2671"}, {("HIPAA", "phone")}),
        ({"notes": "call 415-555-2671"}, {("HIPAA", "notes")}),
        ({"notes": "ssn 123 45 6789"}, {("HIPAA", "notes")}),
        ({"notes": "card 4111111111111111"}, {("PCI-DSS", "notes")}),
        ({"notes": "card 4111111111111112"}, set()),
        ({"notes": "CVV 123"}, {("PCI-DSS", "notes")}),
        ({"consent_given": "false"}, {("GDPR", "consent_given")}),
        ({"consent_given": ""}, {("GDPR", "consent_given")}),
        ({"created_at": "2018-12-01T00:00:00Z"}, {("GDPR", "created_at")}),
        ({"created_at": "2019-01-05T00:00:00+00:00"}, set()),
        ({"latitude": "40.7128"}, {("LOCATION", "latitude")}),
        ({"longitude": "-74.00600"}, {("LOCATION", "longitude")}),
    ],
)
def test_each_rule(healthcare, overrides, expected):
    assert found(healthcare, clean_record(**overrides)) == expected


def test_violation_never_holds_the_value(healthcare):
    record = clean_record(ssn="123-45-6789", notes="card 4111111111111111 mail jo@example.com")
    for violation in healthcare.evaluate(record):
        text = " ".join(astuple(violation))
        assert "123-45-6789" not in text and "4111" not in text and "jo@" not in text


def test_severity_from_config(healthcare):
    by_field = {v.field: v.severity for v in healthcare.evaluate(clean_record(ssn="123-45-6789"))}
    assert by_field == {"ssn": "critical"}


def test_financial_has_no_hipaa(financial):
    record = {
        "record_id": "f1",
        "card_number": "5555 5555 5555 4444",
        "email": "jo@example.com",
        "consent_given": "true",
        "created_at": "2025-01-01T00:00:00Z",
    }
    assert found(financial, record) == {("PCI-DSS", "card_number")}


def test_retention_follows_as_of():
    record = clean_record(created_at="2020-01-01T00:00:00Z")
    assert not found(load_rule_set("healthcare", AS_OF), record)
    later = load_rule_set("healthcare", datetime(2027, 6, 1, tzinfo=UTC))
    assert found(later, record) == {("GDPR", "created_at")}


def test_custom_rule_plugs_in():
    @register
    class NoNotesOnWeekends(Rule):
        rule_id = "test.notes_present"
        regulation = "GDPR"

        def check(self, record):
            if record.get("notes"):
                yield self.violation("notes", "notes present")

    config = {"rules": {"test.notes_present": {"severity": "low"}}}
    rules = build_rule_set(config, load_schema("healthcare"), AS_OF)
    assert rules.evaluate(clean_record()) == [
        Violation("test.notes_present", "GDPR", "notes", "low", "notes present")
    ]
    del REGISTRY["test.notes_present"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"rules": {"nope.rule": {}}}, "unknown rule"),
        ({"rules": {"gdpr.consent": {"severity": "urgent"}}}, "severity"),
        ({"rules": {"gdpr.consent": {"colour": "red"}}}, "colour"),
        ({"plugins": ["no_such_module_xyz"], "rules": {}}, "cannot import"),
    ],
)
def test_bad_config_is_a_clear_error(config, message):
    with pytest.raises(SchemaError, match=message):
        build_rule_set(config, load_schema("healthcare"), AS_OF)
