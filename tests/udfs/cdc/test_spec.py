"""conf/cdc/<domain>.yaml: mappings checked against the contract, each mistake named."""

from __future__ import annotations

import pytest

from udfs.cdc.spec import load_cdc, parse_cdc
from udfs.schema import DOMAINS, SchemaError, load_schema

HEALTHCARE = load_schema("healthcare")


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_shipped_mappings_load(domain):
    config = load_cdc(load_schema(domain))
    (mapping,) = config.tables.values()
    assert set(mapping.columns) == set(load_schema(domain).names)
    assert mapping.topic == f"compliance-cdc-{domain}.{mapping.schema}.{mapping.table}"
    assert "created_at" in mapping.types


def test_a_field_left_out_reads_its_own_column_and_a_bare_table_name_is_public():
    config = parse_cdc(
        {"database": "ops", "tables": {"public.p": {"columns": {"record_id": "id"}}}}, HEALTHCARE
    )
    mapping = config.table("p")
    assert mapping.columns["record_id"] == "id"
    assert mapping.columns["ssn"] == "ssn"
    assert mapping.name == "compliance_healthcare_public_p"
    assert mapping.types == {"date_of_birth": "date", "created_at": "timestamp"}


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"tables": {"public.p": {}}}, "database"),
        ({"database": "ops"}, "tables"),
        ({"database": "ops", "tables": {"p": {}}}, "schema.table"),
        ({"database": "ops", "tables": {"public.P-1": {}}}, "PostgreSQL name"),
        ({"database": "ops", "tables": {"public.p": {"columns": {"nope": "x"}}}}, "nope"),
        ({"database": "ops", "tables": {"public.p": {"columns": {"ssn": "email"}}}},
         "ssn and email both read email"),
        ({"database": "ops", "tables": {"public.p": {"keys": 1}}}, "columns"),
        ({"database": "ops", "tables": {"public.p": {}}, "slot": "x"}, "unknown key(s) slot"),
        ({"domain": "financial", "database": "ops", "tables": {"public.p": {}}}, "financial"),
    ],
)  # fmt: skip
def test_every_mistake_is_named(raw, says):
    with pytest.raises(SchemaError, match=r"x\.yaml") as err:
        parse_cdc(raw, HEALTHCARE, "x.yaml")
    assert says in str(err.value)


def test_an_unmapped_table_is_refused_with_the_mapped_ones_listed():
    config = load_cdc(HEALTHCARE)
    with pytest.raises(SchemaError, match=r"public\.visits .*public\.patients"):
        config.table("public.visits")
