from datetime import date, datetime, timedelta

import pytest

from tools.report.queries import _SETS, ReportData, Scope, parse_since


@pytest.mark.parametrize(
    ("text", "span"),
    [("30m", timedelta(minutes=30)), ("12h", timedelta(hours=12)), ("7d", timedelta(days=7)),
     ("4w", timedelta(weeks=4)), (" 2d ", timedelta(days=2))],
)  # fmt: skip
def test_since_accepts_a_number_and_a_unit(text, span):
    assert parse_since(text) == span


@pytest.mark.parametrize("text", ["7", "d", "7y", "-1d", "0d", "1.5d", ""])
def test_since_refuses_anything_else_with_the_expected_form(text):
    with pytest.raises(ValueError, match=r"e\.g\. 7d"):
        parse_since(text)


def test_scope_says_what_it_covers():
    assert Scope("7d").describe() == "the last 7d"
    assert Scope("30d", domain="financial").describe() == "the last 30d, domain financial"
    assert Scope(job_id="abc").describe() == "run abc"


def test_each_grouping_set_has_its_own_bits():
    # GROUPING(day, regulation, severity, rule_id, field): 1 bits are the columns left out.
    assert len(set(_SETS)) == len(_SETS) == 8
    assert _SETS[0b10111] == "by_regulation" and _SETS[0b00111] == "by_day_regulation"
    assert _SETS[0b11100] == "by_rule_field" and _SETS[0b11111] == "total"


def test_json_form_has_plain_types():
    data = ReportData(
        scope=Scope("7d"),
        generated_at=datetime(2026, 1, 2, 3, 4),
        window_start=datetime(2026, 1, 1),
    )
    data.by_day_regulation.append((date(2026, 1, 1), "HIPAA", 3))
    plain = data.as_json()
    assert plain["by_day_regulation"] == [["2026-01-01", "HIPAA", 3]]
    assert plain["generated_at"] == "2026-01-02T03:04:00" and plain["scope"]["since"] == "7d"
