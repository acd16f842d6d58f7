import pandas as pd
import pyarrow as pa
import pytest
from pyflink.table import DataTypes
from pyflink.table.types import to_arrow_type
from pyflink.table.utils import pandas_to_arrow

from udfs.flink import arrow_results
from udfs.flink.arrow_results import ARROW, arrow_frame, as_struct, passing_arrow

ROW = DataTypes.ROW(
    [
        DataTypes.FIELD("kind", DataTypes.STRING()),
        DataTypes.FIELD("violations", DataTypes.ARRAY(DataTypes.STRING())),
        DataTypes.FIELD("notes", DataTypes.STRING()),
    ]
)
SCHEMA = pa.schema([pa.field("f0", to_arrow_type(ROW))])


def engine_like_rows() -> pa.Table:
    # As udfs.engine.rows builds them: strings with nulls, empty and null lists, non-ASCII
    # text; one column of another Arrow type than the coder's schema says (cast on the way).
    return pa.table(
        {
            "kind": pa.array(["record", None, "quarantine", "record"], pa.string()),
            "violations": pa.array([["HIPAA|ssn"], None, [], ["a", "b"]], pa.list_(pa.string())),
            "notes": pa.array(['say "hi"\n', None, "Zoë 👋", ""], pa.large_string()),
        }
    )


def test_a_carried_table_gives_the_batch_pyflinks_own_conversion_gives():
    table = engine_like_rows()
    usual = pandas_to_arrow(SCHEMA, "UTC", [ROW], [table.to_pandas()])
    carried = passing_arrow(pandas_to_arrow)(SCHEMA, "UTC", [ROW], [arrow_frame(table)])
    assert carried.schema == usual.schema
    assert carried.equals(usual)


def test_the_carrier_passes_pyflinks_checks_of_a_pandas_result():
    frame = arrow_frame(engine_like_rows())
    assert type(frame) is pd.DataFrame and len(frame) == 4
    assert frame.attrs[ARROW].num_rows == 4


def test_any_other_result_goes_the_usual_way():
    calls = []

    def original(*args):
        calls.append(args)
        return pandas_to_arrow(*args)

    frame = engine_like_rows().to_pandas()
    batch = passing_arrow(original)(SCHEMA, "UTC", [ROW], [frame])
    assert len(calls) == 1 and batch.num_rows == 4


def test_a_result_of_the_wrong_width_is_refused_with_both_counts():
    narrow = engine_like_rows().drop_columns(["notes"])
    with pytest.raises(ValueError, match="2 columns for a row of 3 fields"):
        as_struct(narrow, SCHEMA.field(0).type)


def test_install_patches_the_workers_coders_once_and_frames_follow_it(monkeypatch):
    from pyflink.fn_execution import coder_impl_fast, coder_impl_slow

    for module in (coder_impl_fast, coder_impl_slow):  # restored after the test
        monkeypatch.setattr(module, "pandas_to_arrow", module.pandas_to_arrow)
    monkeypatch.setattr(arrow_results, "_installed", None)
    original = coder_impl_slow.pandas_to_arrow
    assert arrow_results.install() is True
    patched = coder_impl_slow.pandas_to_arrow
    assert patched is not original and patched.passes_arrow
    monkeypatch.setattr(arrow_results, "_installed", None)
    arrow_results.install()
    assert coder_impl_slow.pandas_to_arrow is patched  # not wrapped twice
    assert ARROW in arrow_results.frame_of(engine_like_rows()).attrs
    monkeypatch.setattr(arrow_results, "_installed", False)
    assert list(arrow_results.frame_of(engine_like_rows()).columns) == [
        "kind",
        "violations",
        "notes",
    ]
