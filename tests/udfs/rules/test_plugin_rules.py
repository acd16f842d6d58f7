"""A rule from a plugin file beside the rules YAML: imported by the rule set, given its defaults
from the schema like the built-ins, run by the engine; a rule id cannot be taken twice."""

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from udfs.engine import Engine
from udfs.rules.base import REGISTRY
from udfs.rules.ruleset import build_rule_set, plugin_files
from udfs.schema import SchemaError, load_schema, read_rules

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
PLUGIN = Path(__file__).resolve().parents[2] / "plugins" / "badge_rule.py"


def rules_beside(tmp_path: Path, plugin: Path = PLUGIN, **rules) -> Path:
    (tmp_path / "plugins").mkdir(exist_ok=True)
    shutil.copy(plugin, tmp_path / "plugins" / plugin.name)
    config = read_rules("healthcare")
    config["plugins"] = [f"plugins/{plugin.name}"]
    config["rules"].update(rules)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_plugin_file_is_resolved_beside_its_rules_and_finds_violations(tmp_path):
    config = read_rules("healthcare", rules_beside(tmp_path, **{"gdpr.badge_in_text": {}}))
    assert plugin_files(config) == [tmp_path / "plugins" / "badge_rule.py"]
    schema = load_schema("healthcare")
    rules = build_rule_set(config, schema, AS_OF)
    badge = next(r for r in rules.rules if r.rule_id == "gdpr.badge_in_text")
    assert badge.fields == ("notes",)  # from the schema: its text fields
    record = {n: "" for n in schema.names}
    record.update(record_id="r1", notes="seen by BADGE-0042", created_at="2025-06-01T00:00:00Z",
                  consent_given="true")  # fmt: skip
    assert [(v.rule_id, v.field) for v in rules.evaluate(record)] == [
        ("gdpr.badge_in_text", "notes")
    ]
    header = ",".join(schema.names)
    line = ",".join(record[n] for n in schema.names).encode()
    engine = Engine(schema, config, AS_OF, b"k" * 32, layouts={"/in.csv": header})
    found = engine.process_lines(pa.array([line] * 50, pa.binary())).violations
    assert found.filter(pa.compute.equal(found["rule_id"], "gdpr.badge_in_text")).num_rows == 50


def test_a_rule_id_taken_twice_is_refused(tmp_path):
    clash = tmp_path / "clash.py"
    clash.write_text(
        "from udfs.rules.base import Rule, register\n\n"
        "@register\nclass Mine(Rule):\n    rule_id = 'gdpr.consent'\n    regulation = 'GDPR'\n"
    )
    path = rules_beside(tmp_path, plugin=clash)
    with pytest.raises(SchemaError, match=r"'gdpr.consent' is already registered by udfs.rules"):
        build_rule_set(read_rules("healthcare", path), load_schema("healthcare"), AS_OF)
    assert REGISTRY["gdpr.consent"].__module__ == "udfs.rules.gdpr"


def test_a_missing_plugin_file_is_a_clear_error(tmp_path):
    config = read_rules("healthcare")
    config["plugins"] = [str(tmp_path / "nowhere.py")]
    with pytest.raises(SchemaError, match=r"cannot import rule plugin .*nowhere.py"):
        build_rule_set(config, load_schema("healthcare"), AS_OF)
