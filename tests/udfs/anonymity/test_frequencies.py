"""k-anonymity from frequency tables gives the decision and the released rows of the release
over all records at once — counted in parts, merged, applied part by part."""

import copy

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tests.harness import AS_OF, KEY
from tools.synthetic.generator import write_dataset
from udfs.anonymity.frequencies import (
    COUNT,
    SEPARATOR,
    ReleasePlan,
    apply_plan,
    count_groups,
    decide,
    merge_counts,
    read_counts,
    stack_counts,
    value_codes,
)
from udfs.anonymity.release import NOT_RELEASED, release
from udfs.engine import Engine
from udfs.engine.outputs import staged_records
from udfs.schema import load_schema, read_rules


def staged_parts(domain: str, rows: int, tmp_path, parts: int = 7) -> list[pa.Table]:
    write_dataset(domain, rows, tmp_path, seed=41, as_of=AS_OF, jsonl=False)
    header, *lines = (tmp_path / "records.csv").read_bytes().splitlines()
    engine = Engine(load_schema(domain), read_rules(domain), AS_OF, KEY,
                    layouts={"/in.csv": header.decode()})  # fmt: skip
    size = -(-len(lines) // parts)
    return [
        staged_records(engine.process_lines(pa.array(lines[i : i + size], pa.binary())))
        for i in range(0, len(lines), size)
    ]


def both_ways(parts: list[pa.Table], anonymity: dict):
    whole = release(pa.concat_tables(parts), anonymity)
    counts = merge_counts([count_groups(p, anonymity) for p in parts], anonymity)
    decided = decide(counts, anonymity)
    return whole, decided, counts


def rows(table: pa.Table) -> list[tuple]:
    named = table.select(sorted(table.column_names)).to_pylist()
    return sorted(tuple(repr(v) for v in r.values()) for r in named)


@pytest.mark.parametrize("domain, l_diversity", [("healthcare", None), ("healthcare", 2),
                                                 ("financial", None)])  # fmt: skip
def test_the_same_decision_and_the_same_lake_as_the_whole_release(tmp_path, domain, l_diversity):
    anonymity = copy.deepcopy(load_schema(domain).anonymity)
    anonymity["l_diversity"] = l_diversity
    parts = staged_parts(domain, 12_000, tmp_path)
    whole, decided, counts = both_ways(parts, anonymity)
    assert counts.num_rows <= whole.staged == sum(counts.column(COUNT).to_pylist())
    assert decided.plan.levels == whole.levels
    assert (decided.suppressed, decided.published) == (whole.suppressed, whole.published)
    assert decided.information_loss == whole.information_loss
    assert decided.lattice_nodes_checked == whole.lattice_nodes_checked
    released = pa.concat_tables([apply_plan(p, decided.plan, anonymity) for p in parts])
    assert rows(released) == rows(whole.records)


def test_a_part_released_in_date_order_leaves_out_exactly_the_suppressed_groups():
    """Matched on integer codes, ordered and filtered in one gather: the rows of the plain way —
    the groups' labels joined as text and looked up, then a stable sort by date — with a null
    value (labelled as ""), a null date (last), and a suppressed group absent from this part."""
    anonymity = {"quasi_identifiers": ["zip_code", "gender"],
                 "hierarchies": {"zip_code": {"kind": "zip"}, "gender": {"kind": "suppress"}}}  # fmt: skip
    records = pa.table({
        "record_id": [f"r{i}" for i in range(8)],
        "zip_code": ["12345", "12399", None, "54321", "12345", "54300", "99999", "12311"],
        "gender": ["F", "M", "F", None, "F", "M", "F", "M"],
        "event_date": ["2025-01-02", "2025-01-01", None, "2025-01-02", "2025-01-01",
                       "2025-01-03", "2025-01-01", "2025-01-02"],
    })  # fmt: skip
    plan = ReleasePlan({"zip_code": 1, "gender": 0},
                       [SEPARATOR.join(g) for g in [("123", "F"), ("*", "F"), ("543", ""),
                                                    ("777", "M")]])  # fmt: skip
    labels = apply_plan(records, plan, anonymity).column("zip_code").to_pylist()
    released = apply_plan(records, plan, anonymity, order_by="event_date")
    plain = apply_plan(records, ReleasePlan(plan.levels), anonymity)
    key = pc.binary_join_element_wise(
        plain.column("zip_code"), pc.fill_null(plain.column("gender"), ""), SEPARATOR
    )
    expected = plain.filter(pc.invert(pc.is_in(key, pa.array(plan.suppressed_groups))))
    assert released.equals(expected.sort_by("event_date"))
    assert released.column("record_id").to_pylist() == ["r1", "r6", "r7", "r5", "r2"]
    assert "" in labels and released.schema.equals(records.schema)
    odd = records.set_column(2, "gender", pa.array(["F", "M", "F", None, "F", "M", "F\x1fx", "M"]))
    plan = ReleasePlan(plan.levels, [*plan.suppressed_groups, SEPARATOR.join(["999", "F\x1fx"])])
    assert apply_plan(odd, plan, anonymity, "event_date").column("record_id").to_pylist() == [
        "r1",
        "r7",
        "r5",
        "r2",
    ]  # a label holding the separator: matched as text


@pytest.mark.parametrize("l_diversity", [None, 2])
def test_stacked_counts_give_the_decision_of_merged_ones(tmp_path, l_diversity):
    anonymity = copy.deepcopy(load_schema("healthcare").anonymity)
    anonymity["l_diversity"] = l_diversity
    anonymity["quasi_identifiers"] = ["gender", "zip_code", "latitude"]  # some repeat
    parts = [count_groups(p, anonymity) for p in staged_parts("healthcare", 3_000, tmp_path)]
    stacked, merged = stack_counts(parts, anonymity), merge_counts(parts, anonymity)
    assert stacked.num_rows > merged.num_rows
    one, other = decide(stacked, anonymity), decide(merged, anonymity)
    assert one.plan == other.plan and one.plan.suppressed_groups
    assert (one.staged, one.suppressed, one.information_loss, one.lattice_nodes_checked) == (
        other.staged, other.suppressed, other.information_loss, other.lattice_nodes_checked
    )  # fmt: skip


@pytest.mark.parametrize("l_diversity", [None, 2])
def test_counts_read_from_files_as_dictionaries_decide_as_read_as_text(tmp_path, l_diversity):
    """The scan's frequency files read back as dictionaries (each file its own, unified) give
    the codes and the decision of the same files read as text."""
    anonymity = copy.deepcopy(load_schema("healthcare").anonymity)
    anonymity["l_diversity"] = l_diversity
    paths = []
    for i, part in enumerate(staged_parts("healthcare", 3_000, tmp_path)):
        paths.append(tmp_path / f"counts-{i}.parquet")
        pq.write_table(count_groups(part, anonymity), paths[-1])
    as_dictionaries = read_counts(paths, anonymity)
    as_text = stack_counts([pq.read_table(p) for p in paths], anonymity)
    zip_code = as_dictionaries.column("zip_code")
    assert pa.types.is_dictionary(zip_code.type) and zip_code.num_chunks == len(paths)
    distinct, codes = value_codes(zip_code)
    assert [distinct[c] for c in codes] == as_text.column("zip_code").to_pylist()
    one, other = decide(as_dictionaries, anonymity), decide(as_text, anonymity)
    assert one == other and one.plan is not None


def test_an_input_too_small_for_k_is_not_released_either_way(tmp_path):
    anonymity = load_schema("healthcare").anonymity
    parts = staged_parts("healthcare", 4, tmp_path, parts=2)
    whole, decided, _ = both_ways(parts, anonymity)
    assert whole.status == decided.status == NOT_RELEASED and decided.plan is None
    assert decided.reason == whole.reason and decided.suppressed == decided.staged == 4


def test_no_records_release_nothing():
    anonymity = load_schema("financial").anonymity
    decided = decide(merge_counts([], anonymity), anonymity)
    assert decide(stack_counts([], anonymity), anonymity) == decided
    assert decided.staged == decided.suppressed == decided.published == 0
