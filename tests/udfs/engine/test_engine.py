"""The engine gives exactly the per-record path's outputs (udfs.pipeline, the reference): the
same records, tokens, masked text, event times, group keys, violations, quarantine reasons and
alerts, on generated data of both domains and on every kind of bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from tools.synthetic.generator import generate, write_dataset
from udfs.engine import Engine, EngineResult
from udfs.engine.reference import process_lines, process_messages
from udfs.pipeline import LineProcessor, RecordProcessor
from udfs.schema import load_schema, read_rules

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def columnar(monkeypatch):
    """Every batch through the columnar path (small ones would take the per-record path)."""
    monkeypatch.setattr(Engine, "per_record_below", 0)


KEY = b"engine-test-key-0123456789abcdef"
ROWS = 50_000
BATCH = 7_000  # not a divisor of ROWS: the last batch is short


def _args(domain: str, **kwargs):
    schema = load_schema(domain)
    rules = read_rules(domain)
    return (schema, rules, AS_OF, KEY), kwargs


def _concat(results: list[EngineResult]) -> dict[str, pa.Table]:
    """The batches' tables as one, `row` counted over the whole input."""
    out: dict[str, list[pa.Table]] = {
        "records": [],
        "violations": [],
        "quarantine": [],
        "alerts": [],
    }
    offset = 0
    for result in results:
        for name, tables in out.items():
            table = getattr(result, name)
            rows = pa.compute.add(table.column("row"), pa.scalar(offset, pa.int32()))
            tables.append(table.set_column(0, table.schema.field(0), rows))
        offset += result.inputs
    return {name: pa.concat_tables(tables) for name, tables in out.items()}


def _assert_same(expected: EngineResult, results: list[EngineResult]) -> None:
    got = _concat(results)
    for name, table in got.items():
        want = getattr(expected, name)
        assert table.schema == want.schema, name
        for column in want.column_names:
            a, b = want.column(column).to_pylist(), table.column(column).to_pylist()
            diff = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
            assert len(a) == len(b) and diff is None, (
                f"{name}.{column}: first difference at {diff}: {a[diff] if diff is not None else len(a)!r}"
                f" != {b[diff] if diff is not None else len(b)!r}"
            )
    assert sum(r.skipped for r in results) == expected.skipped


@pytest.fixture(scope="module", params=["healthcare", "financial"])
def generated(request, tmp_path_factory):
    domain = request.param
    out = tmp_path_factory.mktemp(domain)
    write_dataset(domain, ROWS, out, seed=11, as_of=AS_OF, jsonl=True)
    return domain, out


def test_csv_lines_give_the_reference_outputs(generated, monkeypatch):
    monkeypatch.setattr("udfs.engine.parse.SPLIT_ROWS", 3_000)  # a batch split in three parts
    domain, out = generated
    (schema, rules, as_of, key), _ = _args(domain)
    data = (out / "records.csv").read_bytes().split(b"\n")
    header, lines = data[0].decode(), data[1:]
    reference = LineProcessor(schema, rules, as_of, key, layouts={"/in.csv": header})
    expected = process_lines(reference, "/in.csv", lines)
    engine = Engine(schema, rules, as_of, key, layouts={"/in.csv": header})
    results = [
        engine.process_lines(pa.array(lines[i : i + BATCH], pa.binary()))
        for i in range(0, len(lines), BATCH)
    ]
    _assert_same(expected, results)
    assert expected.violations.num_rows > ROWS  # the comparison covers plenty of violations
    assert expected.quarantine.num_rows > 100


def test_json_messages_with_alerts_and_window_keys_give_the_reference_outputs(generated):
    domain, out = generated
    (schema, rules, as_of, key), _ = _args(domain)
    messages = (out / "records.jsonl").read_bytes().split(b"\n")[:20_000]
    stamps = [1_700_000_000_000 + i if i % 7 else None for i in range(len(messages))]
    options = {"alert_min_severity": "high", "window_keys": True}
    reference = RecordProcessor(schema, rules, as_of, key, **options)
    expected = process_messages(reference, messages, stamps)
    engine = Engine(schema, rules, as_of, key, **options)
    results = [
        engine.process_messages(messages[i : i + BATCH], stamps[i : i + BATCH])
        for i in range(0, len(messages), BATCH)
    ]
    _assert_same(expected, results)
    assert expected.alerts.num_rows > 1_000


