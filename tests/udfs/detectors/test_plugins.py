"""A detector from a plugin: named in the rules' YAML like a built-in one, found per record and
by the columnar engine, masked like the others."""

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from udfs.detectors import BUILTIN, PRIORITY, Detector, register_detector
from udfs.engine import Engine
from udfs.rules.ruleset import build_rule_set
from udfs.schema import SchemaError, load_schema, read_rules

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


def config_with_plugin() -> dict:
    config = read_rules("healthcare")
    config["plugins"] = ["tests.plugins.employee_id"]
    config["rules"]["hipaa.phi_in_free_text"]["kinds"].append("employee_id")
    return config


def test_a_plugin_detector_is_found_per_record_and_by_the_engine():
    schema = load_schema("healthcare")
    rules = build_rule_set(config_with_plugin(), schema, AS_OF)
    assert PRIORITY[-1] == "employee_id" and "employee_id" in BUILTIN
    record = {n: "" for n in schema.names}
    record.update(record_id="r1", notes="badge EMP-123456 at desk", created_at="2025-01-01T00:00:00Z",
                  consent_given="true")  # fmt: skip
    found = [v for v in rules.evaluate(record) if v.field == "notes"]
    assert [v.description for v in found] == [
        "PHI leaked into free text (employee_id) in field notes"
    ]

    header = ",".join(schema.names)
    line = ",".join(record[n] for n in schema.names)
    engine = Engine(schema, config_with_plugin(), AS_OF, b"k" * 32, layouts={"/in.csv": header})
    result = engine.process_lines(pa.array([line.encode()] * 300, pa.binary()))
    notes = result.violations.filter(pa.compute.equal(result.violations["field"], "notes"))
    assert notes.num_rows == 300
    # Not masked unless listed in the schema's mask_kinds; the record's other fields are intact.
    assert result.records["notes"][0].as_py() == "badge EMP-123456 at desk"


def test_a_kind_cannot_be_registered_twice_and_an_unknown_kind_is_a_clear_error():
    with pytest.raises(ValueError, match="already registered"):
        register_detector(Detector("ssn", BUILTIN["ssn"].pattern))
    config = read_rules("healthcare")
    config["rules"]["hipaa.phi_in_free_text"]["kinds"].append("no_such_kind")
    with pytest.raises(SchemaError, match=r"unknown detector .no_such_kind"):
        build_rule_set(config, load_schema("healthcare"), AS_OF)
