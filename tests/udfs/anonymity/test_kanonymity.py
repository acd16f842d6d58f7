"""The k-anonymity property checked independently of the code that claims it."""

import itertools
from collections import Counter

import numpy as np
import pytest

from tools.synthetic.generator import generate
from udfs.anonymity.hierarchies import DateHierarchy, hierarchies_from_config
from udfs.anonymity.kanonymity import (
    NoFeasibleRelease,
    _judge,
    apply_levels,
    build_qi_table,
    distinct_share,
    estimate_groups,
    factorize,
    for_search,
    group_keys,
    group_sizes,
    information_loss,
    merge_rows,
    partitioned,
    plan_roll_ups,
    roll_up,
    search_levels,
)
from udfs.schema import load_schema

ANON = load_schema("healthcare").anonymity
QIS = ANON["quasi_identifiers"]
HIER = hierarchies_from_config(ANON)


@pytest.fixture(scope="module")
def records():
    return [g.record for g in generate("healthcare", 3000, seed=21) if not g.malformed]


def independent_check(records, levels, k, max_suppression):
    """Plain-Python: generalize, count groups, suppress small ones; return (feasible, loss)."""
    keys = [tuple(HIER[q].generalize(r[q], levels[q]) for q in QIS) for r in records]
    sizes = Counter(keys)
    suppressed = sum(1 for key in keys if sizes[key] < k)
    distinct = {q: sorted({r[q] or "" for r in records}) for q in QIS}
    covers = {}
    for q in QIS:
        covers[q] = Counter(HIER[q].generalize(v, levels[q]) for v in distinct[q])
    loss = 0.0
    for r, key in zip(records, keys, strict=True):
        if sizes[key] < k:
            loss += len(QIS)
            continue
        for q in QIS:
            gen = HIER[q].generalize(r[q], levels[q])
            loss += (covers[q][gen] - 1) / max(len(distinct[q]) - 1, 1)
    return suppressed <= int(max_suppression * len(records)), loss / (len(records) * len(QIS))


def test_release_is_k_anonymous_and_reconciles(records):
    table = build_qi_table({q: [r[q] for r in records] for q in QIS}, HIER)
    decision = search_levels(table, 5, 0.02)
    generalized, suppressed = apply_levels(table, decision, 5)
    released = Counter(
        tuple(generalized[q][i] for q in QIS) for i in range(len(records)) if not suppressed[i]
    )
    assert min(released.values()) >= 5
    assert sum(released.values()) + int(suppressed.sum()) == len(records)
    assert suppressed.sum() == decision.suppressed <= 0.02 * len(records)


def test_no_uniform_level_beats_the_choice(records):
    table = build_qi_table({q: [r[q] for r in records] for q in QIS}, HIER)
    decision = search_levels(table, 5, 0.02)
    feasible, loss = independent_check(records, decision.levels, 5, 0.02)
    assert feasible and loss == pytest.approx(decision.loss)
    top = max(HIER[q].levels for q in QIS)
    uniform_losses = []
    for level in range(top):
        levels = {q: min(level, HIER[q].levels - 1) for q in QIS}
        ok, uniform_loss = independent_check(records, levels, 5, 0.02)
        if ok:
            uniform_losses.append(uniform_loss)
    assert uniform_losses, "the all-* level is always feasible"
    assert decision.loss <= min(uniform_losses) + 1e-12


def test_exhaustive_search_is_optimal_on_a_tiny_set(records):
    small = records[:300]
    table = build_qi_table({q: [r[q] for r in small] for q in QIS}, HIER)
    decision = search_levels(table, 3, 0.05)
    best = min(
        loss
        for node in itertools.product(*(range(HIER[q].levels) for q in QIS))
        for ok, loss in [independent_check(small, dict(zip(QIS, node, strict=True)), 3, 0.05)]
        if ok
    )
    assert decision.loss == pytest.approx(best)