def test_counts_give_per_regulation_the_distinct_fields_in_violation_of_each_record(generated):
    domain, out = generated
    (schema, rules, as_of, key), _ = _args(domain)
    messages = (out / "records.jsonl").read_bytes().split(b"\n")[:5_000]
    reference = RecordProcessor(schema, rules, as_of, key)
    want = process_messages(reference, messages, [None] * len(messages))
    expected = want.violations
    pairs: dict[str, set] = {}
    for row, regulation, field in zip(
        *(expected.column(n).to_pylist() for n in ("row", "regulation", "field")), strict=True
    ):
        pairs.setdefault(regulation, set()).add((row, field))
    counts = Engine(schema, rules, as_of, key).process_messages(messages).counts()
    assert counts["violations"] == {r: len(p) for r, p in pairs.items()}
    assert len(pairs) >= 3 and counts["records_in"] == len(messages) - want.skipped


HEADER = ",".join(load_schema("healthcare").names)
GOOD = "g1,Ada Abbott,123-45-6789,1980-01-01,F,94110,MRN-12345678,E11.9,a.b@example.com,(415) 555-2671,call 415-555-2671 or mail x@y.io,false,40.71289,-74.00,2025-06-01T00:00:00Z"


def _bad_lines() -> list[bytes]:
    good = GOOD.split(",")

    def with_(i: int, value: str) -> bytes:
        cells = list(good)
        cells[i] = value
        return ",".join(cells).encode()

    lines = [GOOD.encode(), HEADER.encode(), b"", b"   ", b" \t\r", b"\xff\xfe,x,y"]
    lines += [b'b2,"unterminated,,,,,,,,,,,,,,', b"b3,too,few,columns", b"b3b," + b"x," * 20]
    lines += [GOOD.encode() + b"\r", ("x" * 1_000_001).encode()]
    lines += [with_(10, "n" * 10_001), with_(10, "é" * 6_000), with_(0, ""), with_(14, "")]
    lines += [
        with_(14, v)
        for v in ("not-a-time", "2025-13-01T00:00:00Z", "2025-06-01", " 2025-06-01T00:00:00Z ")
    ]
    lines += [with_(3, v) for v in ("1980-02-30", "80-01-01", "1980-01-01 ")]
    lines += [with_(11, v) for v in ("maybe", "TRUE", " true ", "False", "")]
    lines += [with_(12, v) for v in ("north", "90.5", "4O.12", " 40.7", "1e1", "-0.000", "40.100")]
    lines += [with_(13, v) for v in ("-180.0001", "180", "+12.3456")]
    lines += [with_(10, v) for v in ('"quoted, with comma"', "CVV2 is 123", "track %B4111111111111111^DOE/J^2512", "ſecurity code 123", "mrn MRN12345678 ssn 123 45 6789", "x@y", "٣٢١-٤٥-٦٧٨٩")]  # fmt: skip
    lines += [
        with_(2, v)
        for v in ("000-12-3456", "123456789", "123-45-67890", " 123-45-6789", "tok_ssn_abc")
    ]
    lines += [
        with_(9, v)
        for v in (
            "+442071838750",
            "911-555-2671",
            "1 415 555 2671",
            "042-123-4567",
            "+1 (415) 555-2671",
        )
    ]
    lines += [
        with_(8, v)
        for v in ("jo..doe@example.com", "jo@localhost", "ADA@EXAMPLE.COM", "a@b.c@d.ef")
    ]
    lines += [with_(5, v) for v in ("03601", "", "9")]
    return lines


@pytest.mark.parametrize("small_batch", [0, 256])  # RE2 fast paths, or Python for a small column
@pytest.mark.parametrize("split_rows", [16_384, 5])  # lines split in one part, or in many
def test_every_kind_of_bad_csv_line_gets_the_reference_answer(monkeypatch, small_batch, split_rows):
    monkeypatch.setattr("udfs.arrow.SMALL_BATCH", small_batch)
    monkeypatch.setattr("udfs.engine.parse.SPLIT_ROWS", split_rows)
    (schema, rules, as_of, key), _ = _args("healthcare")
    lines = _bad_lines()
    options = {"alert_min_severity": "high", "window_keys": True}
    reference = LineProcessor(schema, rules, as_of, key, layouts={"/x.csv": HEADER}, **options)
    expected = process_lines(reference, "/x.csv", lines)
    engine = Engine(schema, rules, as_of, key, layouts={"/x.csv": HEADER}, **options)
    _assert_same(expected, [engine.process_lines(pa.array(lines, pa.binary()))])
    reasons = set(expected.quarantine.column("reason").to_pylist())
    assert {
        "not UTF-8",
        "expected 15 columns, got 4",
        "line longer than 1000000 characters",
    } <= reasons
    assert expected.skipped == 4


