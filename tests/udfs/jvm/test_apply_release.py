"""udfs/jvm ApplyRelease (`apply_release`): a window's packed records (udfs/jvm PackRow) released
as the Python plan (udfs.flink.windows ReleasePlan) says, in a local Flink table environment —
the rows close_window would have released, whatever the text holds."""

from __future__ import annotations

import orjson
import pytest

from tests.udfs.anonymity.test_windows import ANON, HIER, LADDER, QIS
from udfs.anonymity.windows import close_window
from udfs.flink.stream_sql import PACK_FUNCTION, PROJECT_FUNCTION, RELEASE_FUNCTION
from udfs.flink.windows import ReleasePlan, qi_positions

COLUMNS = ["record_id", "note", *QIS]
ODD = ['quote " \\ /', "tab\tnew\nline\x00\x1f\x7f", "café ☕ 😀 𝕏", "", None, "x" * 3000]


def window_type():  # built once PyFlink is imported
    from pyflink.table import DataTypes

    return DataTypes.ROW(
        [
            DataTypes.FIELD("items", DataTypes.ARRAY(DataTypes.STRING())),
            DataTypes.FIELD("plan", DataTypes.STRING()),
        ]
    )


class _Context:
    def get_metric_group(self):
        return self

    def add_group(self, _name):
        return self

    def counter(self, _name):
        return self

    def inc(self, _n):
        pass


def _records() -> list[list[str | None]]:
    rows = []
    for i in range(40):
        zip_code = ["94110", "94117", "10001"][i % 3] if i < 36 else f"0{i}99"
        dob = f"19{60 + i % 4}-0{1 + i % 2}-15"
        rows.append([f"r{i}", ODD[i % len(ODD)], dob, "FM"[i % 2], zip_code, "40.7128", "-74.0060"])
    rows.append(["r40", "alone", "1925-01-01", "F", "94110", "40.7128", None])  # suppressed
    return rows


def _project(t_env, items: list[str], positions: str) -> list[str | None]:
    rows = t_env.from_elements([(items, "")], window_type())
    query = f"SELECT project_items(items, '{positions}') FROM {rows}"
    with t_env.execute_sql(query).collect() as got:
        return [item for row in got for item in row[0]]


def _expected(records, k):
    pending = [(dict(zip(QIS, r[2:], strict=True)), r) for r in records]
    result = close_window(pending, HIER, LADDER, k)
    rows = []
    for released in result.released:
        row = list(released.record)
        for q, text in released.generalized.items():
            row[COLUMNS.index(q)] = text
        rows.append(("lake", *row))
    rows += [("suppressed", *r) for r in result.suppressed]
    return sorted(rows, key=repr)


@pytest.mark.parametrize("k", [3, 7])
def test_the_jvm_releases_what_close_window_releases(k):
    from pyflink.table import DataTypes

    from jobs.runtime import stream_table_env

    records = _records()
    plan_fn = ReleasePlan({**ANON, "k": k}, COLUMNS)
    plan_fn.open(_Context())
    _env, t_env = stream_table_env(batch=True, settings={"parallelism.default": "1"})
    t_env.create_java_temporary_system_function(*PACK_FUNCTION)
    t_env.create_java_temporary_system_function(*RELEASE_FUNCTION)
    t_env.create_java_temporary_system_function(*PROJECT_FUNCTION)
    row_type = DataTypes.ROW([DataTypes.FIELD(n, DataTypes.STRING()) for n in COLUMNS])
    t_env.create_temporary_view("records", t_env.from_elements(records, row_type))
    names = ", ".join(f"`{n}`" for n in COLUMNS)
    with t_env.execute_sql(f"SELECT ARRAY_AGG(pack_row({names})) FROM records").collect() as got:
        items = [item for row in got for item in row[0]]
    assert [orjson.loads(i) for i in items] == records  # in order: one window of one key
    items.insert(5, "")  # an empty item is no record
    positions = qi_positions(ANON, COLUMNS)
    assert positions == "2,3,4,5,6"
    qis = _project(t_env, items, positions)
    assert qis[5] == "" and [orjson.loads(q) for q in qis if q] == [r[2:] for r in records]
    notes = _project(t_env, items, "1,0")  # the odd texts, copied as written
    assert [orjson.loads(q) for q in notes if q] == [[r[1], r[0]] for r in records]
    plan = plan_fn.eval(qis)
    t_env.create_temporary_view("windows", t_env.from_elements([(items, plan)], window_type()))
    # the fields one by one, as the job reads them (PyFlink's collect fails on a null element)
    fields = ", ".join(f"T.fields[{i}]" for i in range(1, len(COLUMNS) + 1))
    query = f"SELECT T.kind, {fields} FROM windows, LATERAL TABLE(apply_release(items, plan)) AS T"
    with t_env.execute_sql(query).collect() as got:
        rows = sorted((tuple(row) for row in got), key=repr)
    assert rows == _expected(records, k)
    assert {r[0] for r in rows} == {"lake", "suppressed"}


def test_a_plan_that_does_not_fit_its_window_fails_the_call():
    from jobs.runtime import stream_table_env

    _env, t_env = stream_table_env(batch=True, settings={"parallelism.default": "1"})
    t_env.create_java_temporary_system_function(*RELEASE_FUNCTION)
    bad = [(['["a"]', '["b"]'], '["0", "-1"]')]  # a plan for one record, a window of two
    t_env.create_temporary_view("bad", t_env.from_elements(bad, window_type()))
    query = "SELECT T.kind FROM bad, LATERAL TABLE(apply_release(items, plan)) AS T"
    with (
        pytest.raises(Exception, match="does not fit a window of 2"),
        t_env.execute_sql(query).collect() as got,
    ):
        list(got)