def test_l_diversity(records):
    table = build_qi_table(
        {q: [r[q] for r in records] for q in QIS},
        HIER,
        sensitive=[r["diagnosis_code"] for r in records],
    )
    decision = search_levels(table, 5, 0.02, l_diverse=3)
    generalized, suppressed = apply_levels(table, decision, 5, l_diverse=3)
    groups = {}
    for i, r in enumerate(records):
        if not suppressed[i]:
            groups.setdefault(tuple(generalized[q][i] for q in QIS), set()).add(r["diagnosis_code"])
    assert min(len(v) for v in groups.values()) >= 3


def test_impossible_target_is_a_clear_error():
    table = build_qi_table({"gender": ["F", "M"]}, {"gender": HIER["gender"]})
    with pytest.raises(NoFeasibleRelease, match="k=5"):
        search_levels(table, 5, 0.0)


def test_factorize_treats_missing_as_empty():
    distinct, codes = factorize(["a", None, "", "b", "a"])
    assert [distinct[c] for c in codes] == ["a", "", "", "b", "a"]
    assert len(distinct) == 3


def test_group_sizes_same_by_counting_and_by_hashing():
    rng = np.random.default_rng(1)
    small = rng.integers(0, 50, 1000)
    sparse = small * 10**12  # a key range far larger than the records: the hashing path
    for key in (small, sparse):
        index, counts = group_sizes(key)
        expected = {v: int((small == v).sum()) for v in np.unique(small)}
        assert sorted(counts[counts > 0].tolist()) == sorted(expected.values())
        assert all(counts[index][i] == expected[small[i]] for i in range(len(small)))


def test_group_sizes_of_weighted_rows_by_rows_and_their_extra_records():
    """Counting rows and adding the heavy rows' extra records gives the weighted counts."""
    rng = np.random.default_rng(2)
    key = rng.integers(0, 40, 2000).astype(np.int32)
    weights = np.where(rng.random(2000) < 0.1, rng.integers(2, 9, 2000), 1).astype(np.int64)
    heavy = (np.flatnonzero(weights > 1), (weights[weights > 1] - 1).astype(np.float64))
    _, expected = group_sizes(key, weights)
    _, counted = group_sizes(key, weights, heavy)
    assert counted.dtype == np.int64 and np.array_equal(counted, expected)


def test_search_decides_the_same_over_weighted_rows_as_over_records(records):
    """A frequency table (weights, int32 keys, groups counted by rows plus the heavy rows'
    extra records) and the records themselves give the same decision."""
    repeated = records + records[:300] + records[:100]  # some combinations 2 or 3 times
    values = {q: [r[q] for r in repeated] for q in QIS}
    whole = build_qi_table(values, HIER)
    pairs: dict[tuple, int] = {}
    for combo in zip(*values.values(), strict=True):
        pairs[combo] = pairs.get(combo, 0) + 1
    assert max(pairs.values()) > 1  # some rows stand for several records
    columns = list(zip(*pairs, strict=True))
    counted = build_qi_table(
        {q: list(columns[i]) for i, q in enumerate(QIS)}, HIER,
        weights=np.array(list(pairs.values()), dtype=np.int64),
    )  # fmt: skip
    assert counted.heavy is not None and len(counted.heavy[0])
    for k in (2, 5):
        a, b = search_levels(whole, k, 0.05), search_levels(counted, k, 0.05)
        assert (a.levels, a.suppressed, round(a.loss, 12)) == (
            b.levels,
            b.suppressed,
            round(b.loss, 12),
        )


