from collections import Counter

from udfs.anonymity.hierarchies import hierarchies_from_config
from udfs.anonymity.windows import close_window
from udfs.schema import load_schema

ANON = load_schema("healthcare").anonymity
HIER = hierarchies_from_config(ANON)
LADDER = ANON["stream_ladder"]
QIS = list(LADDER[0])


def item(i, zip_code, dob, event_ms=0):
    values = {
        "date_of_birth": dob,
        "gender": "F",
        "zip_code": zip_code,
        "latitude": "40.71",
        "longitude": "-74.00",
    }
    return values, {"record_id": f"r{i}", **values}, event_ms


def test_groups_of_k_released_small_ones_climb_then_wait_or_suppress():
    pending = [item(i, "94110", "1980-01-01") for i in range(5)]  # a group of 5 at rung 0
    pending += [
        item(10 + i, "30301", f"198{i + 1}-05-05") for i in range(3)
    ]  # 3 that merge at a higher rung
    pending += [item(20, "10001", "1950-01-01", event_ms=900)]  # alone, young: waits
    pending += [item(21, "60601", "1950-01-01", event_ms=0)]  # alone, old: suppressed
    result = close_window(pending, HIER, LADDER, k=3, now_ms=1000, max_delay_ms=500)
    rungs = Counter(r.rung for r in result.released)
    assert rungs[0] == 5 and sum(rungs.values()) == 8
    assert [r["record_id"] for r in result.suppressed] == ["r21"]
    assert [w[1]["record_id"] for w in result.waiting] == ["r20"]
    groups = Counter((r.rung, tuple(r.generalized.values())) for r in result.released)
    assert min(groups.values()) >= 3
    assert len(result.released) + len(result.suppressed) + len(result.waiting) == len(pending)
