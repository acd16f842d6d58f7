from collections import Counter

from udfs.anonymity.hierarchies import hierarchies_from_config
from udfs.anonymity.windows import close_window, generalize, group_key, plan_window
from udfs.schema import load_schema

ANON = load_schema("healthcare").anonymity
HIER = hierarchies_from_config(ANON)
LADDER = ANON["stream_ladder"]
QIS = list(LADDER[0])


def item(i, zip_code, dob, gender="F"):
    values = {
        "date_of_birth": dob,
        "gender": gender,
        "zip_code": zip_code,
        "latitude": "40.71",
        "longitude": "-74.00",
    }
    return values, {"record_id": f"r{i}", **values}


def test_groups_of_k_released_small_ones_climb_then_suppressed():
    pending = [item(i, "94110", "1980-01-01") for i in range(5)]  # a group of 5 at rung 0
    pending += [
        item(10 + i, "30301", f"198{i + 1}-05-05") for i in range(3)
    ]  # 3 that merge at a higher rung
    pending += [item(21, "60601", "1950-01-01")]  # alone at every rung: suppressed
    result = close_window(pending, HIER, LADDER, k=3)
    rungs = Counter(r.rung for r in result.released)
    assert rungs[0] == 5 and sum(rungs.values()) == 8
    assert [r["record_id"] for r in result.suppressed] == ["r21"]
    groups = Counter((r.rung, tuple(r.generalized.values())) for r in result.released)
    assert min(groups.values()) >= 3
    assert len(result.released) + len(result.suppressed) == len(pending)


def test_records_with_different_keys_never_share_a_group():
    """Keying by the last rung is exact: deciding per key equals deciding over all at once."""
    pending = [
        item(i, ["94110", "10001", "30301"][i % 3], f"19{50 + i % 40}-01-01", "FM"[i % 2])
        for i in range(300)
    ]
    together = close_window(pending, HIER, LADDER, k=3)
    by_key: dict[str, list] = {}
    for values, record in pending:
        by_key.setdefault(group_key(values, HIER, LADDER), []).append((values, record))
    apart = [close_window(items, HIER, LADDER, k=3) for items in by_key.values()]

    def released(results):
        return sorted(
            (r.record["record_id"], r.rung, tuple(r.generalized.values()))
            for result in results
            for r in result.released
        )

    assert released([together]) == released(apart)
    assert len(by_key) > 1
    for values, _record in pending:  # the key is the last rung's generalization
        assert group_key(values, HIER, LADDER) == "|".join(
            generalize(values, HIER, LADDER[-1]).values()
        )


def _decisions(result):
    """close_window's result as record id → (rung, generalized values), None if suppressed."""
    found = {
        r.record["record_id"]: (r.rung, tuple(r.generalized.values())) for r in result.released
    }
    found.update({record["record_id"]: None for record in result.suppressed})
    return found


def test_the_plan_decides_what_close_window_decides():
    import random

    rng = random.Random(7)
    pending = [
        item(
            i,
            rng.choice(["94110", "94117", "10001", "30301", "", None]),
            rng.choice(
                [f"19{rng.randint(40, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}", None]
            ),
            rng.choice(["F", "M", " F ", None]),
        )
        for i in range(2000)
    ]
    seen = set()
    for k in (2, 3, 5, 40):
        expected = _decisions(close_window(pending, HIER, LADDER, k=k))
        plan = plan_window([[v[q] for q in QIS] for v, _ in pending], QIS, HIER, LADDER, k)
        got = {
            record["record_id"]: None if g < 0 else plan.groups[g]
            for (_, record), g in zip(pending, plan.at, strict=True)
        }
        assert got == expected
        assert {g for g in plan.at if g >= 0} == set(range(len(plan.groups)))
        seen |= {None if v is None else v[0] for v in got.values()}
    assert seen == {None, 0, 1, 2}  # suppressed, and released at every rung


def test_a_plan_leaves_the_values_of_a_rung_without_them_as_they_are():
    ladder = [{"zip_code": 0}, {"zip_code": 1, "gender": 1}]
    values = [["94110", "F"], ["94110", "M"], ["94111", "F"], ["94112", "M"]]
    plan = plan_window(values, ["zip_code", "gender"], HIER, ladder, 2)
    assert plan.groups == [(0, ("94110", None)), (1, ("941", "*"))]
    assert plan.at == [0, 0, 1, 1]
    assert plan_window([], QIS, HIER, LADDER, 3).at == []
    assert plan_window([[], []], [], HIER, [{}], 2).groups == [(0, ())]