@pytest.mark.parametrize("sensitive", [False, True])
def test_merging_repeated_rows_keeps_one_weighted_row_per_combination(records, sensitive):
    repeated = records + records[:300] + records[:100]
    values = {q: [r[q] for r in repeated] for q in QIS}
    weights = np.arange(1, len(repeated) + 1, dtype=np.int64) % 3 + 1
    diagnoses = [r["diagnosis_code"] for r in repeated] if sensitive else None
    merged = merge_rows(build_qi_table(values, HIER, diagnoses, weights))
    expected: Counter = Counter()
    named = {**values, **({"diagnosis": diagnoses} if sensitive else {})}
    for combo, weight in zip(zip(*named.values(), strict=True), weights, strict=True):
        expected[tuple(v or "" for v in combo)] += int(weight)
    codes = [c.values for c in merged.columns] + ([merged.sensitive] if sensitive else [])
    labels = [np.asarray(factorize(column)[0], dtype=object)[code]  # the codes' values
              for column, code in zip(named.values(), codes, strict=True)]  # fmt: skip
    got = Counter(
        {
            tuple(row): int(w)
            for row, w in zip(zip(*labels, strict=True), merged.weights, strict=True)
        }
    )
    assert merged.rows == len(expected) < len(repeated) and got == expected
    assert merged.records == int(weights.sum())
    few = build_qi_table({q: [r[q] for r in records + records[:10]] for q in QIS}, HIER)
    assert merge_rows(few) is few  # a few repeats: cheaper searched as they are
    assert merge_rows(few, share=1.0).rows == len(records)


@pytest.mark.parametrize("l_diverse", [None, 2])
def test_nodes_judged_on_threads_decide_as_one_by_one(records, l_diverse):
    table = build_qi_table(
        {q: [r[q] for r in records] for q in QIS}, HIER,
        sensitive=[r["diagnosis_code"] for r in records],
    )  # fmt: skip
    one = search_levels(table, 4, 0.05, l_diverse)
    assert one == search_levels(table, 4, 0.05, l_diverse, threads=2)
    assert one.nodes_checked > 1


def test_information_loss_from_totals_matches_the_kept_records_sum(records):
    """The loss is computed as each level's total less the suppressed records' penalty; it must
    equal the plain sum over the kept records for any mask."""
    table = build_qi_table({q: [r[q] for r in records] for q in QIS}, HIER)
    rng = np.random.default_rng(5)
    for levels in [
        (0,) * len(QIS),
        tuple(c.levels - 1 for c in table.columns),
        (1, 0, 1, 1, 1),
    ]:
        for share in (0.0, 0.02, 0.5):
            suppressed = rng.random(table.rows) < share
            kept = ~suppressed
            direct = sum(
                float(c.penalty(lv, np.flatnonzero(kept)).sum())
                for c, lv in zip(table.columns, levels, strict=True)
            ) + float(suppressed.sum()) * len(table.columns)
            expected = direct / (table.rows * len(table.columns))
            assert information_loss(table, levels, suppressed) == pytest.approx(expected, abs=1e-12)


def _lattice(table):
    return list(itertools.product(*(range(c.levels) for c in table.columns)))


def _assert_judged_as(expected, on, node, l_diverse) -> None:
    """`node` judged on `on` (k 5, no budget) as `expected`: the same suppressed records and
    groups, the same loss."""
    suppressed, loss, groups = _judge(on, node, 5, l_diverse, 10**9)
    assert (suppressed, groups) == expected[::2]
    assert loss == pytest.approx(expected[1], abs=1e-12)


@pytest.mark.parametrize("l_diverse", [None, 2])
def test_a_roll_up_judges_every_node_above_it_as_the_table_does(records, l_diverse):
    """Same suppressed records, groups and loss at every node at or above the roll-up's levels
    (weighted rows of a roll-up of a roll-up too)."""
    table = build_qi_table(
        {q: [r[q] for r in records] for q in QIS}, HIER,
        sensitive=[r["diagnosis_code"] for r in records],
    )  # fmt: skip
    nodes = _lattice(table)
    higher = (4, 0, 1, 2, 2)
    for base in [(1, 0, 1, 1, 1), (3, 0, 1, 2, 2), (0, 0, 0, 0, 0)]:
        rolled = roll_up(table, base)
        assert rolled.records == table.records and rolled.rows <= table.rows
        twice = roll_up(rolled, higher)
        assert twice.records == table.records and twice.rows < table.rows
        for node in nodes:
            if not all(b <= n for b, n in zip(base, node, strict=True)):
                continue
            expected = _judge(table, node, 5, l_diverse, 10**9)
            above = all(n >= h for n, h in zip(node, higher, strict=True))
            for on in [rolled, twice] if above else [rolled]:
                _assert_judged_as(expected, on, node, l_diverse)


