import pytest

from udfs.schema import SchemaError, load_schema
from udfs.validation import RecordInvalid, validate_record

SCHEMA = load_schema("healthcare")


def record(**overrides):
    base = {"record_id": "r1", "created_at": "2025-01-01T00:00:00Z", "latitude": "40.1"}
    base.update(overrides)
    return base


def test_valid_record_passes():
    validate_record(record(date_of_birth="1980-02-29", consent_given="TRUE"), SCHEMA)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"record_id": ""}, "missing required field record_id"),
        ({"created_at": None}, "missing required field created_at"),
        ({"created_at": "2024-13-45T00:00:00Z"}, "invalid created_at: not an ISO-8601 timestamp"),
        ({"date_of_birth": "12/31/1980"}, "invalid date_of_birth: not a YYYY-MM-DD date"),
        ({"consent_given": "maybe"}, "invalid consent_given: not true/false"),
        ({"latitude": "123.5"}, "invalid latitude: not a latitude in [-90, 90]"),
        ({"latitude": "north"}, "invalid latitude: not a latitude in [-90, 90]"),
        ({"notes": "x" * 10_001}, "field notes longer than 10000 characters"),
    ],
)
def test_reasons_name_the_field_not_the_value(overrides, reason):
    with pytest.raises(RecordInvalid) as err:
        validate_record(record(**overrides), SCHEMA)
    assert str(err.value) == reason


def test_unknown_domain():
    with pytest.raises(SchemaError, match="unknown domain"):
        load_schema("retail")
