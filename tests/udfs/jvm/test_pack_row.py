"""udfs/jvm PackRow (`pack_row`): a record's window columns as one JSON array that reads back as
the very values (and as JSON_ARRAY's, which it replaced), whatever the text holds."""

from __future__ import annotations

import json

import orjson

from udfs.flink.stream_sql import PACK_FUNCTION

VALUES = [
    ("r1", "plain", None),
    ('quote " and back\\slash', "tab\tnew\nline\rcr", "\x00\x01\x1f\x7f"),
    ("café ☕ 😀 𝕏", "", "ü"),
    (None, None, None),
    ('{"json": [1, 2]}', "\\u0041 not an escape", "/slash/ </script>"),
    ("x" * 3000, "y", "z"),  # beyond the first buffer
]


def test_pack_row_reads_back_as_the_values_and_as_json_array():
    from pyflink.table import DataTypes

    from jobs.runtime import stream_table_env

    _env, t_env = stream_table_env(batch=True, settings={"parallelism.default": "1"})
    t_env.create_java_temporary_system_function(*PACK_FUNCTION)
    row_type = DataTypes.ROW(
        [DataTypes.FIELD("i", DataTypes.INT())]
        + [DataTypes.FIELD(n, DataTypes.STRING()) for n in ("a", "b", "c")]
    )
    rows = [(i, *values) for i, values in enumerate(VALUES)]
    t_env.create_temporary_view("packed_input", t_env.from_elements(rows, row_type))
    query = "SELECT i, pack_row(a, b, c), JSON_ARRAY(a, b, c NULL ON NULL) FROM packed_input"
    with t_env.execute_sql(query).collect() as results:
        got = {row[0]: (row[1], row[2]) for row in results}
    assert len(got) == len(VALUES)
    for i, values in enumerate(VALUES):
        packed, reference = got[i]
        assert orjson.loads(packed) == list(values)
        assert json.loads(packed) == json.loads(reference)