@pytest.mark.parametrize("l_diverse", [None, 2])
def test_search_on_roll_ups_decides_as_on_the_table(records, l_diverse):
    table = build_qi_table(
        {q: [r[q] for r in records] for q in QIS}, HIER,
        sensitive=[r["diagnosis_code"] for r in records],
    )  # fmt: skip
    for k, share in ((5, 0.02), (3, 0.05), (10, 0.01)):
        plain = search_levels(table, k, share, l_diverse, roll_up_rows=10**9)
        rolled = search_levels(table, k, share, l_diverse, roll_up_rows=0)
        assert (rolled.levels, rolled.suppressed, rolled.nodes_checked) == (
            plain.levels, plain.suppressed, plain.nodes_checked,
        )  # fmt: skip
        assert round(rolled.loss, 12) == round(plain.loss, 12)
    assert plan_roll_ups(table, _lattice(table))  # the roll-ups were used


@pytest.mark.parametrize("l_diverse", [None, 2])
def test_a_partitioned_table_judges_and_decides_as_the_table(records, l_diverse, monkeypatch):
    """Counted part by part, every node has the same suppressed records, groups and loss as on
    the table as it came (roll-ups of it too); a node over a small budget stops early with at
    least the budget, never more than its own; the search decides the same."""
    import udfs.anonymity.kanonymity as kanonymity

    monkeypatch.setattr(kanonymity, "PART_ROWS", 0)
    table = build_qi_table(
        {q: [r[q] for r in records] for q in QIS}, HIER,
        sensitive=[r["diagnosis_code"] for r in records],
    )  # fmt: skip
    parted = partitioned(table, 0, 2, parts=8)  # date of birth by year
    assert parted.parts is not None and 4 < len(parted.parts.starts) <= 9
    years = parted.columns[0].codes(2)
    assert np.all(np.diff(years) >= 0)  # rows ordered by year
    assert parted.parts.ranges(parted, (3, 0, 0, 0, 0)) is None  # groups span years
    base = (1, 0, 1, 1, 1)
    rolled, plain_rolled = roll_up(parted, base), roll_up(table, base)
    assert rolled.parts is not None and rolled.rows == plain_rolled.rows
    for node in _lattice(table):
        expected = _judge(table, node, 5, l_diverse, 10**9)
        above = all(n >= b for n, b in zip(node, base, strict=True))
        for on in [parted, rolled] if above else [parted]:
            _assert_judged_as(expected, on, node, l_diverse)
        if expected[0] > 60 and parted.parts.ranges(parted, node) is not None:
            early = _judge(parted, node, 5, l_diverse, 60)
            assert early[1] is None and 60 < early[0] <= expected[0]
    for k, share in ((5, 0.02), (3, 0.05)):
        plain = search_levels(table, k, share, l_diverse, roll_up_rows=0)
        found = search_levels(for_search(table), k, share, l_diverse, roll_up_rows=0)
        assert (found.levels, found.suppressed, found.nodes_checked) == (
            plain.levels, plain.suppressed, plain.nodes_checked,
        )  # fmt: skip
        assert round(found.loss, 12) == round(plain.loss, 12)
    assert for_search(table).parts is not None


