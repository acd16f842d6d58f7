"""Debezium change events split into records (contract names, converted dates and times, the
change's position in extra), deletions and refusals with their reasons."""

from __future__ import annotations

import json

from udfs.cdc.changes import split_changes
from udfs.cdc.spec import load_cdc
from udfs.schema import load_schema

MAPPING = load_cdc(load_schema("healthcare")).table("public.patients")
SOURCE = {"schema": "public", "table": "patients", "lsn": 2345, "ts_ms": 1_767_225_600_000}
ROW = {
    "patient_id": "p-1", "full_name": "Ann Lee", "ssn": "123-45-6789", "birth_date": 3652,
    "created_at": 1_767_225_600_123, "consent": True, "latitude": 40.7, "ward": "B",
}  # fmt: skip


def event(op: str, before=None, after=None, source=SOURCE) -> bytes:
    return json.dumps({"op": op, "before": before, "after": after, "source": source}).encode()


def test_inserts_snapshots_and_updates_become_records_under_the_contract_names():
    changes = split_changes(
        [event("c", after=ROW), event("r", after=ROW), event("u", ROW, {**ROW, "ssn": "x"})],
        MAPPING,
    )
    assert changes.record_at == [0, 1, 2]
    first, _, update = (json.loads(r) for r in changes.records)
    assert first["record_id"] == "p-1" and first["patient_name"] == "Ann Lee"
    assert first["date_of_birth"] == "1980-01-01"  # days since 1970
    assert first["created_at"] == "2026-01-01T00:00:00.123Z"  # milliseconds
    assert first["consent_given"] is True and first["latitude"] == 40.7
    assert first["ward"] == "B"  # unmapped: an extra column
    assert (first["cdc_op"], first["cdc_lsn"], first["cdc_ts_ms"]) == ("c", 2345, SOURCE["ts_ms"])
    assert update["ssn"] == "x" and update["cdc_op"] == "u"


def test_text_dates_and_times_are_left_as_they_are():
    row = {**ROW, "birth_date": "1980-01-01", "created_at": "2026-01-01T00:00:00.5Z"}
    (record,) = (json.loads(r) for r in split_changes([event("c", after=row)], MAPPING).records)
    assert record["date_of_birth"] == "1980-01-01"
    assert record["created_at"] == "2026-01-01T00:00:00.5Z"


def test_a_delete_is_a_deletion_with_its_record_id_and_position():
    changes = split_changes([event("c", after=ROW), event("d", before={"patient_id": "p-1"})],
                            MAPPING)  # fmt: skip
    assert changes.record_at == [0]
    assert changes.deleted_at == [1] and changes.deleted_ids == ["p-1"]
    assert changes.deleted_ms == [SOURCE["ts_ms"]]
    assert json.loads(changes.deleted_meta[0]) == {
        "cdc_op": "d", "cdc_lsn": 2345, "cdc_ts_ms": SOURCE["ts_ms"]
    }  # fmt: skip


def test_what_is_no_change_of_the_table_is_refused_with_its_reason():
    messages = [
        None,
        b"{",
        b"[1]",
        json.dumps({"op": "x"}).encode(),
        event("c"),
        event("d", before={"ssn": "1"}),
        event("c", after=ROW, source={**SOURCE, "table": "visits"}),
    ]
    changes = split_changes(messages, MAPPING)
    assert changes.records == [] and changes.deleted_at == []
    assert changes.refused_at == list(range(len(messages)))
    reasons = changes.refused_reasons
    assert reasons[0] == "empty message" and reasons[1] == "not valid JSON"
    assert reasons[2].startswith("not a change event") and "op 'x'" in reasons[3]
    assert reasons[4] == "change event without its row"
    assert "patient_id" in reasons[5] and "REPLICA IDENTITY FULL" in reasons[5]
    assert reasons[6] == "a change of public.visits, not of public.patients"
    assert changes.refused_raws[1] == "{"
