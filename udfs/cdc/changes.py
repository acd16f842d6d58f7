"""A batch of Debezium change events (JSON, schemas off) split before the engine: each insert,
snapshot read or update becomes the row's record under the contract's field names (JSON text, as
a Kafka message of the plain path would hold it), each delete a deletion, and anything else a
refusal with its reason — nothing is dropped.

A record keeps the change's position in `cdc_op`, `cdc_lsn` and `cdc_ts_ms` beside its extra
columns, so every version of a source row is its own row in the lake. A change's event time is
when the source committed it (`record_ms`): an update of a row created years ago is a change of
today, released in today's window and lake partition."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import orjson

from udfs.cdc.spec import TableMapping

UPSERTS = {"c": "insert", "r": "snapshot", "u": "update"}
DELETE = "d"
DELETED = "deleted at the source"
_EPOCH_DAY = date(1970, 1, 1)


@dataclass
class Changes:
    """One batch split: `records[i]` stands at input position `record_at[i]`."""

    records: list[str] = field(default_factory=list)
    record_at: list[int] = field(default_factory=list)
    record_ms: list[int | None] = field(default_factory=list)  # when the source committed it
    deleted_at: list[int] = field(default_factory=list)
    deleted_ids: list[str] = field(default_factory=list)
    deleted_meta: list[str] = field(default_factory=list)  # cdc_op/lsn/ts_ms as JSON
    deleted_ms: list[int | None] = field(default_factory=list)  # when the source committed it
    refused_at: list[int] = field(default_factory=list)
    refused_reasons: list[str] = field(default_factory=list)
    refused_raws: list[str] = field(default_factory=list)

    def positions(self) -> np.ndarray:
        return np.array(self.record_at, dtype=np.int64)


class NotAChange(ValueError):
    """A message that is no change event of the mapped table; the text is its reason."""


def _converted(kind: str, value: Any) -> Any:
    """Debezium's numbers (time.precision.mode=connect) as the contract's text: a DATE is days
    since 1970, a TIMESTAMP milliseconds (a TIMESTAMPTZ is already ISO-8601 text, in UTC)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    try:
        if kind == "date":
            return (_EPOCH_DAY + timedelta(days=value)).isoformat()
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value)
    except OverflowError:
        return str(value)  # out of range: the engine says what is wrong with it
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _commit_ms(source: dict) -> int | None:
    """When the source committed the change (Debezium's `source.ts_ms`), if the event says."""
    ms = source.get("ts_ms")
    return ms if isinstance(ms, int) else None


def _meta(op: str, source: dict) -> dict[str, Any]:
    return {"cdc_op": op, "cdc_lsn": source.get("lsn"), "cdc_ts_ms": source.get("ts_ms")}


def record_of(row: dict, op: str, source: dict, mapping: TableMapping) -> dict[str, Any]:
    """A source row under the contract's names; unmapped columns and the change's position
    follow as extra columns."""
    record = {f: _converted(mapping.types[f], row[c]) if f in mapping.types else row[c]
              for f, c in mapping.columns.items() if c in row}  # fmt: skip
    mapped = set(mapping.columns.values())
    for column, value in row.items():
        if column not in mapped:
            record[column if column not in mapping.columns else f"source_{column}"] = value
    record.update(_meta(op, source))
    return record


def unwrap(event: Any, mapping: TableMapping) -> tuple[str, dict]:
    """(op, the row the event is about) of a change event of the mapped table."""
    if not isinstance(event, dict):
        raise NotAChange("not a change event (a JSON object with op, before, after)")
    op = event.get("op")
    if op not in UPSERTS and op != DELETE:
        raise NotAChange(f"not a change event (op {str(op)[:20]!r})")
    source = event.get("source") if isinstance(event.get("source"), dict) else {}
    table = (source.get("schema"), source.get("table"))
    if source.get("table") is not None and table != (mapping.schema, mapping.table):
        raise NotAChange(f"a change of {table[0]}.{table[1]}, not of {mapping.qualified}")
    row = event.get("before" if op == DELETE else "after")
    if not isinstance(row, dict):
        raise NotAChange(f"{'delete' if op == DELETE else 'change'} event without its row")
    return op, row


def split_changes(messages: list[bytes | str | None], mapping: TableMapping) -> Changes:
    out = Changes()
    for at, message in enumerate(messages):
        raw = message.decode("utf-8", "backslashreplace") if isinstance(message, bytes) else message
        try:
            if message is None:
                raise NotAChange("empty message")
            try:
                event = orjson.loads(message)
            except orjson.JSONDecodeError:
                raise NotAChange("not valid JSON") from None
            op, row = unwrap(event, mapping)
        except NotAChange as refused:
            out.refused_at.append(at)
            out.refused_reasons.append(str(refused))
            out.refused_raws.append(raw or "")
            continue
        source = event.get("source") or {}
        if op == DELETE:
            record_id = row.get(mapping.record_id_column)
            if record_id is None:
                out.refused_at.append(at)
                out.refused_reasons.append(
                    f"delete event without {mapping.record_id_column} (the record id): give the "
                    "table a primary key on it or REPLICA IDENTITY FULL"
                )
                out.refused_raws.append(raw)
                continue
            out.deleted_at.append(at)
            out.deleted_ids.append(str(record_id))
            out.deleted_meta.append(orjson.dumps(_meta(op, source)).decode())
            out.deleted_ms.append(_commit_ms(source))
            continue
        out.record_at.append(at)
        out.records.append(orjson.dumps(record_of(row, op, source, mapping)).decode())
        out.record_ms.append(_commit_ms(source))
    return out
