"""Messages built to break a parser, and payloads too large for an output: each quarantined with
its reason, the same by the engine and by the per-record path, and nothing raises."""

import json
from datetime import UTC, datetime

import pytest

from udfs.engine import Engine
from udfs.engine.engine import MAX_RAW_CHARS
from udfs.pipeline import MAX_JSON_DEPTH, TOO_DEEP, too_deep
from udfs.protect.seal import SealKey
from udfs.schema import load_schema, read_rules

SCHEMA = load_schema("healthcare")
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
QUARANTINE_KEY = b"poison-test-quarantine-key-0123456789"
DEEP = b'{"record_id": "d1", "notes": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
POISON = [
    DEEP,  # the stdlib parser's recursion limit
    b"{" * 50_000,  # deep and unterminated
    b'{"record_id": "d2", "x": ' + b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1) + b"}",
    json.dumps({"record_id": "s1", "notes": "[" * 500}).encode(),  # brackets in a string: fine
    json.dumps({"record_id": "big", "notes": "x" * 900_000}).encode(),  # near Kafka's 1 MB
    b'{"record_id": 1e99999}',
    b"\xff\xfe{}",
]


def outcomes(below: int) -> list[tuple]:
    engine = Engine(SCHEMA, read_rules("healthcare"), AS_OF, b"k" * 32,
                    quarantine_secret=QUARANTINE_KEY)  # fmt: skip
    engine.per_record_below = below
    result = engine.process_messages(POISON * (1 if below else 20))
    key = SealKey(QUARANTINE_KEY)
    rows = result.quarantine.to_pylist()[: len(POISON)]
    return [(r["row"], r["reason"], len(key.open(r["raw"])), len(r["raw"])) for r in rows]


@pytest.mark.parametrize("below", [0, 1000], ids=["engine", "per-record"])
def test_poison_messages_are_quarantined_with_their_reasons(below):
    found = {row: (reason, raw_chars, sealed) for row, reason, raw_chars, sealed in outcomes(below)}
    cut = f" (raw payload cut to its first {MAX_RAW_CHARS:,} characters)"
    assert found[0][0] == TOO_DEEP + cut and found[0][1] == MAX_RAW_CHARS
    assert found[1][0] == TOO_DEEP and found[2][0] == TOO_DEEP
    assert 3 not in found or "nested" not in found[3][0]  # a string of brackets is no nesting
    assert found[4][0] == "field notes longer than 10000 characters" + cut
    assert found[6][0] == "not UTF-8"
    # sealed, every quarantined payload still fits a Kafka message with room to spare
    assert max(sealed for _, _, sealed in found.values()) < 300_000


def test_both_paths_agree_on_poison():
    assert outcomes(0) == outcomes(1000)


def test_depth_is_counted_outside_strings_only():
    assert not too_deep(json.dumps({"a": "{[" * 200}))
    assert too_deep("[" * (MAX_JSON_DEPTH + 1))
    assert not too_deep("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    assert not too_deep("[" + "[]," * 500 + "[]]")  # many arrays, shallow