def test_levels_that_do_not_nest_are_never_judged_on_a_roll_up(records):
    """Three-year bands do not nest in five-year bands: a roll-up at three-year bands cannot
    judge the five-year level, and the search (which checks) still decides as without."""
    hierarchies = {**HIER, "date_of_birth": DateHierarchy(("year", 3, 5))}
    table = build_qi_table({q: [r[q] for r in records] for q in QIS}, hierarchies)
    dob = table.columns[0]
    assert dob.nests(0, 1) and dob.nests(0, 2) and not dob.nests(1, 2)
    assert dob.nests(1, 3) and not dob.nests(2, 1)
    for base, members in plan_roll_ups(table, _lattice(table)).items():
        for node in members:
            assert dob.nests(base[0], node[0])
    plain = search_levels(table, 5, 0.02, roll_up_rows=10**9)
    rolled = search_levels(table, 5, 0.02, roll_up_rows=0)
    assert (rolled.levels, rolled.suppressed, round(rolled.loss, 12)) == (
        plain.levels, plain.suppressed, round(plain.loss, 12),
    )  # fmt: skip


def test_group_estimates_from_a_sample_are_near_the_truth(records):
    table = build_qi_table({q: [r[q] for r in records * 4] for q in QIS}, HIER)
    nodes = [(2, 0, 1, 1, 1), (3, 1, 1, 2, 2), (1, 0, 0, 1, 1), (5, 1, 2, 3, 3)]
    exact = estimate_groups(table, nodes, sample=table.rows)
    for node, groups in zip(nodes, exact, strict=True):
        assert groups == np.count_nonzero(group_sizes(group_keys(table, node))[1])
    sampled = estimate_groups(table, nodes, sample=table.rows // 5)
    assert np.all(sampled >= exact / 2) and np.all(sampled <= exact * 2)


@pytest.mark.parametrize("threads", [1, 2])
def test_roll_ups_skip_the_nodes_below_one_over_budget(records, monkeypatch, threads):
    """No node is judged below one judged over budget (the search never asks for it), and the
    search decides as it does on the table alone."""
    import udfs.anonymity.kanonymity as kanonymity

    table = build_qi_table({q: [r[q] for r in records] for q in QIS}, HIER)
    plain = search_levels(table, 5, 0.02, roll_up_rows=10**9)
    judged = {}

    def recorded(on, node, **kwargs):
        judged[node] = result = _judge(on, node, **kwargs)
        return result

    monkeypatch.setattr(kanonymity, "_judge", recorded)
    rolled = search_levels(table, 5, 0.02, threads=threads, roll_up_rows=0)
    assert (rolled.levels, rolled.suppressed, rolled.nodes_checked) == (
        plain.levels, plain.suppressed, plain.nodes_checked,
    )  # fmt: skip
    over = {node for node, (_, loss, _) in judged.items() if loss is None}
    counts = [c.levels for c in table.columns]
    for node in judged:
        parents = {(*node[:i], node[i] + 1, *node[i + 1 :])
                   for i in range(len(node)) if node[i] + 1 < counts[i]}  # fmt: skip
        assert not parents & over, node
    assert over and len(judged) < len(_lattice(table))


def test_a_large_table_estimates_its_distinct_rows_on_whole_combinations(records):
    """The sample keeps every row of the combinations it picks: a table of each record twice is
    seen as half distinct (a sample of rows would see it as distinct), and merged."""
    twice = build_qi_table({q: [r[q] for r in records * 2] for q in QIS}, HIER)
    codes = [(c.values, len(c.maps[0])) for c in twice.columns]
    assert 0.4 < distinct_share(codes, twice.rows) < 0.6
    assert merge_rows(twice, sample_rows=0).rows == len(records)
    few = build_qi_table({q: [r[q] for r in records + records[:10]] for q in QIS}, HIER)
    assert distinct_share([(c.values, len(c.maps[0])) for c in few.columns], few.rows) > 0.95
    assert merge_rows(few, sample_rows=0) is few
