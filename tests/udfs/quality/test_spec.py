import pytest

from udfs.quality.spec import UNUSABLE, default_path, load_quality, parse_quality
from udfs.schema import SchemaError, load_schema

HEALTH = load_schema("healthcare")


def test_shipped_settings_load_for_both_domains():
    for domain in ("healthcare", "financial"):
        config = load_quality(load_schema(domain))
        assert config.source == str(default_path(domain))
        assert config.min_score > 0 and config.checks


def test_defaults_weigh_the_metrics_equally_and_stop_nothing():
    config = parse_quality({}, HEALTH)
    assert set(config.weights.values()) == {0.2} and config.min_score == 0.0
    assert config.fields == HEALTH.names and config.checks == ()


@pytest.mark.parametrize(
    ("score", "level"), [(0.99, "excellent"), (0.9, "good"), (0.7, "fair"), (0.5, "poor"),
                         (0.49, UNUSABLE)],
)  # fmt: skip
def test_levels_by_score(score, level):
    assert parse_quality({}, HEALTH).level(score) == level


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"weights": {"speed": 1}}, "unknown key(s) speed"),
        ({"min_score": 1.5}, "min_score: expected a share"),
        ({"levels": {"excellent": 0.5, "good": 0.9}}, "excellent ≥ good"),
        ({"consistency": [{"name": "x", "field": "ssn", "in": ["1"]}]}, "protected (tokenize)"),
        ({"consistency": [{"name": "x", "field": "gender", "min": 0}]}, "not a number field"),
        ({"consistency": [{"name": "x", "field": "gender", "in": ["F"], "pattern": "F"}]},
         "exactly one of"),
        ({"consistency": [{"name": "x", "field": "gender", "not_after": "created_at"}]},
         "two date or timestamp fields"),
        ({"consistency": [{"name": "x", "field": "nope", "in": ["F"]}]}, "a field of healthcare"),
        ({"completeness": {"fields": ["nope"]}}, "completeness.fields"),
        ({"timeliness": {"max_age_days": 0}}, "max_age_days: expected a number > 0"),
        ({"domain": "financial"}, "written for 'financial'"),
    ],
)  # fmt: skip
def test_mistakes_are_named_with_their_key(raw, message):
    with pytest.raises(SchemaError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_quality(raw, HEALTH, "q.yaml")


def test_a_missing_file_given_by_the_user_is_an_error(tmp_path):
    with pytest.raises(SchemaError, match="no quality settings at"):
        load_quality(HEALTH, tmp_path / "none.yaml")
