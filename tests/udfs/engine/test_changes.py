"""Change events through the engine (udfs.cdc): each insert, snapshot read or update gives what the
same record gets as a plain JSON message — tokens, masked text, violations, alerts, quarantine
reasons, window keys — at its own input position; deletes and refused messages sit between."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from tools.synthetic.generator import write_dataset
from udfs.cdc.spec import load_cdc
from udfs.engine import Engine
from udfs.engine.rows import input_rows
from udfs.schema import load_schema, read_rules

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
KEY = b"engine-test-key-0123456789abcdef"
OPTIONS = {"alert_min_severity": "high", "window_keys": True}
COMMIT = 1_767_225_600_000  # 2026-01-01: when the source committed the first change


def as_event(record: dict, mapping, op: str, lsn: int) -> bytes:
    row = {mapping.columns[f]: v for f, v in record.items() if f in mapping.columns}
    dob = row.get(mapping.columns.get("date_of_birth", ""))
    if lsn % 2 and isinstance(dob, str) and len(dob) == 10 and dob[:4].isdigit():
        with contextlib.suppress(ValueError):  # as Debezium writes a DATE: days since 1970
            row[mapping.columns["date_of_birth"]] = (
                date.fromisoformat(dob) - date(1970, 1, 1)
            ).days
    source = {"schema": mapping.schema, "table": mapping.table, "lsn": lsn, "ts_ms": COMMIT + lsn}
    return json.dumps({"op": op, "before": None, "after": row, "source": source}).encode()


@pytest.fixture(autouse=True)
def columnar(monkeypatch):
    monkeypatch.setattr(Engine, "per_record_below", 0)


@pytest.mark.parametrize("domain", ["healthcare", "financial"])
def test_change_events_give_what_plain_messages_give_at_their_positions(domain, tmp_path):
    schema, rules = load_schema(domain), read_rules(domain)
    (mapping,) = load_cdc(schema).tables.values()
    write_dataset(domain, 6_000, tmp_path, seed=5, as_of=AS_OF, jsonl=True)
    lines = (tmp_path / "records.jsonl").read_bytes().split(b"\n")
    messages = [m for m in lines if m]
    events: list[bytes | None] = []
    record_at, deleted_at, refused_at = [], [], []
    for i, message in enumerate(messages):
        if i % 50 == 7:
            deleted_at.append(len(events))
            before = {mapping.columns["record_id"]: f"gone-{i}"}
            events.append(json.dumps({"op": "d", "before": before, "after": None,
                                      "source": {"lsn": i, "ts_ms": 5}}).encode())  # fmt: skip
        if i % 97 == 3:
            refused_at.append(len(events))
            events.append(b'{"op": "t"}')
        try:
            record = json.loads(message)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            continue  # the generator's broken messages: not rows a table could hold
        record_at.append(len(events))
        events.append(as_event(record, mapping, "cu"[i % 2], i))
    plain = [json.dumps(json.loads(events[at])["after"]) for at in record_at]
    stamps = [1_700_000_000_000 + i for i in range(len(events))]

    expected = Engine(schema, rules, AS_OF, KEY, **OPTIONS).process_messages(
        [_renamed(m, mapping) for m in plain], [stamps[at] for at in record_at]
    )
    engine = Engine(schema, rules, AS_OF, KEY, changes=mapping, **OPTIONS)
    got = engine.process_messages(events, stamps)

    assert got.inputs == len(events)
    positions = pa.array(record_at).take
    for name in ("records", "violations", "alerts"):
        want, have = getattr(expected, name), getattr(got, name)
        assert have.column("row").to_pylist() == positions(want.column("row")).to_pylist(), name
        for column in want.column_names:
            if column not in ("row", "extra", "event_ms", "event_date"):
                assert have.column(column).to_pylist() == want.column(column).to_pylist(), column
    # a change's event time is its commit time, not the record's created_at
    lsns = [json.loads(e)["cdc_lsn"] for e in got.records.column("extra").to_pylist()]
    assert got.records.column("event_ms").to_pylist() == [COMMIT + n for n in lsns]
    assert set(got.records.column("event_date").to_pylist()) == {"2026-01-01"}
    extras = [json.loads(e) for e in got.records.column("extra").to_pylist()]
    assert all(e["cdc_op"] in ("c", "u") and isinstance(e["cdc_lsn"], int) for e in extras)
    assert expected.violations.num_rows > 1_000 and expected.alerts.num_rows > 100
    # quarantine: the records' own reasons at their positions, then the refusals
    quarantine = got.quarantine.to_pydict()
    want_rows = positions(expected.quarantine.column("row")).to_pylist()
    assert quarantine["row"] == want_rows + refused_at
    assert (
        quarantine["reason"][: len(want_rows)] == expected.quarantine.column("reason").to_pylist()
    )
    assert set(quarantine["reason"][len(want_rows) :]) == {"not a change event (op 't')"}
    assert got.deleted.column("row").to_pylist() == deleted_at
    counts = got.counts()
    assert counts["deleted"] == len(deleted_at)
    assert counts["records_in"] == len(events) - len(deleted_at)
    # as Flink receives them: one row per input, deletions of kind 'deleted'
    rows = input_rows(got, schema).to_pydict()
    kinds = rows["kind"]
    assert [kinds[at] for at in deleted_at] == ["deleted"] * len(deleted_at)
    assert rows["record_id"][deleted_at[0]] == "gone-7" and rows["event_ms"][deleted_at[0]] == "5"
    assert json.loads(rows["extra"][deleted_at[0]])["cdc_op"] == "d"
    assert {kinds[at] for at in refused_at} == {"quarantine"}


def _renamed(message: str, mapping) -> str:
    """A source row back under the contract's names (what a plain message would hold)."""
    back = {c: f for f, c in mapping.columns.items()}
    row = json.loads(message)
    out = {back.get(c, c): v for c, v in row.items()}
    dob = out.get("date_of_birth")
    if isinstance(dob, int):
        out["date_of_birth"] = date.fromordinal(date(1970, 1, 1).toordinal() + dob).isoformat()
    return json.dumps(out)


def test_a_small_batch_of_changes_gets_the_same_rows_by_the_per_record_path(monkeypatch):
    schema, rules = load_schema("healthcare"), read_rules("healthcare")
    (mapping,) = load_cdc(schema).tables.values()
    good = {"record_id": "r1", "ssn": "123-45-6789", "created_at": "2025-06-01T00:00:00Z",
            "date_of_birth": "1980-01-01", "notes": "call 415-555-2671"}  # fmt: skip
    events = [
        as_event(good, mapping, "c", 1),
        as_event({**good, "created_at": "yesterday"}, mapping, "u", 2),
        json.dumps({"op": "d", "before": {"patient_id": "r1"}, "source": {"ts_ms": 9}}).encode(),
        b"not json",
    ]
    outputs = []
    for threshold in (0, 1_000):
        monkeypatch.setattr(Engine, "per_record_below", threshold)
        engine = Engine(schema, rules, AS_OF, KEY, changes=mapping, **OPTIONS)
        outputs.append(input_rows(engine.process_messages(events, [1, 2, 3, 4]), schema))
    columnar, per_record = outputs
    assert per_record.to_pydict() == columnar.to_pydict()
    assert columnar.column("kind").to_pylist() == ["record", "quarantine", "deleted", "quarantine"]
