"""udfs/jvm EventTime (`event_time_ms`) against the SQL expression it replaced in the Kafka
source: a regex for the field and TO_TIMESTAMP_LTZ over the two formats, on the same messages
(a local Flink table environment, no services)."""

from __future__ import annotations

import pytest

from connectors.kafka import EVENT_TIME_FUNCTION

FORMATS = ("yyyy-MM-dd''T''HH:mm:ss.SSS''Z''", "yyyy-MM-dd''T''HH:mm:ss''Z''")
OLD = 'REGEXP_EXTRACT(CAST(message AS STRING), \'"created_at"\\s*:\\s*"([^"]*)"\', 1)'
OLD_SQL = "COALESCE(" + ", ".join(f"TO_TIMESTAMP_LTZ({OLD}, '{f}')" for f in FORMATS) + ")"

MESSAGES = [
    '{"created_at": "2024-03-05T10:20:30.123Z", "x": 1}',
    '{"created_at":"2024-03-05T10:20:30Z"}',
    '{"a": {"created_at": "1999-12-31T23:59:59.999Z"}, "created_at": "2024-01-01T00:00:00Z"}',
    '{"created_at" :\t\n "2024-02-29T12:00:00.000Z"}',  # blanks around the colon, leap day
    '{"created_at": "2023-02-29T12:00:00.000Z"}',  # no such day: the parser's own answer
    '{"created_at": "2024-04-31T00:00:00Z"}',
    '{"created_at": "2024-01-01T24:00:00Z"}',
    '{"created_at": "2024-01-01T23:59:60Z"}',
    '{"created_at": "0000-01-01T00:00:00Z"}',
    '{"created_at": "1969-12-31T23:59:59.999Z"}',  # before the epoch
    '{"created_at": "2024-01-01"}',  # a bare date
    '{"created_at": "2024-01-01 10:00:00"}',
    '{"created_at": "2024-01-01T10:00:00+02:00"}',  # an offset: no event time
    '{"created_at": "2024-01-01T10:00:00.12Z"}',
    '{"created_at": "2024-01-01T10:00:00.123456Z"}',
    '{"created_at": "2024-01-01t10:00:00Z"}',
    '{"created_at": "2024-01-01T10:00:00z"}',
    '{"created_at": "２０２４-01-01T10:00:00Z"}',  # full-width digits
    '{"created_at": "12024-01-01T10:00:00Z"}',
    '{"created_at": 1704103200000}',  # not a string: the next key is tried
    '{"created_at": 5, "y": {"created_at": "2024-06-01T00:00:00Z"}}',
    '{"created_at": "unterminated',
    '{"note": "café ☕", "created_at": "2024-06-01T08:00:00.500Z"}',
    '{"created_at": ""}',
    '{"created_at": "2024-13-01T00:00:00Z"}',
    '{"other": "2024-06-01T00:00:00Z"}',
    "not json at all",
    "",
]


@pytest.fixture(scope="module")
def t_env():
    from jobs.runtime import stream_table_env

    _env, t_env = stream_table_env(batch=True, settings={"table.local-time-zone": "UTC"})
    t_env.create_java_temporary_system_function(*EVENT_TIME_FUNCTION)
    return t_env


def test_the_event_time_is_what_the_regex_and_the_formats_gave(t_env):
    from pyflink.table import DataTypes

    rows = [(i, m) for i, m in enumerate(MESSAGES)] + [(len(MESSAGES), None)]
    row_type = DataTypes.ROW(
        [DataTypes.FIELD("i", DataTypes.INT()), DataTypes.FIELD("text", DataTypes.STRING())]
    )
    texts = t_env.from_elements(rows, row_type)
    t_env.create_temporary_view("texts", texts)  # the raw format's bytes: UTF-8
    t_env.create_temporary_view(
        "messages", t_env.sql_query("SELECT i, CAST(text AS BYTES) AS message FROM texts")
    )
    query = (
        f"SELECT i, CAST({OLD_SQL} AS STRING), "
        "CAST(TO_TIMESTAMP_LTZ(event_time_ms(message, 'created_at'), 3) AS STRING) FROM messages"
    )
    with t_env.execute_sql(query).collect() as results:
        got = {row[0]: (row[1], row[2]) for row in results}
    assert len(got) == len(rows)
    differ = {MESSAGES[i] if i < len(MESSAGES) else None: pair for i, pair in got.items()
              if pair[0] != pair[1]}  # fmt: skip
    assert not differ
    assert got[0][1] == "2024-03-05 10:20:30.123"
    assert got[2][1] == "1999-12-31 23:59:59.999"  # the first key, nested or not
    assert got[12][1] is None  # an offset
    assert got[20][1] == "2024-06-01 00:00:00.000"
    assert sum(old is not None for old, _ in got.values()) >= 10
