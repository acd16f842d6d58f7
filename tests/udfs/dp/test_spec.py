import pytest

from udfs.dp.spec import load_dp, parse_dp
from udfs.schema import SchemaError, load_schema

HEALTHCARE = load_schema("healthcare")


def spec(**aggregate) -> dict:
    base = {"group_by": {"zip_code": 1}, "measure": "count", "epsilon": 1.0, "delta": 1e-6}
    return {"person": "ssn", "budget": {"epsilon": 10, "delta": 1e-3},
            "aggregates": {"a": {**base, **aggregate}}}  # fmt: skip


def test_the_shipped_settings_load():
    for domain in ("healthcare", "financial"):
        config = load_dp(load_schema(domain))
        assert config.aggregates and config.person in config.columns


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"group_by": {"nope": 1}}, "not a field"),
        ({"group_by": {"zip_code": 7}}, "level 7"),
        ({"group_by": {"gender": 0, "patient_name": 0}}, "no hierarchy"),
        ({"measure": "median"}, "measure"),
        ({"measure": "sum", "column": "diagnosis_code"}, "bounds"),
        ({"epsilon": 0}, "epsilon"),
        ({"delta": 0.5}, "delta"),
        ({"max_groups": 0}, "max_groups"),
        ({"colour": "red"}, "unknown key"),
    ],
)
def test_mistakes_are_named(change, said):
    with pytest.raises(SchemaError, match=said):
        parse_dp(spec(**change), HEALTHCARE, "x.yaml")


def test_a_missing_file_says_where_it_looked(tmp_path):
    with pytest.raises(SchemaError, match="no differential-privacy settings"):
        load_dp(HEALTHCARE, tmp_path / "none.yaml")
