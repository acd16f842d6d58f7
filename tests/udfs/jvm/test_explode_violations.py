"""udfs/jvm ExplodeViolations (`explode_violations`): a record's violation strings as rows,
the same rows as UNNEST and a SPLIT_INDEX per field (the SQL it replaced) give."""

from __future__ import annotations

from udfs.flink.functions import VIOLATIONS_FUNCTION, violation_rows_sql
from udfs.pipeline import FIELD_SEP, VIOLATION_FIELDS, encode_violations

S = FIELD_SEP
RECORDS = [
    ("r1", "record", encode_violations([("HIPAA-1", "HIPAA", "ssn", "high", "SSN in notes")])),
    ("r2", "record", encode_violations([("a", "b", "c", "d", "é ☕ 😀"), ("e", "f", "", "h", "")])),
    ("r3", "record", []),  # no violation: no row
    ("r4", "record", None),
    ("r5", "record", [f"only{S}three{S}fields", "", f"six{S}1{S}2{S}3{S}4{S}5", f"end{S}"]),
    ("r6", "quarantine", encode_violations([("x", "y", "z", "w", "v")])),  # not a record
]
OLD = (
    "SELECT p.record_id, p.event_date, "
    + ", ".join(
        f"SPLIT_INDEX(V.v, CHR({ord(FIELD_SEP)}), {i}) AS `{n}`"
        for i, n in enumerate(VIOLATION_FIELDS)
    )
    + " FROM processed AS p CROSS JOIN UNNEST(p.violations) AS V(v) WHERE p.kind = 'record'"
)


def test_explode_violations_gives_the_rows_unnest_and_split_index_gave():
    from pyflink.table import DataTypes

    from jobs.runtime import stream_table_env

    _env, t_env = stream_table_env(batch=True, settings={"parallelism.default": "1"})
    t_env.create_java_temporary_system_function(*VIOLATIONS_FUNCTION)
    row_type = DataTypes.ROW(
        [
            DataTypes.FIELD("record_id", DataTypes.STRING()),
            DataTypes.FIELD("kind", DataTypes.STRING()),
            DataTypes.FIELD("violations", DataTypes.ARRAY(DataTypes.STRING())),
            DataTypes.FIELD("event_date", DataTypes.STRING()),
        ]
    )
    rows = [(*r, "2024-01-01") for r in RECORDS]
    t_env.create_temporary_view("processed", t_env.from_elements(rows, row_type))

    def collected(query: str) -> list[tuple]:
        with t_env.execute_sql(query).collect() as results:
            return sorted((tuple(r) for r in results), key=repr)

    new, old = collected(violation_rows_sql()), collected(OLD)
    assert new == old
    assert len(new) == 7
    assert ("r1", "2024-01-01", "HIPAA-1", "HIPAA", "ssn", "high", "SSN in notes") in new
    assert ("r5", "2024-01-01", "only", "three", "fields", None, None) in new
