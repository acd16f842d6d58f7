from collections import Counter

from udfs.anonymity.hierarchies import hierarchies_from_config
from udfs.anonymity.windows import close_window, generalize, group_key
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
