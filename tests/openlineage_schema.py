"""Validation of OpenLineage events against the specification's JSON schemas (the copies in
tests/fixtures/openlineage, and our own facet's in docs/lineage): the event as a RunEvent, then
every facet against the schema its `_schemaURL` names."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[1]
FILES = [*sorted((ROOT / "tests" / "fixtures" / "openlineage").glob("*.json")),
         *sorted((ROOT / "docs" / "lineage").glob("*.json"))]  # fmt: skip


def _registry() -> tuple[Registry, dict[str, dict]]:
    schemas = {}
    for path in FILES:
        schema = json.loads(path.read_text(encoding="utf-8"))
        schemas[schema["$id"]] = schema
    resources = [(i, Resource.from_contents(s)) for i, s in schemas.items()]
    return Registry().with_resources(resources), schemas


REGISTRY, SCHEMAS = _registry()


def _validate(instance: dict, url: str) -> None:
    base, _, pointer = url.partition("#")
    ref = {"$ref": f"{base}#{pointer}"}
    Draft202012Validator(ref, registry=REGISTRY).validate(instance)


def _facets(event: dict):
    yield from (event["run"].get("facets") or {}).values()
    yield from (event["job"].get("facets") or {}).values()
    for dataset in [*(event.get("inputs") or []), *(event.get("outputs") or [])]:
        for key in ("facets", "inputFacets", "outputFacets"):
            yield from (dataset.get(key) or {}).values()


def validate_event(event: dict) -> int:
    """Raises jsonschema.ValidationError; returns how many facets were checked."""
    _validate(event, "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent")
    checked = 0
    for facet in _facets(event):
        url = facet["_schemaURL"]
        assert url.partition("#")[0] in SCHEMAS, f"no schema here for {url}"
        _validate(facet, url)
        checked += 1
    return checked