def test_files_with_their_own_layouts_and_an_unknown_file():
    (schema, rules, as_of, key), _ = _args("healthcare")
    names = list(schema.names)
    other = [*reversed(names), "source_system"]
    cells = dict(zip(names, GOOD.split(","), strict=True))
    layouts = {"/a.csv": HEADER, "/b.csv": ",".join(other)}
    lines = [GOOD.encode(), ",".join([*(cells[n] for n in reversed(names)), "ehr-7"]).encode()]
    lines += [",".join(other).encode(), GOOD.encode()]
    paths = ["/a.csv", "file:///b.csv", "/b.csv", "/elsewhere.csv"]
    reference = LineProcessor(schema, rules, as_of, key, layouts=layouts)
    expected = EngineResultFrom.lines(reference, paths, lines)
    engine = Engine(schema, rules, as_of, key, layouts=layouts)
    _assert_same(expected, [engine.process_lines(pa.array(lines, pa.binary()), pa.array(paths))])
    assert json.loads(expected.records.column("extra")[1].as_py()) == {"source_system": "ehr-7"}
    assert expected.quarantine.column("reason").to_pylist() == ["no header known for this file"]


class EngineResultFrom:
    @staticmethod
    def lines(processor, paths, lines):
        from udfs.engine.reference import as_result

        return as_result(
            processor, [processor.process_line(p, x) for p, x in zip(paths, lines, strict=True)]
        )


@pytest.mark.parametrize("small_batch", [0, 256])
def test_every_kind_of_bad_message_gets_the_reference_answer(monkeypatch, small_batch):
    monkeypatch.setattr("udfs.arrow.SMALL_BATCH", small_batch)
    (schema, rules, as_of, key), _ = _args("financial")
    item = next(generate("financial", 1, seed=3, as_of=AS_OF)).record
    messages = [None, b"\xff", b"{", b"[1]", b'"text"', b"", json.dumps(item).encode()]
    messages += [json.dumps({**item, "extra_field": [1, 2], "nested": {"a": 1}}).encode()]
    messages += [json.dumps({**item, "transaction_amount": 12.5, "consent_given": True}).encode()]
    messages += [json.dumps({**item, "latitude": 40.712345, "created_at": None}).encode()]
    messages += [
        b'{"record_id": "n1", "created_at": "2025-01-01T00:00:00Z", "transaction_amount": NaN}'
    ]
    messages += [
        b'{"record_id": "n2", "created_at": "2025-01-01T00:00:00Z", "card_number": 4111111111111111}'
    ]
    messages += [b'{"record_id": "n3", "created_at": "2025-01-01T00:00:00Z", "notes": "\\ud800"}']
    messages += ['{"record_id": "s1", "created_at": "2025-01-01T00:00:00+02:00"}']
    options = {"alert_min_severity": "medium", "window_keys": True}
    reference = RecordProcessor(schema, rules, as_of, key, **options)
    expected = process_messages(reference, messages)
    engine = Engine(schema, rules, as_of, key, **options)
    _assert_same(expected, [engine.process_messages(messages)])
    assert expected.quarantine.num_rows >= 6


def test_input_rows_are_the_per_record_rows_flink_receives():
    from udfs.engine.rows import input_rows
    from udfs.flink.functions import flink_row
    from udfs.pipeline import output_names

    (schema, rules, as_of, key), _ = _args("healthcare")
    lines = _bad_lines()
    options = {"alert_min_severity": "high", "window_keys": True}
    reference = LineProcessor(schema, rules, as_of, key, layouts={"/x.csv": HEADER}, **options)
    width = len(output_names(schema))
    expected = [
        list(flink_row(rows[0])) if rows else [None] * width
        for rows in (reference.process_line("/x.csv", line) for line in lines)
    ]
    engine = Engine(schema, rules, as_of, key, layouts={"/x.csv": HEADER}, **options)
    table = input_rows(engine.process_lines(pa.array(lines, pa.binary())), schema)
    assert table.column_names == list(output_names(schema))
    assert [list(row.values()) for row in table.to_pylist()] == expected


def test_a_small_batch_takes_the_per_record_path_with_the_same_outputs(monkeypatch):
    (schema, rules, as_of, key), _ = _args("healthcare")
    lines = _bad_lines()[:40]
    options = {"alert_min_severity": "high", "window_keys": True}
    engine = Engine(schema, rules, as_of, key, layouts={"/x.csv": HEADER}, **options)
    columnar = engine.process_lines(pa.array(lines, pa.binary()))
    monkeypatch.setattr(Engine, "per_record_below", 100)
    per_record = engine.process_lines(pa.array(lines, pa.binary()))
    assert engine.timings["per_record"] > 0
    _assert_same(per_record, [columnar])
