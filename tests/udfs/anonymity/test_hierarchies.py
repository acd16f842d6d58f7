import pytest

from udfs.anonymity.hierarchies import (
    STAR,
    BandsHierarchy,
    DateHierarchy,
    DecimalsHierarchy,
    Icd10Hierarchy,
    SuppressHierarchy,
    ZipHierarchy,
    hierarchies_from_config,
    truncate_decimals,
)
from udfs.schema import load_schema


@pytest.mark.parametrize(
    ("hierarchy", "value", "expected"),
    [
        (
            DateHierarchy(),
            "1983-07-14",
            ["1983-07", "1983", "1980-1984", "1980-1989", "1980-1999", STAR],
        ),
        (ZipHierarchy(), "94110", ["94110", "941", STAR]),
        (ZipHierarchy(), "03601", ["03601", "000", STAR]),  # restricted ZIP3
        (DecimalsHierarchy(), "40.71289", ["40.71", "40.7", "40", STAR]),
        (DecimalsHierarchy(), "-74.5", ["-74.50", "-74.5", "-74", STAR]),
        (Icd10Hierarchy(), "E11.9", ["E11.9", "E11", "E", STAR]),
        (BandsHierarchy(), "123.45", ["[120,130)", "[100,200)", "[0,1000)", STAR]),
        (SuppressHierarchy(), "F", ["F", STAR]),
    ],
)
def test_levels(hierarchy, value, expected):
    assert [hierarchy.generalize(value, level) for level in range(hierarchy.levels)] == expected


def test_empty_stays_empty_until_star():
    assert DateHierarchy().generalize("", 0) == ""
    assert DateHierarchy().generalize(None, 5) == STAR


def test_truncate_not_round():
    assert truncate_decimals("1.999", 2) == "1.99"
    assert truncate_decimals("2", 2) == "2.00"


def test_config_is_data():
    for domain in ("healthcare", "financial"):
        anonymity = load_schema(domain).anonymity
        hierarchies = hierarchies_from_config(anonymity)
        assert set(anonymity["quasi_identifiers"]) <= set(hierarchies)
    with pytest.raises(ValueError, match="no hierarchy"):
        hierarchies_from_config({"quasi_identifiers": ["zip_code"], "hierarchies": {}})
    with pytest.raises(ValueError, match="unknown kind"):
        hierarchies_from_config({"hierarchies": {"x": {"kind": "fractal"}}})
